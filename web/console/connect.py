"""Connect a pipeline: the settings of each OpenLineage integration, a fresh ingest token for them,
and a test event sent through the ingest path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import g, render_template, request
from flask.typing import ResponseReturnValue

from governance.access import Permission, Scope, issue_token
from governance.clock import utcnow
from governance.connect import TEST_JOB, TEST_NAMESPACE, pipeline_setups, send_test_event
from web.auth import current_caller, requires
from web.console.pages import bp
from web.runtime import runtime

TOKEN_PLACEHOLDER = "<an ingest token>"
PRODUCER = "https://github.com/headwater/headwater/console"


def _page(status: int = 200, *, token: str | None = None, **extra: Any) -> ResponseReturnValue:
    settings = runtime().settings
    namespace = request.form.get("namespace", "").strip() or "default"
    setups = pipeline_setups(settings.resolved_public_url, token or TOKEN_PLACEHOLDER, namespace=namespace)
    return (
        render_template(
            "console/connect.html",
            setups=setups,
            token=token,
            namespace=namespace,
            base_url=settings.resolved_public_url,
            test_namespace=TEST_NAMESPACE,
            test_job=TEST_JOB,
            may_ingest=current_caller().may(Permission.LINEAGE_INGEST),
            **extra,
        ),
        status,
    )


@bp.get("/connect")
@requires(Permission.CATALOG_READ)
def connect() -> ResponseReturnValue:
    """The settings for Airflow, Spark, dbt, Flink and any OpenLineage client."""
    return _page()


@bp.post("/connect/token")
@requires(Permission.LINEAGE_INGEST)
def connect_token() -> ResponseReturnValue:
    """Mint an ingest token for a pipeline and show the settings filled with it, once."""
    name = request.form.get("name", "").strip() or "pipeline"
    with runtime().database.session() as session:
        created, _ = issue_token(
            session,
            caller=current_caller(),
            name=name,
            scopes=frozenset({Scope.INGEST}),
            grants=[],
            pepper=runtime().pepper,
            now=utcnow(),
        )
    return _page(201, token=created.secret, token_name=created.info.name)


@bp.post("/connect/test-event")
@requires(Permission.LINEAGE_INGEST)
def connect_test_event() -> ResponseReturnValue:
    """Send a test event as a pipeline would; it shows in the catalog once the worker folds it."""
    state = runtime()
    now = utcnow()
    with state.database.session() as session:
        acceptance = send_test_event(
            session,
            now=now,
            producer=PRODUCER,
            max_depth=state.settings.max_json_depth,
            publish_grace=timedelta(seconds=state.settings.outbox_publish_grace_seconds),
            enqueue=lambda event_id: state.enqueue(event_id, g.get("request_id")),
        )
    return _page(201, sent=acceptance)
