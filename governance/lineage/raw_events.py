"""Raw events as a caller's grants let it read them back.

A raw event names its job and every dataset it read or wrote, and its facets may name more;
so a caller limited by grants reads only the events whose job and datasets it may all see.
Those are found by reading each event of the window, which costs a scan of the window: the
unlimited callers (pipelines, admins) keep the single indexed query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlmodel import Session, col

from governance.access import Grants
from governance.ingest.events_read import EventPage, list_events
from governance.lineage.visibility import Sight, page
from governance.models import LineageEvent

_SCAN_BATCH = 500


def _names(event: Any) -> list[tuple[str, str]]:
    """Every (namespace, name) an event names: job, datasets, parent job, column-lineage inputs."""
    found: list[tuple[str, str]] = []
    if not isinstance(event, dict):
        return found
    entries = [event.get("job"), event.get("dataset")]
    for key in ("inputs", "outputs"):
        value = event.get(key)
        entries.extend(value if isinstance(value, list) else [])
    run_facets = (event.get("run") or {}).get("facets") if isinstance(event.get("run"), dict) else None
    parent = (run_facets or {}).get("parent") if isinstance(run_facets, dict) else None
    entries.append(parent.get("job") if isinstance(parent, dict) else None)
    for entry in list(entries):
        lineage = (
            ((entry or {}).get("facets") or {}).get("columnLineage") if isinstance(entry, dict) else None
        )
        fields = lineage.get("fields") if isinstance(lineage, dict) else None
        for spec in fields.values() if isinstance(fields, dict) else []:
            inputs = spec.get("inputFields") if isinstance(spec, dict) else None
            entries.extend(inputs if isinstance(inputs, list) else [])
    for entry in entries:
        if isinstance(entry, dict):
            found.append((str(entry.get("namespace")), str(entry.get("name"))))
    return found


def list_visible_events(
    session: Session,
    *,
    grants: Grants,
    after: datetime,
    before: datetime,
    limit: int,
    offset: int,
    descending: bool = True,
) -> EventPage:
    """Events in [after, before] ordered by eventTime, only those the grants show whole."""
    sight = Sight(grants)
    first = list_events(
        session, after=after, before=before, limit=limit, offset=offset, descending=descending
    )
    if sight.sees_everything:
        return first
    time, ident = col(LineageEvent.event_time), col(LineageEvent.id)
    order = (time.desc(), ident.desc()) if descending else (time.asc(), ident.asc())
    query = select(col(LineageEvent.body)).where(time >= after, time <= before).order_by(*order)
    kept = [
        body
        for body in session.execute(query.execution_options(yield_per=_SCAN_BATCH)).scalars()
        if all(sight.sees(ns, name) for ns, name in _names(orjson.loads(body)))
    ]
    bodies, total = page(kept, limit, offset)
    return EventPage(bodies=bodies, total_count=total)
