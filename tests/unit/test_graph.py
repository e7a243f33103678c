"""The lineage graph: folded from events by the worker's handler, read through the Marquez API."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, SQLModel

from tests.builders import BASE_TIME, run_event
from tests.graph_events import KAFKA, WAREHOUSE, column_lineage, dataset, fold, graph_snapshot, schema

PLAYS = dataset(KAFKA, "plays", schema=schema("user_id", "track_id", "email", "played_at"))


def _sessionize(run_id: str, event_type: str, minutes: int, **extra: Any) -> dict[str, Any]:
    """The streaming job that turns raw plays into sessions, with declared column lineage."""
    sessions = dataset(
        WAREHOUSE,
        "analytics.public.sessions",
        schema=schema("user_id", "email_hash", "plays"),
        columnLineage=column_lineage(
            {
                "user_id": [(KAFKA, "plays", "user_id", "DIRECT/IDENTITY")],
                "email_hash": [(KAFKA, "plays", "email", "DIRECT/TRANSFORMATION/masked")],
                "plays": [(KAFKA, "plays", "track_id", "DIRECT/AGGREGATION")],
            }
        ),
    )
    return run_event(
        event_type,
        run_id=run_id,
        at=BASE_TIME + timedelta(minutes=minutes),
        job="sessionize",
        namespace="flink://streaming",
        inputs=[PLAYS],
        outputs=[sessions],
        **extra,
    )


def _report(run_id: str, minutes: int, sql: str, declared: dict[str, Any] | None = None) -> dict[str, Any]:
    """A batch job whose SQL reads sessions into a daily report."""
    facets: dict[str, Any] = {"schema": schema("day", "user_id", "plays")}
    if declared is not None:
        facets["columnLineage"] = declared
    return run_event(
        "COMPLETE",
        run_id=run_id,
        at=BASE_TIME + timedelta(minutes=minutes),
        job="daily_report",
        namespace="airflow",
        inputs=[dataset(WAREHOUSE, "analytics.public.sessions")],
        outputs=[dataset(WAREHOUSE, "analytics.public.daily_report", **facets)],
    ) | {"job": {"namespace": "airflow", "name": "daily_report", "facets": {"sql": {"query": sql}}}}


REPORT_SQL = (
    "INSERT INTO analytics.public.daily_report "
    "SELECT CAST(NOW() AS DATE) AS day, user_id, SUM(plays) AS plays "
    "FROM analytics.public.sessions GROUP BY user_id"
)


def _get(client: FlaskClient, token: str, path: str) -> Any:
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, (path, response.get_data(as_text=True)[:500])
    return response.get_json()


def _node(kind: str, *parts: str) -> str:
    return quote(":".join((kind, *parts)), safe=":")


def test_a_streaming_job_is_in_lineage_from_its_start_event(
    session: Session, client: FlaskClient, read_token: str
) -> None:
    """A long-running job that never completes still shows its inputs and outputs."""
    fold(session, [_sessionize(str(uuid.uuid4()), "START", 0)])
    graph = _get(client, read_token, f"/api/v1/lineage?nodeId={_node('dataset', KAFKA, 'plays')}&depth=5")[
        "graph"
    ]
    ids = {node["id"] for node in graph}
    assert ids == {
        f"dataset:{KAFKA}:plays",
        "job:flink://streaming:sessionize",
        f"dataset:{WAREHOUSE}:analytics.public.sessions",
    }
    job = next(n for n in graph if n["type"] == "JOB")
    assert job["data"]["latestRun"]["state"] == "RUNNING"
    for node in graph:
        if node["type"] == "DATASET":
            assert isinstance(node["data"]["fields"], list)


def test_declared_edges_keep_transformation_subtype_and_masking(
    session: Session, client: FlaskClient, read_token: str
) -> None:
    """The columnLineage facet's edges are readable with how each input is used."""
    fold(session, [_sessionize(str(uuid.uuid4()), "COMPLETE", 0)])
    node = _node("datasetField", WAREHOUSE, "analytics.public.sessions", "email_hash")
    graph = _get(client, read_token, f"/api/v1/column-lineage?nodeId={node}&depth=3")["graph"]
    target = next(n for n in graph if n["data"]["field"] == "email_hash")
    (source,) = target["data"]["inputFields"]
    assert (source["dataset"], source["field"], source["transformationType"]) == ("plays", "email", "DIRECT")
    assert source["subtype"] == "TRANSFORMATION" and source["masking"] is True and source["derived"] is False
    assert target["inEdges"] == [
        {
            "origin": f"datasetField:{WAREHOUSE}:analytics.public.sessions:email_hash",
            "destination": f"datasetField:{KAFKA}:plays:email",
        }
    ]


def test_sql_edges_are_derived_and_a_disagreement_with_the_facet_is_kept(
    session: Session, client: FlaskClient, read_token: str
) -> None:
    """Edges from the sql facet are marked derived; where the producer declares otherwise, its edges win."""
    fold(session, [_sessionize(str(uuid.uuid4()), "COMPLETE", 0)])
    fold(session, [_report(str(uuid.uuid4()), 10, REPORT_SQL)])
    node = _node("datasetField", WAREHOUSE, "analytics.public.daily_report", "plays")
    graph = _get(client, read_token, f"/api/v1/column-lineage?nodeId={node}&depth=1")["graph"]
    plays = next(n for n in graph if n["id"].endswith("daily_report:plays"))
    assert [(i["field"], i["derived"]) for i in plays["data"]["inputFields"]] == [("plays", True)]

    # The producer now declares user_id -> plays; the SQL says plays -> plays.
    declared = column_lineage(
        {"plays": [(WAREHOUSE, "analytics.public.sessions", "user_id", "DIRECT/AGGREGATION")]}
    )
    fold(session, [_report(str(uuid.uuid4()), 20, REPORT_SQL, declared)])
    graph = _get(client, read_token, f"/api/v1/column-lineage?nodeId={node}&depth=1")["graph"]
    plays = next(n for n in graph if n["id"].endswith("daily_report:plays"))
    assert [(i["field"], i["derived"]) for i in plays["data"]["inputFields"]] == [("user_id", False)]
    job = _get(client, read_token, "/api/v1/namespaces/airflow/jobs/daily_report")
    assert job["lineageDisagreements"] == [
        {
            "target": {"namespace": WAREHOUSE, "dataset": "analytics.public.daily_report", "field": "plays"},
            "declaredSources": [f"{WAREHOUSE}:analytics.public.sessions:user_id"],
            "derivedSources": [f"{WAREHOUSE}:analytics.public.sessions:plays"],
        }
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT " + "(" * 5000 + "1" + ")" * 5000,
        "SELECT a FROM t WHERE " + " OR ".join(f"a = {i}" for i in range(20000)),
        "SELECT FROM WHERE )(",
    ],
    ids=["deep-nesting", "long-or-chain", "garbage"],
)
def test_hostile_sql_ends_as_sql_unparsed_with_its_reason(
    session: Session, client: FlaskClient, read_token: str, sql: str
) -> None:
    """The event is processed once, its lineage from facets kept, and the reason shown on the run."""
    run_id = str(uuid.uuid4())
    fold(session, [_report(run_id, 10, sql)])
    run = _get(client, read_token, f"/api/v1/jobs/runs/{run_id}")
    assert run["sqlUnparsed"]["reason"]
    assert run["state"] == "COMPLETED"
    job = _get(client, read_token, "/api/v1/namespaces/airflow/jobs/daily_report")
    assert job["sqlUnparsed"] == run["sqlUnparsed"]


def test_as_of_answers_from_the_runs_current_at_that_time(
    session: Session, client: FlaskClient, read_token: str
) -> None:
    """A job that changed its output: now shows the new one, asOf before the change the old one."""
    first = run_event(
        "COMPLETE", at=BASE_TIME, job="export", inputs=[PLAYS], outputs=[dataset(KAFKA, "plays_v1")]
    )
    second = run_event(
        "COMPLETE",
        at=BASE_TIME + timedelta(hours=2),
        job="export",
        inputs=[PLAYS],
        outputs=[dataset(KAFKA, "plays_v2")],
    )
    fold(session, [second, first])
    root = _node("dataset", KAFKA, "plays")

    def outputs(query: str) -> set[str]:
        graph = _get(client, read_token, f"/api/v1/lineage?nodeId={root}&depth=2{query}")["graph"]
        return {n["data"]["name"] for n in graph if n["type"] == "DATASET"} - {"plays"}

    assert outputs("") == {"plays_v2"}
    as_of = quote((BASE_TIME + timedelta(hours=1)).isoformat())
    assert outputs(f"&asOf={as_of}") == {"plays_v1"}


def test_impact_follows_columns_downstream_with_each_hop(
    session: Session, client: FlaskClient, read_token: str
) -> None:
    """From a raw column: the sessions column (masked, declared), then the report column (derived)."""
    fold(session, [_sessionize(str(uuid.uuid4()), "COMPLETE", 0), _report(str(uuid.uuid4()), 10, REPORT_SQL)])
    node = _node("datasetField", KAFKA, "plays", "track_id")
    answer = _get(client, read_token, f"/api/v1/impact?nodeId={node}&direction=downstream")
    by_field = {(c["dataset"], c["field"]): c for c in answer["columns"]}
    assert set(by_field) == {
        ("analytics.public.sessions", "plays"),
        ("analytics.public.daily_report", "plays"),
    }
    report = by_field[("analytics.public.daily_report", "plays")]
    assert report["distance"] == 2 and report["derived"] is True and report["masked"] is False
    assert [hop["job"] for hop in report["path"]] == [
        "job:flink://streaming:sessionize",
        "job:airflow:daily_report",
    ]
    assert {d["name"] for d in answer["datasets"]} == {
        "analytics.public.sessions",
        "analytics.public.daily_report",
    }
    email = _get(
        client, read_token, f"/api/v1/impact?nodeId={_node('datasetField', KAFKA, 'plays', 'email')}"
    )
    assert [c["masked"] for c in email["columns"]] == [True]


def test_names_with_slashes_and_colons_are_one_path_segment(
    session: Session, client: FlaskClient, read_token: str
) -> None:
    """Percent-encoded names route whole, as Marquez's UI sends them."""
    fold(session, [_sessionize(str(uuid.uuid4()), "COMPLETE", 0)])
    dataset_json = _get(client, read_token, f"/api/v1/namespaces/{quote(KAFKA, safe='')}/datasets/plays")
    assert dataset_json["id"] == {"namespace": KAFKA, "name": "plays"}
    assert [f["name"] for f in dataset_json["fields"]] == ["user_id", "track_id", "email", "played_at"]
    listed = _get(client, read_token, f"/api/v1/namespaces/{quote(WAREHOUSE, safe='')}/datasets")
    assert listed["totalCount"] == 1 and listed["datasets"][0]["columnLineage"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/lineage?nodeId=dataset:nowhere:nothing", 404),
        ("/api/v1/lineage?nodeId=table:x:y", 422),
        ("/api/v1/lineage", 422),
        ("/api/v1/lineage?nodeId=dataset:a:b&depth=-1", 422),
        ("/api/v1/column-lineage?nodeId=job:flink%3A%2F%2Fstreaming:sessionize", 422),
        ("/api/v1/impact?nodeId=dataset:a:b&direction=sideways", 422),
        ("/api/v1/namespaces/nowhere/datasets", 404),
        ("/api/v1/jobs/runs/not-a-uuid", 404),
        ("/api/v1/search?q=x&filter=TABLE", 422),
        ("/api/v1/stats/jobs?period=YEAR", 422),
        ("/api/v1/stats/jobs?timezone=Mars/Olympus", 422),
        ("/api/v1/jobs?lastRunStates=DONE", 422),
        ("/api/v1/lineage?nodeId=dataset:a:b&asOf=0001-01-01T00:00:00%2B05:00", 422),
        ("/api/v1/impact?nodeId=dataset:a:b&asOf=9999-12-31T23:59:59-05:00", 422),
    ],
)
def test_bad_reads_are_problems_that_say_what_is_wrong(
    session: Session, client: FlaskClient, read_token: str, path: str, status: int
) -> None:
    """Unknown nodes are 404, malformed arguments 422, each with a detail."""
    fold(session, [_sessionize(str(uuid.uuid4()), "COMPLETE", 0)])
    response = client.get(path, headers={"Authorization": f"Bearer {read_token}"})
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"]


def test_a_facet_sent_as_deleted_is_removed(session: Session, client: FlaskClient, read_token: str) -> None:
    """``_deleted: true`` removes the facet (newest wins); its odd fields never reach the answer."""
    documented = dataset(KAFKA, "plays", documentation={"description": "raw plays"})
    removed = dataset(KAFKA, "plays", documentation={"_deleted": True, "description": 5})
    fold(
        session,
        [
            run_event("COMPLETE", at=BASE_TIME, job="load", outputs=[documented]),
            run_event("COMPLETE", at=BASE_TIME + timedelta(minutes=1), job="load", outputs=[removed]),
        ],
    )
    found = _get(client, read_token, f"/api/v1/namespaces/{quote(KAFKA, safe='')}/datasets/plays")
    assert found["description"] is None and "documentation" not in found["facets"]


def test_search_finds_datasets_by_field_name_and_jobs_by_name(
    session: Session, client: FlaskClient, read_token: str
) -> None:
    """Search is case-insensitive and treats % and _ literally."""
    fold(session, [_sessionize(str(uuid.uuid4()), "COMPLETE", 0)])
    found = _get(client, read_token, "/api/v1/search?q=EMAIL")
    assert {r["name"] for r in found["results"]} == {"plays", "analytics.public.sessions"}
    assert _get(client, read_token, "/api/v1/search?q=SESSION&filter=JOB")["results"][0]["nodeId"] == (
        "job:flink://streaming:sessionize"
    )
    assert _get(client, read_token, "/api/v1/search?q=%25")["totalCount"] == 0


def _estate(run_ids: list[str]) -> list[dict[str, Any]]:
    """Two runs of the streaming job, a report over it, and a schema change between runs."""
    first, second, report = run_ids
    changed = _sessionize(second, "COMPLETE", 30)
    changed["inputs"] = [
        dataset(KAFKA, "plays", schema=schema("user_id", "track_id", "email", "played_at", "country"))
    ]
    return [
        _sessionize(first, "START", 0),
        _sessionize(first, "COMPLETE", 5),
        _sessionize(second, "START", 25),
        changed,
        _report(report, 40, REPORT_SQL),
        run_event(
            "RUNNING",
            run_id=report,
            at=BASE_TIME + timedelta(minutes=35),
            job="daily_report",
            namespace="airflow",
            run={
                "runId": report,
                "facets": {
                    "parent": {
                        "run": {"runId": first},
                        "job": {"namespace": "flink://streaming", "name": "sessionize"},
                    }
                },
            },
        ),
    ]


RUN_IDS = [str(uuid.UUID(int=i + 1)) for i in range(3)]
ESTATE = _estate(RUN_IDS)


def _reset(session: Session) -> None:
    for table in reversed(SQLModel.metadata.sorted_tables):
        if table.name != "alembic_version":
            session.execute(table.delete())
    session.commit()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.permutations(list(range(len(ESTATE)))),
    repeats=st.lists(st.integers(0, len(ESTATE) - 1), max_size=4),
)
def test_the_graph_does_not_depend_on_event_order_or_duplicates(
    session: Session, order: list[int], repeats: list[int]
) -> None:
    """Any order, with redeliveries, folds into the same graph as time order."""
    _reset(session)
    fold(session, ESTATE)
    expected = graph_snapshot(session)
    _reset(session)
    fold(session, [ESTATE[i] for i in [*order, *repeats]])
    assert graph_snapshot(session) == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.permutations(list(range(len(ESTATE)))),
    batches=st.lists(st.integers(1, len(ESTATE)), min_size=1, max_size=len(ESTATE)),
)
def test_the_graph_does_not_depend_on_how_events_are_batched(
    session: Session, order: list[int], batches: list[int]
) -> None:
    """Folding events in batches of any sizes gives the graph of folding them one by one."""
    _reset(session)
    fold(session, ESTATE)
    expected = graph_snapshot(session)
    _reset(session)
    fold(session, [ESTATE[i] for i in order], batches=batches)
    assert graph_snapshot(session) == expected
