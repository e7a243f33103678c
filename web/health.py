"""The server's own health: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import os

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from governance.ingest.process import outbox_counts
from governance.readiness import check_readiness
from web.auth import public
from web.runtime import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> ResponseReturnValue:
    """Liveness: the process answers."""
    return {"status": "ok"}


@bp.get("/readyz")
@public
def readyz() -> ResponseReturnValue:
    """Readiness: 200 once events can be accepted and queued, else 503 naming what is wrong."""
    state = runtime()
    result = check_readiness(state.database.engine, state.settings.resolved_broker_url)
    body = {
        "status": "ready" if result.ready else "not ready",
        "checks": {"database": result.database, "migrations": result.migrations, "broker": result.broker},
        "problems": list(result.problems),
    }
    return body, 200 if result.ready else 503


class OutboxCollector(Collector):
    """Pending and dead outbox rows, read from the database at scrape time."""

    def collect(self) -> list[GaugeMetricFamily]:
        with runtime().database.session() as session:
            counts = outbox_counts(session)
        pending = GaugeMetricFamily("headwater_outbox_pending", "Accepted events not yet processed.")
        pending.add_metric([], counts.pending)
        dead = GaugeMetricFamily("headwater_outbox_dead", "Accepted events that failed every attempt.")
        dead.add_metric([], counts.dead)
        return [pending, dead]


@bp.get("/metrics")
@public
def metrics() -> ResponseReturnValue:
    """Prometheus exposition: this server's counters (all processes) and the outbox gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)  # type: ignore[no-untyped-call]  # prometheus_client leaves it untyped
        counters = generate_latest(processes)
    else:
        counters = generate_latest(REGISTRY)
    gauges = CollectorRegistry(auto_describe=False)
    gauges.register(OutboxCollector())
    return Response(counters + generate_latest(gauges), content_type=CONTENT_TYPE_LATEST)
