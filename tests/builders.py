"""Builders of OpenLineage events for tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from governance.access import create_token, parse_scopes
from governance.clock import utcnow
from governance.config import Settings
from governance.db import Database

PRODUCER = "https://github.com/headwater-data/headwater/tests"
RUN_EVENT_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
BASE_TIME = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def run_event(
    event_type: str = "START",
    *,
    run_id: str | None = None,
    at: datetime | None = None,
    job: str = "plays_to_lake",
    namespace: str = "flink://streaming",
    **extra: Any,
) -> dict[str, Any]:
    """A minimal valid RunEvent."""
    return {
        "eventType": event_type,
        "eventTime": (at or BASE_TIME).isoformat(),
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_URL,
        "run": {"runId": run_id or str(uuid.uuid4())},
        "job": {"namespace": namespace, "name": job},
        "inputs": [],
        "outputs": [],
        **extra,
    }


def lifecycle(run_id: str, *, minutes: int = 5, final: str = "COMPLETE") -> list[dict[str, Any]]:
    """START, RUNNING and a final event of one run, in time order."""
    return [
        run_event("START", run_id=run_id, at=BASE_TIME),
        run_event("RUNNING", run_id=run_id, at=BASE_TIME + timedelta(minutes=1)),
        run_event(final, run_id=run_id, at=BASE_TIME + timedelta(minutes=minutes)),
    ]


def mint_token(database: Database, settings: Settings, *scopes: str) -> str:
    """A new API token secret with the given scopes, hashed under the settings' pepper."""
    with database.session() as session:
        return create_token(
            session, name="test", scopes=parse_scopes(scopes), pepper=settings.token_pepper(), now=utcnow()
        ).secret


def encode(text: str) -> str:
    """JavaScript's ``encodeURIComponent``, which Marquez's web UI applies to each name in a URL."""
    return quote(text, safe="-_.!~*'()")
