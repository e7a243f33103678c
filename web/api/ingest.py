"""OpenLineage ingest: the Marquez contract (``POST /lineage``) and the consumer spec's batch."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g
from flask.typing import ResponseReturnValue

from governance.access import Permission
from governance.clock import utcnow
from governance.ingest.accept import accept_batch, accept_event
from governance.metrics import INGEST_SECONDS
from web.api import schemas
from web.api.request_body import json_request_body
from web.auth import ingest_switch, requires
from web.runtime import runtime

bp = Blueprint("ingest", __name__)


def _enqueue(event_id: int) -> None:
    runtime().enqueue(event_id, g.get("request_id"))


@bp.post("/lineage")
@requires(Permission.LINEAGE_INGEST, unless_off=ingest_switch)
@INGEST_SECONDS.time()
def post_lineage() -> ResponseReturnValue:
    """Accept one RunEvent, DatasetEvent or JobEvent; 201 once it is durably stored."""
    state = runtime()
    raw = json_request_body()
    with state.database.session() as session:
        result = accept_event(
            session,
            raw,
            max_depth=state.settings.max_json_depth,
            now=utcnow(),
            publish_grace=timedelta(seconds=state.settings.outbox_publish_grace_seconds),
            enqueue=_enqueue,
        )
    return schemas.acceptance(result), 201


@bp.post("/lineage/batch")
@requires(Permission.LINEAGE_INGEST, unless_off=ingest_switch)
def post_lineage_batch() -> ResponseReturnValue:
    """Accept an array of events; each invalid one is reported by index, the rest stored."""
    state = runtime()
    raw = json_request_body()
    with state.database.session() as session:
        result = accept_batch(
            session,
            raw,
            max_depth=state.settings.max_json_depth,
            max_events=state.settings.max_batch_events,
            now=utcnow(),
            publish_grace=timedelta(seconds=state.settings.outbox_publish_grace_seconds),
            enqueue=_enqueue,
        )
    return schemas.batch(result), 200
