"""A demo estate: a music streaming platform's pipelines, as the OpenLineage events they emit.

Flink jobs stream plays, skips and ad impressions from Kafka into the lake; Spark sessionizes
plays into the warehouse; dbt models build daily listener and ad revenue marts; an Airflow
task computes recommendation features. Batch jobs ran once a day for the last few days (one
run failed); streaming jobs are running now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

PRODUCER = "https://github.com/headwater-data/headwater/demo"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
_FACET = "https://openlineage.io/spec/facets/1-0-1/{}.json#/$defs/{}"
_RUN_NAMESPACE = uuid.UUID("6f1d7c1e-8c1b-4e5e-9a55-3b1f5d6c2a10")

KAFKA = "kafka://kafka-prod:9092"
LAKE = "s3://lake-raw"
WAREHOUSE = "postgres://warehouse:5432"
FEATURES = "redis://feature-store:6379"

Columns = list[tuple[str, str]]

DATASETS: dict[tuple[str, str], Columns] = {
    (KAFKA, "playback.plays"): [
        ("event_id", "string"),
        ("user_id", "string"),
        ("track_id", "string"),
        ("played_at", "timestamp"),
        ("ms_played", "long"),
        ("device_type", "string"),
        ("ip_address", "string"),
        ("country", "string"),
    ],
    (KAFKA, "playback.skips"): [
        ("event_id", "string"),
        ("user_id", "string"),
        ("track_id", "string"),
        ("skipped_at", "timestamp"),
        ("position_ms", "long"),
    ],
    (KAFKA, "ads.impressions"): [
        ("impression_id", "string"),
        ("user_id", "string"),
        ("campaign_id", "string"),
        ("shown_at", "timestamp"),
        ("cpm_micros", "long"),
        ("user_email", "string"),
    ],
    (LAKE, "raw/plays"): [
        ("event_id", "string"),
        ("user_id", "string"),
        ("track_id", "string"),
        ("played_at", "timestamp"),
        ("ms_played", "long"),
        ("device_type", "string"),
        ("ip_address", "string"),
        ("country", "string"),
    ],
    (LAKE, "raw/skips"): [
        ("event_id", "string"),
        ("user_id", "string"),
        ("track_id", "string"),
        ("skipped_at", "timestamp"),
        ("position_ms", "long"),
    ],
    (LAKE, "raw/ad_impressions"): [
        ("impression_id", "string"),
        ("user_id", "string"),
        ("campaign_id", "string"),
        ("shown_at", "timestamp"),
        ("cpm_micros", "long"),
        ("user_email", "string"),
    ],
    (WAREHOUSE, "analytics.public.dim_tracks"): [
        ("track_id", "varchar"),
        ("title", "varchar"),
        ("artist", "varchar"),
        ("genre", "varchar"),
    ],
    (WAREHOUSE, "analytics.public.fact_plays"): [
        ("session_id", "varchar"),
        ("user_id", "varchar"),
        ("track_id", "varchar"),
        ("played_at", "timestamptz"),
        ("ms_played", "bigint"),
        ("was_skipped", "boolean"),
        ("country", "varchar"),
    ],
    (WAREHOUSE, "analytics.public.daily_listener_stats"): [
        ("day", "date"),
        ("country", "varchar"),
        ("listeners", "bigint"),
        ("plays", "bigint"),
        ("skip_rate", "double precision"),
    ],
    (WAREHOUSE, "analytics.public.ad_revenue_daily"): [
        ("day", "date"),
        ("campaign_id", "varchar"),
        ("impressions", "bigint"),
        ("revenue_usd", "numeric"),
    ],
    (FEATURES, "features.user_listening"): [
        ("user_id", "string"),
        ("top_genre", "string"),
        ("plays_7d", "long"),
        ("skip_rate_7d", "double"),
    ],
}


@dataclass(frozen=True)
class DemoJob:
    """One pipeline of the estate."""

    namespace: str
    name: str
    inputs: list[tuple[str, str]]
    outputs: list[tuple[str, str]]
    streaming: bool = False
    sql: str | None = None
    column_lineage: dict[str, list[tuple[str, str, str]]] | None = None


JOBS = [
    DemoJob(
        "flink://streaming",
        "plays_to_lake",
        [(KAFKA, "playback.plays")],
        [(LAKE, "raw/plays")],
        streaming=True,
    ),
    DemoJob(
        "flink://streaming",
        "skips_to_lake",
        [(KAFKA, "playback.skips")],
        [(LAKE, "raw/skips")],
        streaming=True,
    ),
    DemoJob(
        "flink://streaming",
        "ad_impressions_to_lake",
        [(KAFKA, "ads.impressions")],
        [(LAKE, "raw/ad_impressions")],
        streaming=True,
    ),
    DemoJob(
        "spark://batch",
        "sessionize_plays",
        [(LAKE, "raw/plays"), (LAKE, "raw/skips")],
        [(WAREHOUSE, "analytics.public.fact_plays")],
        column_lineage={
            "user_id": [(LAKE, "raw/plays", "user_id")],
            "track_id": [(LAKE, "raw/plays", "track_id")],
            "played_at": [(LAKE, "raw/plays", "played_at")],
            "ms_played": [(LAKE, "raw/plays", "ms_played")],
            "was_skipped": [(LAKE, "raw/skips", "event_id")],
            "country": [(LAKE, "raw/plays", "country")],
        },
    ),
    DemoJob(
        "dbt://analytics",
        "analytics.daily_listener_stats",
        [(WAREHOUSE, "analytics.public.fact_plays")],
        [(WAREHOUSE, "analytics.public.daily_listener_stats")],
        sql=(
            "INSERT INTO analytics.public.daily_listener_stats "
            "SELECT CAST(played_at AS DATE) AS day, country, COUNT(DISTINCT user_id) AS listeners, "
            "COUNT(*) AS plays, AVG(CASE WHEN was_skipped THEN 1.0 ELSE 0.0 END) AS skip_rate "
            "FROM analytics.public.fact_plays GROUP BY 1, 2"
        ),
    ),
    DemoJob(
        "dbt://analytics",
        "analytics.ad_revenue_daily",
        [(LAKE, "raw/ad_impressions")],
        [(WAREHOUSE, "analytics.public.ad_revenue_daily")],
        sql=(
            "INSERT INTO analytics.public.ad_revenue_daily "
            "SELECT CAST(shown_at AS DATE) AS day, campaign_id, COUNT(*) AS impressions, "
            "SUM(cpm_micros) / 1e9 AS revenue_usd FROM raw.ad_impressions GROUP BY 1, 2"
        ),
    ),
    DemoJob(
        "airflow://scheduler",
        "recommendations.user_listening_features",
        [(WAREHOUSE, "analytics.public.fact_plays"), (WAREHOUSE, "analytics.public.dim_tracks")],
        [(FEATURES, "features.user_listening")],
        sql=(
            "SELECT f.user_id, MAX(t.genre) AS top_genre, COUNT(*) AS plays_7d, "
            "AVG(CASE WHEN f.was_skipped THEN 1.0 ELSE 0.0 END) AS skip_rate_7d "
            "FROM analytics.public.fact_plays f "
            "JOIN analytics.public.dim_tracks t ON f.track_id = t.track_id "
            "WHERE f.played_at > now() - interval '7 days' GROUP BY f.user_id"
        ),
    ),
]


def demo_events(now: datetime, *, days: int = 3) -> list[dict[str, Any]]:
    """Every event of the estate, oldest first; the same ``now`` gives the same events."""
    events: list[dict[str, Any]] = []
    for job in JOBS:
        if job.streaming:
            started = now - timedelta(days=days, hours=1)
            run_id = _run_id(job, "stream")
            events.append(_event("START", started, run_id, job))
            events.append(_event("RUNNING", now - timedelta(minutes=5), run_id, job))
            continue
        for day in range(days, 0, -1):
            started = (now - timedelta(days=day)).replace(hour=2, minute=0, second=0, microsecond=0)
            run_id = _run_id(job, str(day))
            events.append(_event("START", started, run_id, job))
            failed = job.name == "analytics.ad_revenue_daily" and day == 2
            ended = started + timedelta(minutes=7 + len(job.name) % 5)
            events.append(_event("FAIL" if failed else "COMPLETE", ended, run_id, job, failed=failed))
    return sorted(events, key=lambda e: e["eventTime"])


def _run_id(job: DemoJob, key: str) -> str:
    return str(uuid.uuid5(_RUN_NAMESPACE, f"{job.namespace}/{job.name}/{key}"))


def _facet(facet_type: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": _FACET.format(facet_type, facet_type), **fields}


def _dataset(
    key: tuple[str, str], *, with_schema: bool, lineage: dict[str, Any] | None = None
) -> dict[str, Any]:
    namespace, name = key
    facets: dict[str, Any] = {}
    if with_schema:
        fields = [{"name": column, "type": kind} for column, kind in DATASETS[key]]
        facets["schema"] = _facet("SchemaDatasetFacet", fields=fields)
        facets["dataSource"] = _facet("DatasourceDatasetFacet", name=namespace, uri=namespace)
    if lineage:
        facets["columnLineage"] = _facet(
            "ColumnLineageDatasetFacet",
            fields={
                target: {
                    "inputFields": [
                        {
                            "namespace": ns,
                            "name": ds,
                            "field": field,
                            "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
                        }
                        for ns, ds, field in sources
                    ]
                }
                for target, sources in lineage.items()
            },
        )
    return {"namespace": namespace, "name": name, "facets": facets}


def _event(
    event_type: str, when: datetime, run_id: str, job: DemoJob, *, failed: bool = False
) -> dict[str, Any]:
    begins = event_type == "START"
    run_facets: dict[str, Any] = {}
    if failed:
        run_facets["errorMessage"] = _facet(
            "ErrorMessageRunFacet",
            message="relation raw.ad_impressions is locked by a concurrent vacuum",
            programmingLanguage="SQL",
        )
    job_facets: dict[str, Any] = {
        "jobType": _facet(
            "JobTypeJobFacet",
            processingType="STREAMING" if job.streaming else "BATCH",
            integration=job.namespace.split(":")[0].upper(),
            jobType="JOB" if job.streaming else "TASK",
        )
    }
    if job.sql:
        job_facets["sql"] = _facet("SQLJobFacet", query=job.sql, dialect="postgres")
    return {
        "eventType": event_type,
        "eventTime": when.isoformat().replace("+00:00", "Z"),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": run_id, "facets": run_facets},
        "job": {"namespace": job.namespace, "name": job.name, "facets": job_facets},
        "inputs": [_dataset(key, with_schema=begins) for key in job.inputs],
        "outputs": [
            _dataset(key, with_schema=True, lineage=job.column_lineage if not begins else None)
            for key in job.outputs
        ],
    }
