"""The read calls of Marquez's web UI, as it sends them, answer every field it dereferences.

Each row of the read table in ``shared/corpora/marquez/WEB_UI.md`` (#1 to #16) is a case: the
request exactly as the UI builds it (names ``encodeURIComponent``-ed in paths and node ids, ``q``
and ``timezone`` unencoded, times with a literal ``Z``) and the fields it reads, each with the
type it must have. A path like ``jobs[].latestRuns[].id`` means that field of every item, and at
least one item must be there, so a case cannot pass on an empty answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.builders import BASE_TIME, encode, run_event
from tests.graph_events import column_lineage, dataset, fold, schema

# Names holding "/", ":" and "@", as real estates have them.
LAKE = "s3://blob-sink"
WAREHOUSE = "postgres://svc@warehouse.internal:5432"
ORCHESTRATOR = "airflow@prod:8080"
RAW = "raw/events:2024@v1"
TABLE = "instance.schema.table"
JOB = "etl/daily:load@v2"
STREAM_JOB = "flink/plays:sessionize"
FAILING_JOB = "nightly@backfill"
RUN_ID = str(uuid.UUID(int=101))

NULLABLE_STR = (str, type(None))
NULLABLE_INT = (int, type(None))


def _estate() -> list[dict[str, Any]]:
    raw = dataset(LAKE, RAW, schema=schema("user_id", "meta:source", "geo/country"))
    table = dataset(
        WAREHOUSE,
        TABLE,
        schema=schema(("user_id", "BIGINT"), ("country", "VARCHAR")),
        columnLineage=column_lineage(
            {
                "user_id": [(LAKE, RAW, "user_id", "DIRECT/IDENTITY")],
                "country": [(LAKE, RAW, "geo/country", "DIRECT/TRANSFORMATION")],
            }
        ),
        documentation={"description": "users by country"},
        dataQualityAssertions={
            "assertions": [{"assertion": "not_null", "column": "user_id", "success": True}]
        },
        tags={"tags": [{"key": "pii", "value": "true", "source": "MANUAL"}]},
    )
    job_facets = {
        "sql": {"query": "INSERT INTO instance.schema.table SELECT user_id, country FROM raw"},
        "sourceCode": {"language": "python", "sourceCode": "print('load')"},
        "sourceCodeLocation": {"type": "git", "url": "https://git.example/etl/daily.py"},
        "documentation": {"description": "loads users"},
    }

    def load(event_type: str, minutes: int) -> dict[str, Any]:
        event = run_event(
            event_type,
            run_id=RUN_ID,
            at=BASE_TIME + timedelta(minutes=minutes),
            job=JOB,
            namespace=ORCHESTRATOR,
            inputs=[raw],
            outputs=[table],
        )
        event["job"]["facets"] = job_facets
        return event

    failing = str(uuid.UUID(int=102))
    return [
        load("START", 0),
        load("COMPLETE", 7),
        run_event(
            "START",
            at=BASE_TIME + timedelta(minutes=3),
            job=STREAM_JOB,
            namespace=ORCHESTRATOR,
            inputs=[dataset(LAKE, RAW)],
            outputs=[dataset(LAKE, "sessions")],
        ),
        run_event("START", run_id=failing, at=BASE_TIME, job=FAILING_JOB, namespace=ORCHESTRATOR),
        run_event(
            "FAIL",
            run_id=failing,
            at=BASE_TIME + timedelta(minutes=1),
            job=FAILING_JOB,
            namespace=ORCHESTRATOR,
        ),
    ]


@pytest.fixture
def ui(session: Session, client: FlaskClient, read_token: str) -> Iterator[FlaskClient]:
    """The client, with the estate folded and the read token sent on every request."""
    fold(session, _estate())
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {read_token}"
    yield client


def values(document: Any, path: str) -> list[Any]:
    """The values at ``path``: dotted keys, ``[]`` for every item of a list (at least one)."""
    found = [document]
    for step in path.split("."):
        key, every = (step[:-2], True) if step.endswith("[]") else (step, False)
        next_found = []
        for parent in found:
            value = parent
            if key:
                assert isinstance(parent, dict) and key in parent, f"{path}: no {key!r} in {parent!r:.200}"
                value = parent[key]
            if every:
                assert isinstance(value, list) and value, f"{path}: {key or 'answer'} is not a non-empty list"
                next_found.extend(value)
            else:
                next_found.append(value)
        found = next_found
    return found


@dataclass(frozen=True)
class Row:
    """One call of the UI: where, the URL as it sends it, and the fields it reads with their types."""

    number: int
    url: str
    reads: dict[str, type | tuple[type, ...]]


RUN_STATE = "FAILED"
DAY_START, DAY_END = "2026-01-05T00:00:00.000Z", "2026-01-05T23:59:59.000Z"
DATASET_NODE = f"dataset:{encode(WAREHOUSE)}:{encode(TABLE)}"
JOB_NODE = f"job:{encode(ORCHESTRATOR)}:{encode(JOB)}"

ROWS = [
    Row(1, "/api/v1/namespaces", {"namespaces[].name": str, "namespaces[].isHidden": bool}),
    Row(2, "/api/v1/tags", {"tags[].name": str, "tags[].description": NULLABLE_STR}),
    *(
        Row(
            3,
            f"/api/v1/stats/lineage-events?period={period}&timezone=Europe/Berlin",
            {
                "[].startInterval": str,
                "[].endInterval": str,
                "[].start": int,
                "[].complete": int,
                "[].fail": int,
                "[].abort": int,
            },
        )
        for period in ("DAY", "WEEK")
    ),
    *(
        Row(
            4,
            f"/api/v1/stats/{what}?period=DAY&timezone=Europe/Berlin",
            {"[].startInterval": str, "[].endInterval": str, "[].count": int},
        )
        for what in ("jobs", "datasets", "sources")
    ),
    *(
        Row(
            5,
            f"/api/v1/jobs?limit=10&offset=0{extra}",
            {
                "totalCount": int,
                "jobs[].id.namespace": str,
                "jobs[].id.name": str,
                "jobs[].name": str,
                "jobs[].namespace": str,
                "jobs[].type": str,
                "jobs[].tags": list,
                "jobs[].createdAt": str,
                "jobs[].updatedAt": str,
                "jobs[].latestRun.state": str,
                "jobs[].latestRun.durationMs": NULLABLE_INT,
                "jobs[].latestRuns[].id": str,
                "jobs[].latestRuns[].state": str,
                "jobs[].latestRuns[].durationMs": NULLABLE_INT,
            },
        )
        for extra in ("", f"&lastRunStates={RUN_STATE}")
    ),
    Row(
        6,
        f"/api/v1/namespaces/{encode(ORCHESTRATOR)}/jobs?limit=20&offset=0",
        {
            "totalCount": int,
            "jobs[].name": str,
            "jobs[].namespace": str,
            "jobs[].updatedAt": str,
            "jobs[].latestRun.state": str,
            "jobs[].latestRun.durationMs": NULLABLE_INT,
        },
    ),
    Row(
        7,
        f"/api/v1/namespaces/{encode(WAREHOUSE)}/datasets?limit=20&offset=0",
        {
            "totalCount": int,
            "datasets[].name": str,
            "datasets[].sourceName": str,
            "datasets[].updatedAt": str,
            "datasets[].deleted": bool,
            "datasets[].facets.dataQualityAssertions.assertions[].assertion": str,
            "datasets[].facets.dataQualityAssertions.assertions[].column": str,
            "datasets[].facets.dataQualityAssertions.assertions[].success": bool,
            "datasets[].columnLineage[].name": str,
            "datasets[].id.namespace": str,
            "datasets[].id.name": str,
        },
    ),
    *(
        Row(
            8,
            f"/api/v1/lineage?nodeId={node}&depth=2",
            {
                "graph[].id": str,
                "graph[].type": str,
                "graph[].inEdges": list,
                "graph[].outEdges": list,
                "graph[].data.name": str,
                "graph[].data.namespace": str,
                "graph[].data.description": NULLABLE_STR,
                "graph[].data.updatedAt": str,
            },
        )
        for node in (DATASET_NODE, JOB_NODE)
    ),
    Row(
        9,
        f"/api/v1/namespaces/{encode(WAREHOUSE)}/datasets/{encode(TABLE)}",
        {
            "name": str,
            "namespace": str,
            "description": NULLABLE_STR,
            "tags": list,
            "createdAt": str,
            "type": str,
            "fields[].name": str,
            "fields[].type": NULLABLE_STR,
            "fields[].description": NULLABLE_STR,
            "fields[].tags": list,
            "facets": dict,
            "facets.dataQualityAssertions": dict,
            "columnLineage[].name": str,
        },
    ),
    Row(
        10,
        f"/api/v1/namespaces/{encode(WAREHOUSE)}/datasets/{encode(TABLE)}/versions?limit=10&offset=0",
        {
            "totalCount": int,
            "versions[].version": str,
            "versions[].createdAt": str,
            "versions[].fields": list,
            "versions[].createdByRun.id": str,
            "versions[].lifecycleState": NULLABLE_STR,
            "versions[].facets": dict,
        },
    ),
    Row(
        11,
        f"/api/v1/namespaces/{encode(ORCHESTRATOR)}/jobs/{encode(JOB)}",
        {
            "name": str,
            "namespace": str,
            "description": NULLABLE_STR,
            "location": NULLABLE_STR,
            "createdAt": str,
            "updatedAt": str,
            "type": str,
            "tags": list,
            "parentJobName": NULLABLE_STR,
            "latestRun.id": str,
            "latestRun.state": str,
            "latestRun.startedAt": NULLABLE_STR,
            "latestRun.facets": dict,
            "latestRuns[].state": str,
            "latestRuns[].endedAt": NULLABLE_STR,
            "latestRuns[].durationMs": NULLABLE_INT,
        },
    ),
    *(
        Row(
            12,
            f"/api/v1/namespaces/{encode(ORCHESTRATOR)}/jobs/{encode(JOB)}/runs?{paging}",
            {
                "totalCount": int,
                "runs[].id": str,
                "runs[].state": str,
                "runs[].createdAt": str,
                "runs[].startedAt": NULLABLE_STR,
                "runs[].endedAt": NULLABLE_STR,
                "runs[].durationMs": NULLABLE_INT,
                "runs[].facets": dict,
            },
        )
        for paging in ("limit=14&offset=0", "limit=10&offset=0")
    ),
    Row(
        13,
        f"/api/v1/jobs/runs/{RUN_ID}/facets?type=job",
        {
            "facets": dict,
            "facets.sql.query": str,
            "facets.sourceCode.sourceCode": str,
            "facets.sourceCode.language": str,
        },
    ),
    Row(
        14,
        f"/api/v1/column-lineage?nodeId={DATASET_NODE}&depth=2&withDownstream=true",
        {
            "graph[].id": str,
            "graph[].data.namespace": str,
            "graph[].data.dataset": str,
            "graph[].data.field": str,
            "graph[].inEdges": list,
            "graph[].outEdges": list,
        },
    ),
    Row(
        15,
        f"/api/v1/events/lineage?limit=50&before={DAY_END}&after={DAY_START}&offset=0&sortDirection=desc",
        {
            "totalCount": int,
            "events[].eventType": str,
            "events[].eventTime": str,
            "events[].run.runId": str,
            "events[].job.name": str,
            "events[].job.namespace": str,
        },
    ),
    *(
        Row(
            16,
            f"/api/v1/search?q={q}&sort={sort}&limit=100{extra}",
            {
                "results[].name": str,
                "results[].namespace": str,
                "results[].type": str,
                "results[].nodeId": str,
                "results[].updatedAt": str,
            },
        )
        for q, sort, extra in (
            ("instance.sch", "UPDATE_AT", ""),
            ("etl/daily:load@", "NAME", "&filter=JOB"),
            ("raw/events:2024@", "UPDATE_AT", "&filter=DATASET"),
        )
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.number}:{row.url[8:60]}")
def test_every_field_the_ui_reads_is_there_with_its_type(ui: FlaskClient, row: Row) -> None:
    """The UI's call answers 200 with each field it dereferences, of the type it expects."""
    response = ui.get(row.url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_json()
    for path, kind in row.reads.items():
        for value in values(body, path):
            assert isinstance(value, kind), f"#{row.number} {path}: {value!r:.100} is not {kind}"


def _graph(ui: FlaskClient, url: str) -> dict[str, dict[str, Any]]:
    return {node["id"]: node for node in ui.get(url).get_json()["graph"]}


def test_lineage_node_ids_are_the_unencoded_ids_the_ui_centres_on(ui: FlaskClient) -> None:
    """#8: ids are exactly ``<type>:<ns>:<name>``; datasets carry a fields list, jobs a latest run."""
    graph = _graph(ui, f"/api/v1/lineage?nodeId={DATASET_NODE}&depth=2")
    assert f"dataset:{WAREHOUSE}:{TABLE}" in graph
    assert f"job:{ORCHESTRATOR}:{JOB}" in graph
    assert f"dataset:{LAKE}:{RAW}" in graph
    for node_id, node in graph.items():
        kind, _, rest = node_id.partition(":")
        assert node["type"] == kind.upper()
        assert rest == f"{node['data']['namespace']}:{node['data']['name']}"
        if node["type"] == "DATASET":
            assert [f["name"] for f in node["data"]["fields"]] or node["data"]["name"] == "sessions"
            assert isinstance(node["data"]["fields"], list)
        else:
            assert isinstance(node["data"]["latestRun"]["state"], str)
        for edge in node["inEdges"] + node["outEdges"]:
            assert edge["origin"] in graph and edge["destination"] in graph
            assert node_id in (edge["origin"], edge["destination"])
    job_centred = _graph(ui, f"/api/v1/lineage?nodeId={JOB_NODE}&depth=2")
    assert f"job:{ORCHESTRATOR}:{JOB}" in job_centred


def test_column_lineage_of_a_whole_dataset_has_field_nodes_with_marquez_edges(ui: FlaskClient) -> None:
    """#14: called with a dataset's id; edges read {origin: this, destination: input or downstream}."""
    graph = _graph(ui, f"/api/v1/column-lineage?nodeId={DATASET_NODE}&depth=2&withDownstream=true")
    country = graph[f"datasetField:{WAREHOUSE}:{TABLE}:country"]
    assert country["data"] is not None
    assert (country["data"]["namespace"], country["data"]["dataset"], country["data"]["field"]) == (
        WAREHOUSE,
        TABLE,
        "country",
    )
    source = f"datasetField:{LAKE}:{RAW}:geo/country"
    assert country["inEdges"] == [{"origin": country["id"], "destination": source}]
    assert {"origin": source, "destination": country["id"]} in graph[source]["outEdges"]


def test_a_dataset_without_column_lineage_offers_no_view_link(ui: FlaskClient) -> None:
    """#7: the UI shows "VIEW" when columnLineage is truthy; Marquez leaves it null when there is none."""
    listed = ui.get(f"/api/v1/namespaces/{encode(LAKE)}/datasets?limit=20&offset=0").get_json()
    by_name = {d["name"]: d for d in listed["datasets"]}
    assert by_name[RAW]["columnLineage"] is None
    assert by_name["sessions"]["columnLineage"] is None
    one = ui.get(f"/api/v1/namespaces/{encode(LAKE)}/datasets/{encode(RAW)}").get_json()
    assert one["columnLineage"] is None


def test_namespaces_and_names_round_trip_through_the_encoded_paths(ui: FlaskClient) -> None:
    """#1 then #6 and #7: every listed namespace, encoded as the UI does, routes back to itself."""
    names = [n["name"] for n in ui.get("/api/v1/namespaces").get_json()["namespaces"]]
    assert {LAKE, WAREHOUSE, ORCHESTRATOR} <= set(names)
    for name in names:
        assert ui.get(f"/api/v1/namespaces/{encode(name)}").get_json()["name"] == name
        for kind in ("datasets", "jobs"):
            page = ui.get(f"/api/v1/namespaces/{encode(name)}/{kind}?limit=20&offset=0").get_json()
            assert all(item["namespace"] == name for item in page[kind])


def test_job_filter_by_last_run_state_keeps_only_those_jobs(ui: FlaskClient) -> None:
    """#5 with a state chip: only jobs whose latest run failed."""
    page = ui.get(f"/api/v1/jobs?limit=10&offset=0&lastRunStates={RUN_STATE}").get_json()
    assert [(j["name"], j["latestRun"]["state"]) for j in page["jobs"]] == [(FAILING_JOB, "FAILED")]
    assert page["totalCount"] == 1


def test_events_of_the_day_window_built_with_a_literal_z(ui: FlaskClient) -> None:
    """#15: the day's window holds the five events, newest first; the next day's holds none."""
    page = ui.get(
        f"/api/v1/events/lineage?limit=50&before={DAY_END}&after={DAY_START}&offset=0&sortDirection=desc"
    ).get_json()
    assert page["totalCount"] == 5
    times = [e["eventTime"] for e in page["events"]]
    assert times == sorted(times, reverse=True)
    later = ui.get(
        "/api/v1/events/lineage?limit=50&before=2026-01-06T23:59:59.000Z"
        "&after=2026-01-06T00:00:00.000Z&offset=0&sortDirection=desc"
    ).get_json()
    assert later == {"events": [], "totalCount": 0}


def test_search_typed_key_by_key_never_fails(ui: FlaskClient) -> None:
    """#16 sends one request per keystroke with q unencoded; every prefix answers 200."""
    typed = "etl/daily:load@v2"
    for end in range(1, len(typed) + 1):
        response = ui.get(f"/api/v1/search?q={typed[:end]}&sort=UPDATE_AT&limit=100")
        assert response.status_code == 200, (typed[:end], response.get_data(as_text=True))
    final = response.get_json()["results"]
    assert [(r["type"], r["nodeId"]) for r in final] == [("JOB", f"job:{ORCHESTRATOR}:{JOB}")]


def test_stats_take_a_time_zone_holding_a_plus(ui: FlaskClient) -> None:
    """#3: the zone is sent unencoded, so a ``+`` in it (Etc/GMT+1) arrives as a space."""
    response = ui.get("/api/v1/stats/lineage-events?period=DAY&timezone=Etc/GMT+1")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()[0]["startInterval"].endswith("-01:00")
