"""Headwater's own Prometheus metrics; multiprocess-safe when PROMETHEUS_MULTIPROC_DIR is set."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS_RECEIVED = Counter(
    "headwater_events_received",
    "OpenLineage events received, by result (accepted, duplicate, rejected).",
    ["result"],
)
EVENTS_PROCESSED = Counter(
    "headwater_events_processed",
    "Accepted events a worker finished with, by outcome (done, retry, dead, skipped).",
    ["outcome"],
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "headwater_outbox_publish_failures",
    "Times an accepted event could not be handed to the broker (a sweep re-sends it).",
)
OUTBOX_REPUBLISHED = Counter(
    "headwater_outbox_republished",
    "Accepted events re-sent to the broker by the sweep after their lease expired.",
)
INGEST_SECONDS = Histogram(
    "headwater_ingest_seconds",
    "Time to accept one request on the ingest path, decode to commit.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
