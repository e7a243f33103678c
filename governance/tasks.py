"""The Celery app and its tasks: thin shells over governance functions (ids in, nothing out)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any

import structlog
from celery import Celery, signals
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import OperationalError

from governance.clock import utcnow
from governance.config import Settings, get_settings
from governance.db import Database
from governance.ingest import process
from governance.logs import configure_logging

PROCESS_EVENTS = "governance.ingest.process_events"
SWEEP_BATCH = 100
# A task folds its own events and, under a backlog, never-tried ones queued behind it, up to this.
FOLD_BATCH = 100
SWEEP_OUTBOX = "governance.ingest.sweep_outbox"
QUEUE = "headwater"

log = structlog.get_logger(__name__)


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings for a Headwater deployment."""
    broker = settings.resolved_broker_url
    transport_options: dict[str, Any] = {}
    if broker.startswith(("redis://", "rediss://")):
        transport_options.update(socket_timeout=5, socket_connect_timeout=3, visibility_timeout=3600)
    return {
        "broker_url": broker,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 3,
        "task_default_queue": QUEUE,
        # Idempotent tasks (the outbox row decides), so redelivery after a crash is safe.
        "task_acks_late": True,
        # A task whose worker died is acked, not requeued forever: the sweep re-sends it and
        # the attempt counter sends a poison event to dead.
        "task_reject_on_worker_lost": False,
        "task_ignore_result": True,
        "worker_prefetch_multiplier": 4,
        "worker_hijack_root_logger": False,
        "beat_schedule": {
            "sweep-outbox": {"task": SWEEP_OUTBOX, "schedule": settings.outbox_sweep_seconds},
        },
        "beat_schedule_filename": str(settings.data_dir / "celerybeat-schedule"),
    }


def make_celery(settings: Settings) -> Celery:
    """A Celery app configured for ``settings`` (the web uses one to publish)."""
    app = Celery("headwater")
    app.conf.update(celery_config(settings))
    return app


celery_app = make_celery(get_settings())


@cache
def _database() -> Database:
    return Database(get_settings().resolved_database_url, pool_size=2)


@signals.worker_process_init.connect
def _after_fork(**_: Any) -> None:
    # Pooled connections must not cross a fork.
    _database().dispose()


@signals.worker_init.connect
def _serve_metrics(**_: Any) -> None:
    port = get_settings().worker_metrics_port
    if port:
        from prometheus_client import CollectorRegistry, start_http_server
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it untyped
        start_http_server(port, registry=registry)


@signals.setup_logging.connect
def _setup_logging(**_: Any) -> None:
    configure_logging(get_settings())


@signals.task_prerun.connect
def _bind_task(task_id: str | None = None, **_: Any) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task_id=task_id)


@celery_app.task(
    name=PROCESS_EVENTS,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=8,
    # A stuck batch is interrupted (the current event's failure is recorded and retried, then
    # dead), then killed; events already folded stay done. SQL parses have their own 10 s limit.
    soft_time_limit=120,
    time_limit=180,
)
def process_events(event_ids: list[int], request_ids: list[str | None] | None = None) -> None:
    """Fold a batch of accepted events into the model; running it twice is harmless."""
    settings = get_settings()
    try:
        with _database().session() as session:
            process.process_events(
                session,
                event_ids=event_ids,
                now=utcnow(),
                processing_lease=timedelta(seconds=settings.outbox_processing_lease_seconds),
                max_attempts=settings.outbox_max_attempts,
                interrupted=(SoftTimeLimitExceeded,),
                request_ids=dict(zip(event_ids, request_ids or [None] * len(event_ids), strict=True)),
                fill_to=FOLD_BATCH,
            )
    except SoftTimeLimitExceeded:
        # Out of time on a batch: each event goes back alone, so a slow one cannot hold up the rest.
        for event_id in event_ids:
            process_events.apply_async(args=[[event_id]])
        log.warning("batch_out_of_time", events=len(event_ids))


@celery_app.task(name=SWEEP_OUTBOX, ignore_result=True, autoretry_for=(OperationalError,), max_retries=3)
def sweep_outbox() -> None:
    """Re-send accepted events that the broker or a worker lost."""
    settings = get_settings()
    with _database().session() as session:
        process.sweep_outbox(
            session,
            now=utcnow(),
            publish_grace=timedelta(seconds=settings.outbox_publish_grace_seconds),
            enqueue=lambda event_ids: process_events.apply_async(args=[event_ids]),
            batch_size=SWEEP_BATCH,
        )


def event_sender(app: Celery) -> Callable[[list[tuple[int, str | None]]], None]:
    """A function that publishes one processing task for a batch of (event id, request id)."""

    def send(batch: list[tuple[int, str | None]]) -> None:
        event_ids = [event_id for event_id, _ in batch]
        request_ids = [request_id for _, request_id in batch]
        app.send_task(PROCESS_EVENTS, args=[event_ids, request_ids], retry=False)

    return send
