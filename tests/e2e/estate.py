"""A small streaming estate for the browser tests: plays streamed into the lake, sessionized,
aggregated into a daily mart, with declared and SQL-derived column lineage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.builders import BASE_TIME, run_event
from tests.graph_events import column_lineage, dataset, schema

KAFKA = "kafka://prod-cluster:9092"
LAKE = "s3://lake"
WAREHOUSE = "postgres://warehouse:5432"
PLAYS = "plays"
SESSIONS = "sessions"
DAILY = "analytics.public.listener_daily"

DAILY_SQL = (
    "INSERT INTO analytics.public.listener_daily "
    "SELECT user_id, count(*) AS plays, sum(seconds) AS seconds FROM sessions GROUP BY user_id"
)


def events() -> list[dict[str, Any]]:
    """Kafka plays -> Flink sessionize -> lake sessions -> Airflow daily -> warehouse mart."""
    plays = dataset(KAFKA, PLAYS, schema=schema("user_id", "track_id", "email", ("seconds", "INT")))
    sessions = dataset(
        LAKE,
        SESSIONS,
        schema=schema("user_id", "email_hash", ("seconds", "INT")),
        columnLineage=column_lineage(
            {
                "user_id": [(KAFKA, PLAYS, "user_id", "DIRECT/IDENTITY")],
                "email_hash": [(KAFKA, PLAYS, "email", "DIRECT/TRANSFORMATION/masked")],
                "seconds": [(KAFKA, PLAYS, "seconds", "DIRECT/AGGREGATION")],
            }
        ),
    )
    sessionize = run_event(
        "START",
        at=BASE_TIME,
        job="sessionize",
        namespace="flink://streaming",
        inputs=[plays],
        outputs=[sessions],
    )
    daily = run_event(
        "COMPLETE",
        at=BASE_TIME + timedelta(hours=1),
        job="listener_daily",
        namespace="airflow://prod",
        inputs=[dataset(LAKE, SESSIONS)],
        outputs=[dataset(WAREHOUSE, DAILY, schema=schema("user_id", ("plays", "INT"), ("seconds", "INT")))],
    )
    daily["job"]["facets"] = {"sql": {"query": DAILY_SQL}}
    return [sessionize, daily]
