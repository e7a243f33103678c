"""Read raw events back, newest first, in the shape Marquez's ``/events/lineage`` returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from governance.errors import InvalidInput
from governance.models import LineageEvent

MAX_PAGE = 1000
MAX_OFFSET = 2**31 - 1  # what every database takes as an OFFSET


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of raw events (JSON text, as stored) and how many match in all."""

    bodies: list[str]
    total_count: int


def list_events(
    session: Session, *, after: datetime, before: datetime, limit: int, offset: int, descending: bool = True
) -> EventPage:
    """Events whose eventTime lies in [after, before], ordered by eventTime."""
    if not 0 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 0 and {MAX_PAGE}")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET}")
    in_window = (col(LineageEvent.event_time) >= after, col(LineageEvent.event_time) <= before)
    order = (
        (col(LineageEvent.event_time).desc(), col(LineageEvent.id).desc())
        if descending
        else (col(LineageEvent.event_time).asc(), col(LineageEvent.id).asc())
    )
    bodies = session.execute(
        select(col(LineageEvent.body)).where(*in_window).order_by(*order).limit(limit).offset(offset)
    ).scalars()
    total = session.execute(select(func.count()).select_from(LineageEvent).where(*in_window)).scalar_one()
    return EventPage(bodies=list(bodies), total_count=int(total))
