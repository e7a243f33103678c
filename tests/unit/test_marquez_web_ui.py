"""The read calls of Marquez's web UI, as it sends them, answer every field it dereferences.

Each row of the read table in ``shared/corpora/marquez/WEB_UI.md`` (#1 to #16) is a case: the
request exactly as the UI builds it (names ``encodeURIComponent``-ed in paths and node ids, ``q``
and ``timezone`` unencoded, times with a literal ``Z``) and the fields it reads, each with the
type it must have, as data in ``tests/fixtures/marquez/web_ui_reads.yaml``. Further tests check
what types cannot: node ids, edges, the state filter, the event window, search per keystroke.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
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


CASES = Path(__file__).parents[1] / "fixtures" / "marquez" / "web_ui_reads.yaml"
TYPES: dict[str, type] = {"str": str, "int": int, "bool": bool, "list": list, "dict": dict}
NAMES = {
    "lake": encode(LAKE),
    "warehouse": encode(WAREHOUSE),
    "orchestrator": encode(ORCHESTRATOR),
    "raw": encode(RAW),
    "table": encode(TABLE),
    "job": encode(JOB),
    "run_id": RUN_ID,
}
DATASET_NODE = "dataset:{warehouse}:{table}".format(**NAMES)
JOB_NODE = "job:{orchestrator}:{job}".format(**NAMES)
DAY_START, DAY_END = "2026-01-05T00:00:00.000Z", "2026-01-05T23:59:59.000Z"


def _kind(name: str) -> type | tuple[type, ...]:
    """``str`` is str, ``str?`` is str or None."""
    base = TYPES[name.rstrip("?")]
    return (base, type(None)) if name.endswith("?") else base


def _calls() -> Iterator[Any]:
    for case in yaml.safe_load(CASES.read_text()):
        reads = {path: _kind(kind) for path, kind in case["reads"].items()}
        for url in case["urls"]:
            yield pytest.param(url.format(**NAMES), reads, id=f"{case['row']}:{url[8:60]}")


@pytest.mark.parametrize(("url", "reads"), list(_calls()))
def test_every_field_the_ui_reads_is_there_with_its_type(
    ui: FlaskClient, url: str, reads: dict[str, type | tuple[type, ...]]
) -> None:
    """The UI's call answers 200 with each field it dereferences, of the type it expects."""
    response = ui.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_json()
    for path, kind in reads.items():
        for value in values(body, path):
            assert isinstance(value, kind), f"{url} {path}: {value!r:.100} is not {kind}"


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
    page = ui.get("/api/v1/jobs?limit=10&offset=0&lastRunStates=FAILED").get_json()
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
