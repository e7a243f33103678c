"""The corpus replayed through the live stack (gunicorn, a Celery worker on Redis, PostgreSQL)
and read back through the Marquez API: the graph holds what the producers declared."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import sqlalchemy as sa

from governance.ingest.canonical import content_hash
from governance.ingest.envelope import parse_event_time, run_uuid
from governance.lineage import tables as t
from governance.lineage.facets import declared_edges, schema_fields
from governance.models import OutboxStatus
from tests.builders import run_event
from tests.corpus import valid_bodies
from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration
TEMPLATE_START = datetime(2024, 3, 9, 8, 0, tzinfo=UTC)


def _get(stack: Stack, path: str, **params: Any) -> Any:
    response = requests.get(
        f"{stack.base_url}{path}",
        params=params,
        headers={"Authorization": f"Bearer {stack.token}"},
        timeout=30,
    )
    assert response.status_code == 200, (path, params, response.text[:300])
    return response.json()


@pytest.fixture(scope="module")
def replayed(stack: Stack, corpora: Path) -> list[dict[str, Any]]:
    """Every valid corpus event, sent and processed; the events as parsed."""
    bodies = valid_bodies(corpora, TEMPLATE_START)
    for body in bodies:
        response = requests.post(
            f"{stack.base_url}/api/v1/lineage",
            data=body,
            headers={"Authorization": f"Bearer {stack.token}", "Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 201, response.text[:300]
    stack.wait_processed(timeout=120)
    assert stack.outbox_count(OutboxStatus.DEAD) == 0
    return [json.loads(body) for body in bodies]


def _outputs(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for e in events for d in e.get("outputs") or [] if isinstance(d, dict) and "name" in d]


def test_every_output_dataset_is_in_the_catalog(stack: Stack, replayed: list[dict[str, Any]]) -> None:
    """GET /namespaces/{ns}/datasets/{name} answers each output, names percent-encoded."""
    outputs = {(d["namespace"], d["name"]) for d in _outputs(replayed)}
    assert len(outputs) > 30
    for namespace, name in sorted(outputs):
        found = _get(stack, f"/api/v1/namespaces/{quote(namespace, safe='')}/datasets/{quote(name, safe='')}")
        assert found["id"] == {"namespace": namespace, "name": name}


def test_schemas_are_those_of_the_newest_schema_facet(stack: Stack, replayed: list[dict[str, Any]]) -> None:
    """Each dataset's fields (nested ones dotted) are its newest schema facet's, in order."""
    newest: dict[tuple[str, str], tuple[datetime, str, dict[str, Any]]] = {}
    for event in replayed:
        key_time, digest = parse_event_time(event["eventTime"]), content_hash(event)
        for raw in [*(event.get("inputs") or []), *(event.get("outputs") or [])]:
            facet = (raw.get("facets") or {}).get("schema")
            ref = (raw["namespace"], raw["name"])
            if isinstance(facet, dict) and (ref not in newest or newest[ref][:2] < (key_time, digest)):
                newest[ref] = (key_time, digest, facet)
    assert len(newest) > 30
    for (namespace, name), (_, _, facet) in sorted(newest.items()):
        found = _get(stack, f"/api/v1/namespaces/{quote(namespace, safe='')}/datasets/{quote(name, safe='')}")
        expected = [(f.path, f.type) for f in schema_fields(facet)]
        assert [(f["name"], f["type"]) for f in found["fields"]] == expected, (namespace, name)


def test_every_declared_column_edge_is_read_through_column_lineage(
    stack: Stack, replayed: list[dict[str, Any]]
) -> None:
    """Edges of each job's latest run are served by /column-lineage; older runs' edges are kept."""
    with stack.database.session() as session:
        edge_runs = {row[0] for row in session.execute(sa.select(t.job.c.edge_run_uuid)) if row[0]}
        stored = session.execute(sa.select(sa.func.count()).select_from(t.column_edge)).scalar_one()
    checked = 0
    for event in replayed:
        current = run_uuid(event["run"]["runId"]) in edge_runs if "run" in event else False
        for output in event.get("outputs") or []:
            for edge in declared_edges((output.get("facets") or {}).get("columnLineage")):
                if not edge.target_field or not current:
                    continue
                node = f"datasetField:{output['namespace']}:{output['name']}:{edge.target_field}"
                graph = _get(stack, "/api/v1/column-lineage", nodeId=node, depth=1)["graph"]
                (target,) = [n for n in graph if n["id"] == node]
                sources = {(i["namespace"], i["dataset"], i["field"]) for i in target["data"]["inputFields"]}
                assert (edge.source_namespace, edge.source_name, edge.source_field) in sources, node
                checked += 1
    assert checked > 100 and stored >= checked // 2


def test_column_lineage_of_a_whole_dataset_is_what_marquez_ui_asks_for(
    stack: Stack, replayed: list[dict[str, Any]]
) -> None:
    """The UI sends nodeId=dataset:...; every node has data and edges in Marquez's direction."""
    graph = _get(
        stack,
        "/api/v1/column-lineage",
        nodeId="dataset:food_delivery:public.delivery_7_days",
        depth=2,
        withDownstream="true",
    )["graph"]
    assert graph
    for node in graph:
        assert node["id"].startswith("datasetField:") and node["data"]["field"]
        for edge in node["inEdges"]:
            assert edge["origin"] == node["id"]


def test_hostile_sql_through_the_worker_ends_unparsed(stack: Stack, replayed: list[dict[str, Any]]) -> None:
    """A deeply nested statement is screened in the worker; the run shows why, nothing is retried."""
    event = run_event("COMPLETE", job="hostile", namespace="airflow")
    event["job"]["facets"] = {"sql": {"query": "SELECT " + "(" * 20000 + "1" + ")" * 20000}}
    assert stack.post(event).status_code == 201
    stack.wait_processed(timeout=60)
    run = _get(stack, f"/api/v1/jobs/runs/{event['run']['runId']}")
    assert run["sqlUnparsed"]["reason"]
    assert stack.outbox_count(OutboxStatus.DEAD) == 0
