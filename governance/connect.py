"""What a pipeline needs to send its lineage here: the settings of each OpenLineage integration,
filled with this server's URL and an ingest token."""

from __future__ import annotations

import json
import shlex
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import yaml
from sqlmodel import Session

from governance.ingest.accept import Acceptance, Enqueue, accept_event

INGEST_ENDPOINT = "api/v1/lineage"
# The Spark integration's package, on Maven Central; any recent release speaks the same transport.
SPARK_PACKAGE = "io.openlineage:openlineage-spark_2.12:1.24.2"


@dataclass(frozen=True, slots=True)
class Snippet:
    """One file or block of settings, with what it is and its syntax (for highlighting)."""

    label: str
    syntax: str
    text: str


@dataclass(frozen=True, slots=True)
class PipelineSetup:
    """How one integration is pointed at this server."""

    key: str
    title: str
    summary: str
    snippets: tuple[Snippet, ...]


def openlineage_yml(base_url: str, token: str) -> str:
    """The ``openlineage.yml`` of the OpenLineage clients (Python and Java) for this server.

    >>> print(openlineage_yml("http://localhost:5000", "hw_x"), end="")
    transport:
      type: http
      url: http://localhost:5000
      endpoint: api/v1/lineage
      compression: gzip
      auth:
        type: api_key
        apiKey: hw_x
    """
    config = {
        "transport": {
            "type": "http",
            "url": base_url.rstrip("/"),
            "endpoint": INGEST_ENDPOINT,
            "compression": "gzip",
            "auth": {"type": "api_key", "apiKey": token},
        }
    }
    return yaml.safe_dump(config, sort_keys=False)


def client_environment(base_url: str, token: str, namespace: str) -> dict[str, str]:
    """The ``OPENLINEAGE_*`` variables the Python and Java clients read."""
    return {
        "OPENLINEAGE_URL": base_url.rstrip("/"),
        "OPENLINEAGE_ENDPOINT": INGEST_ENDPOINT,
        "OPENLINEAGE_API_KEY": token,
        "OPENLINEAGE_NAMESPACE": namespace,
    }


def _exports(variables: dict[str, str]) -> str:
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in variables.items())


def pipeline_setups(base_url: str, token: str, *, namespace: str = "default") -> list[PipelineSetup]:
    """The settings for Airflow, Spark, dbt and Flink, and for any OpenLineage client."""
    url = base_url.rstrip("/")
    environment = client_environment(url, token, namespace)
    airflow_transport = {
        "type": "http",
        "url": url,
        "endpoint": INGEST_ENDPOINT,
        "compression": "gzip",
        "auth": {"type": "api_key", "apiKey": token},
    }
    spark_conf = {
        "spark.extraListeners": "io.openlineage.spark.agent.OpenLineageSparkListener",
        "spark.openlineage.transport.type": "http",
        "spark.openlineage.transport.url": url,
        "spark.openlineage.transport.endpoint": f"/{INGEST_ENDPOINT}",
        "spark.openlineage.transport.auth.type": "api_key",
        "spark.openlineage.transport.auth.apiKey": token,
        "spark.openlineage.namespace": namespace,
    }
    spark_submit = " \\\n  ".join(
        ["spark-submit", f"--packages {SPARK_PACKAGE}"]
        + [f"--conf {shlex.quote(f'{key}={value}')}" for key, value in spark_conf.items()]
        + ["your_job.py"]
    )
    return [
        PipelineSetup(
            "airflow",
            "Apache Airflow",
            "The apache-airflow-providers-openlineage provider reads its transport from the environment "
            "of the scheduler and the workers.",
            (
                Snippet(
                    "Environment of the scheduler and workers",
                    "shell",
                    _exports(
                        {
                            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(airflow_transport),
                            "AIRFLOW__OPENLINEAGE__NAMESPACE": namespace,
                        }
                    ),
                ),
            ),
        ),
        PipelineSetup(
            "spark",
            "Apache Spark",
            "The OpenLineage Spark listener, added to the job with its transport settings.",
            (
                Snippet("spark-submit", "shell", spark_submit + "\n"),
                Snippet(
                    "spark-defaults.conf",
                    "properties",
                    "".join(f"{key} {value}\n" for key, value in spark_conf.items()),
                ),
            ),
        ),
        PipelineSetup(
            "dbt",
            "dbt",
            "Run dbt through dbt-ol (pip install openlineage-dbt), which reads the client's environment.",
            (Snippet("Environment, then `dbt-ol run`", "shell", _exports(environment)),),
        ),
        PipelineSetup(
            "flink",
            "Apache Flink",
            "The OpenLineage Flink listener reads openlineage.yml from the path in OPENLINEAGE_CONFIG, "
            "or the client's environment.",
            (
                Snippet("openlineage.yml", "yaml", openlineage_yml(url, token)),
                Snippet(
                    "Environment of the job manager",
                    "shell",
                    _exports({"OPENLINEAGE_CONFIG": "/opt/flink/conf/openlineage.yml"}),
                ),
            ),
        ),
        PipelineSetup(
            "client",
            "Any OpenLineage client",
            "The Python and Java clients read openlineage.yml (from OPENLINEAGE_CONFIG, the working "
            "directory or ~/.openlineage) or these variables.",
            (
                Snippet("openlineage.yml", "yaml", openlineage_yml(url, token)),
                Snippet("Environment", "shell", _exports(environment)),
            ),
        ),
    ]


TEST_NAMESPACE = "headwater"
TEST_JOB = "connection_test"


def test_event(*, now: datetime, run_id: uuid.UUID, producer: str) -> bytes:
    """A COMPLETE RunEvent of the connection-test job, as a pipeline would send it."""
    event = {
        "eventType": "COMPLETE",
        "eventTime": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "producer": producer,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(run_id)},
        "job": {
            "namespace": TEST_NAMESPACE,
            "name": TEST_JOB,
            "facets": {
                "jobType": {
                    "_producer": producer,
                    "_schemaURL": "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
                    "processingType": "BATCH",
                    "integration": "HEADWATER",
                    "jobType": "CONNECTION_TEST",
                }
            },
        },
        "inputs": [],
        "outputs": [],
    }
    return json.dumps(event).encode()


def send_test_event(
    session: Session,
    *,
    now: datetime,
    producer: str,
    max_depth: int,
    publish_grace: timedelta,
    enqueue: Enqueue,
) -> Acceptance:
    """Send the connection-test event through the ingest path a pipeline's events take."""
    body = test_event(now=now, run_id=uuid.uuid4(), producer=producer)
    return accept_event(
        session, body, max_depth=max_depth, now=now, publish_grace=publish_grace, enqueue=enqueue
    )
