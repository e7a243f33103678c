"""An accepted event as handlers see it: its envelope columns, its id and its parsed body."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import orjson

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
    def of(cls, row: LineageEvent) -> StoredEvent:
        """Copy a row into a detached read model."""
        assert row.id is not None
        return cls(
            id=row.id,
            content_hash=row.content_hash,
            kind=row.kind,
            event_type=row.event_type,
            event_time=row.event_time,
            run_uuid=row.run_uuid,
            job_namespace=row.job_namespace,
            job_name=row.job_name,
            received_at=row.received_at,
            body_text=row.body,
        )
