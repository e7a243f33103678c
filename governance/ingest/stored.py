"""An accepted event as handlers see it: its envelope columns, its id and its parsed body."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import orjson
from sqlalchemy import select
from sqlmodel import Session

from governance.models import LineageEvent


@dataclass(frozen=True)
class StoredEvent:
    """One row of ``lineage_event``, detached from the session."""

    id: int
    content_hash: str
    kind: str
    event_type: str | None
    event_time: datetime
    run_uuid: uuid.UUID | None
    job_namespace: str | None
    job_name: str | None
    received_at: datetime
    body_text: str

    @cached_property
    def body(self) -> dict[str, Any]:
        """The event as JSON, parsed on first use."""
        parsed: dict[str, Any] = orjson.loads(self.body_text)
        return parsed

    @classmethod
    def load(cls, session: Session, event_ids: Sequence[int]) -> list[StoredEvent]:
        """The events with these ids, in id order."""
        e = LineageEvent.__table__  # type: ignore[attr-defined]  # SQLModel sets it at class creation
        rows = session.execute(
            select(
                e.c.id,
                e.c.content_hash,
                e.c.kind,
                e.c.event_type,
                e.c.event_time,
                e.c.run_uuid,
                e.c.job_namespace,
                e.c.job_name,
                e.c.received_at,
                e.c.body,
            )
            .where(e.c.id.in_(event_ids))
            .order_by(e.c.id)
        )
        return [cls(*row) for row in rows]
