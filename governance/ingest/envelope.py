"""The few fields of an event that are indexed at accept time; the rest stays in the raw body."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from governance.ingest.schema import EventKind, event_kind


@dataclass(frozen=True, slots=True)
class Envelope:
    """What routing, ordering and listing need from one validated event."""

    kind: EventKind
    event_type: str | None
    event_time: datetime
    run_uuid: uuid.UUID | None
    job_namespace: str | None
    job_name: str | None
    producer: str
    schema_url: str | None


def parse_event_time(text: str) -> datetime:
    """Parse an OpenLineage eventTime to an aware UTC datetime.

    A time without an offset is taken as UTC; digits past microseconds are dropped.

    >>> parse_event_time("2020-12-28T19:52:00.001+10:00").isoformat()
    '2020-12-28T09:52:00.001000+00:00'
    >>> parse_event_time("2020-12-28T19:52:00.123456789").isoformat()
    '2020-12-28T19:52:00.123456+00:00'
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def run_uuid(run_id: str) -> uuid.UUID:
    """The run's UUID; a non-UUID runId maps to a name-based (MD5, version 3) UUID of its bytes.

    This is Java's ``UUID.nameUUIDFromBytes``, which Marquez applies to such run ids, so both
    servers give a run the same id.

    >>> str(run_uuid("0176a8c2-fe01-7439-87e6-56a1a1b4029f"))
    '0176a8c2-fe01-7439-87e6-56a1a1b4029f'
    >>> run_uuid("spark-app-42").version
    3
    """
    try:
        return uuid.UUID(run_id)
    except ValueError:
        return uuid.UUID(bytes=hashlib.md5(run_id.encode()).digest(), version=3)


def envelope_of(event: dict[str, Any]) -> Envelope:
    """Extract the envelope of an event that already passed schema validation."""
    kind = event_kind(event.get("schemaURL"))
    run = event.get("run") if kind is EventKind.RUN else None
    job = event.get("job") if kind is not EventKind.DATASET else None
    return Envelope(
        kind=kind,
        event_type=event.get("eventType") if kind is EventKind.RUN else None,
        event_time=parse_event_time(event["eventTime"]),
        run_uuid=run_uuid(run["runId"]) if run else None,
        job_namespace=job["namespace"] if job else None,
        job_name=job["name"] if job else None,
        producer=event["producer"],
        schema_url=event.get("schemaURL"),
    )
