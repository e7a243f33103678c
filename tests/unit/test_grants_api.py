"""Grants through the API: a hidden dataset or job never leaks its name, lookups of it are 404
as for an unknown one, and walks keep it as a restricted node."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from governance.access import Grant, Role, Scope, create_token, grant
from governance.clock import utcnow
from governance.config import Settings
from governance.db import Database
from tests.builders import BASE_TIME, run_event
from tests.graph_events import column_lineage, dataset, fold, schema
from tests.unit.sessions import add_user

# Three teams, each with a namespace of datasets and one of jobs; every name carries its team's word.
TEAMS = ("alpha", "bravo", "charlie")


def _ns(team: str) -> str:
    return f"s3://{team}lake"


def _job_ns(team: str) -> str:
    return f"airflow-{team}"


def _estate() -> list[dict[str, Any]]:
    """alpha's job copies alpharaw into bravocurated; bravo's job turns that into charliereport (SQL)."""
    raw = dataset(_ns("alpha"), "alpharaw", schema=schema("alphaid", "alphaemail"))
    curated = dataset(
        _ns("bravo"),
        "bravocurated",
        schema=schema("bravoid", "bravohash"),
        columnLineage=column_lineage(
            {
                "bravoid": [(_ns("alpha"), "alpharaw", "alphaid", "DIRECT/IDENTITY")],
                "bravohash": [(_ns("alpha"), "alpharaw", "alphaemail", "DIRECT/TRANSFORMATION/masked")],
            }
        ),
    )
    report = dataset(
        _ns("charlie"),
        "charliereport",
        schema=schema("charlieid"),
        columnLineage=column_lineage(
            {"charlieid": [(_ns("bravo"), "bravocurated", "bravoid", "DIRECT/IDENTITY")]}
        ),
    )
    first = run_event(
        "COMPLETE", at=BASE_TIME, job="alphacopy", namespace=_job_ns("alpha"), inputs=[raw], outputs=[curated]
    )
    second = run_event(
        "COMPLETE",
        at=BASE_TIME + timedelta(minutes=5),
        job="bravoreport",
        namespace=_job_ns("bravo"),
        inputs=[dataset(_ns("bravo"), "bravocurated")],
        outputs=[report],
    )
    second["job"]["facets"] = {
        "sql": {"query": "INSERT INTO charliereport SELECT bravoid AS charlieid FROM bravocurated"}
    }
    return [first, second]


def _token(
    database: Database,
    settings: Settings,
    teams: list[str],
    scopes: frozenset[Scope] = frozenset({Scope.READ}),
) -> str:
    """A token (a read one by default) limited to the teams' dataset and job namespaces."""
    with database.session() as session:
        created = create_token(
            session,
            name="limited",
            scopes=scopes,
            pepper=settings.token_pepper(),
            now=utcnow(),
        )
        for team in teams:
            for namespace in (_ns(team), _job_ns(team)):
                grant(session, grant=Grant(namespace, "*"), now=utcnow(), token_id=created.info.id)
    return created.secret


def _reads() -> list[str]:
    """Every read route, once per node of the estate."""
    paths = ["/api/v1/namespaces", "/api/v1/jobs", "/api/v1/tags", "/api/v1/events/lineage"]
    paths += [f"/api/v1/search?q={q}" for q in ("a", "raw", "report", "id", "hash", "copy")]
    paths += [f"/api/v1/stats/{what}" for what in ("jobs", "datasets", "sources", "lineage-events")]
    for team, name in (("alpha", "alpharaw"), ("bravo", "bravocurated"), ("charlie", "charliereport")):
        ns = quote(_ns(team), safe="")
        paths += [f"/api/v1/namespaces/{ns}", f"/api/v1/namespaces/{ns}/datasets"]
        paths += [
            f"/api/v1/namespaces/{ns}/datasets/{name}",
            f"/api/v1/namespaces/{ns}/datasets/{name}/versions",
        ]
        node = quote(f"dataset:{_ns(team)}:{name}", safe=":")
        paths += [
            f"/api/v1/lineage?nodeId={node}",
            f"/api/v1/column-lineage?nodeId={node}&withDownstream=true",
        ]
        paths += [f"/api/v1/impact?nodeId={node}", f"/api/v1/impact?nodeId={node}&direction=upstream"]
    for team, job in (("alpha", "alphacopy"), ("bravo", "bravoreport")):
        ns = quote(_job_ns(team), safe="")
        paths += [f"/api/v1/namespaces/{ns}/jobs", f"/api/v1/namespaces/{ns}/jobs/{job}"]
        paths += [f"/api/v1/namespaces/{ns}/jobs/{job}/runs", f"/api/v1/namespaces/{ns}/jobs/{job}/versions"]
        paths += [f"/api/v1/lineage?nodeId={quote(f'job:{_job_ns(team)}:{job}', safe=':')}"]
    return paths


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TEAMS), min_size=1, max_size=2, unique=True))
def test_a_hidden_node_never_leaks_its_name_in_any_answer(
    session: Session, client: FlaskClient, database: Database, settings: Settings, teams: list[str]
) -> None:
    """For any grants, no read answer carries a hidden team's word, and hidden lookups are 404s."""
    folded = session.execute(sa.text("SELECT count(*) FROM dataset")).scalar()
    session.rollback()  # end the read, which holds SQLite's write lock
    if not folded:
        fold(session, _estate())
    auth = {"Authorization": f"Bearer {_token(database, settings, teams)}"}
    hidden = [t for t in TEAMS if t not in teams]
    for path in _reads():
        response = client.get(path, headers=auth)
        text = response.get_data(as_text=True)
        assert response.status_code in {200, 404}, (path, text[:300])
        if response.status_code == 404:
            # Only what the caller asked for by a hidden name is unknown; the answer echoes only that.
            assert any(word in path for word in hidden), path
            continue
        for word in hidden:
            assert word not in text, (path, word, text[:500])
    # Runs too: a hidden job's run is unknown.
    for run in client.get("/api/v1/jobs", headers=auth).get_json()["jobs"]:
        assert run["namespace"].removeprefix("airflow-") in teams


def test_a_hidden_dataset_is_404_exactly_as_an_unknown_one(
    session: Session, client: FlaskClient, database: Database, settings: Settings
) -> None:
    """Same status, same body (but the path), so that existence cannot be told apart."""
    fold(session, _estate())
    auth = {"Authorization": f"Bearer {_token(database, settings, ['alpha'])}"}
    ns = quote(_ns("bravo"), safe="")
    hidden = client.get(f"/api/v1/namespaces/{ns}/datasets/bravocurated", headers=auth).get_json()
    unknown = client.get(f"/api/v1/namespaces/{ns}/datasets/bravonothing", headers=auth).get_json()
    assert hidden["status"] == unknown["status"] == 404
    assert hidden["detail"].replace("bravocurated", "X") == unknown["detail"].replace("bravonothing", "X")
    assert hidden["type"] == unknown["type"] and hidden["title"] == unknown["title"]


def test_walks_keep_hidden_nodes_as_restricted_ones_with_their_edges(
    session: Session, client: FlaskClient, database: Database, settings: Settings
) -> None:
    """alpha sees its dataset and job, and restricted ones downstream; counts are of what it sees."""
    fold(session, _estate())
    auth = {"Authorization": f"Bearer {_token(database, settings, ['alpha'])}"}
    node = quote(f"dataset:{_ns('alpha')}:alpharaw", safe=":")
    graph = client.get(f"/api/v1/lineage?nodeId={node}&depth=5", headers=auth).get_json()["graph"]
    restricted = [n for n in graph if n["restricted"]]
    assert {n["type"] for n in restricted} == {"DATASET", "JOB"}
    assert all(
        n["id"].split(":")[1] == "(restricted)" and n["data"]["name"].startswith("#") for n in restricted
    )
    copy = next(n for n in graph if n["id"] == f"job:{_job_ns('alpha')}:alphacopy")
    assert [e["destination"] for e in copy["outEdges"]] == ["dataset:(restricted):#1"]
    assert len(graph) == 5  # raw, copy, and curated / report / bravo's job, restricted
    datasets = client.get(
        f"/api/v1/namespaces/{quote(_ns('alpha'), safe='')}/datasets", headers=auth
    ).get_json()
    assert datasets["totalCount"] == 1
    assert client.get("/api/v1/search?q=a", headers=auth).get_json()["totalCount"] == 2
    impact = client.get(f"/api/v1/impact?nodeId={node}", headers=auth).get_json()
    assert impact["columns"] and all(c["restricted"] and c["field"] is None for c in impact["columns"])


def test_a_signed_in_users_grants_limit_the_api_and_their_tokens(
    session: Session, client: FlaskClient, database: Database
) -> None:
    """Grants on a user apply to their session and to every token they create."""
    fold(session, _estate())
    user_id = add_user(database, "v@example.org", Role.VIEWER)
    with database.session() as grants_session:
        grant(grants_session, grant=Grant("s3://alpha*"), now=utcnow(), user_id=user_id)
    from tests.unit.sessions import api_csrf, sign_in

    sign_in(client, "v@example.org")
    names = {n["name"] for n in client.get("/api/v1/namespaces").get_json()["namespaces"]}
    assert names == {_ns("alpha")}
    created = client.post(
        "/api/v1/tokens", json={"name": "mine", "scopes": ["read"]}, headers={"X-CSRFToken": api_csrf(client)}
    ).get_json()
    other = client.application.test_client()
    found = other.get(
        "/api/v1/namespaces", headers={"Authorization": f"Bearer {created['secret']}"}
    ).get_json()
    assert {n["name"] for n in found["namespaces"]} == {_ns("alpha")}


def test_a_caller_edits_only_what_its_grants_show(
    session: Session, client: FlaskClient, database: Database, settings: Settings
) -> None:
    """Tagging, untagging and soft-deleting a hidden dataset or job is a 404 as for an unknown one."""
    fold(session, _estate())
    editor = _token(database, settings, ["alpha"], frozenset({Scope.READ, Scope.WRITE}))
    auth = {"Authorization": f"Bearer {editor}"}
    bravo = f"/api/v1/namespaces/{quote(_ns('bravo'), safe='')}/datasets"
    bravo_job = f"/api/v1/namespaces/{quote(_job_ns('bravo'), safe='')}/jobs/bravoreport"
    for method, path in (
        ("POST", f"{bravo}/bravocurated/tags/pii"),
        ("DELETE", f"{bravo}/bravocurated/tags/pii"),
        ("POST", f"{bravo}/bravocurated/fields/bravoid/tags/pii"),
        ("DELETE", f"{bravo}/bravocurated/fields/bravoid/tags/pii"),
        ("DELETE", f"{bravo}/bravocurated"),
        ("POST", f"{bravo_job}/tags/pii"),
        ("DELETE", f"{bravo_job}/tags/pii"),
        ("DELETE", bravo_job),
    ):
        hidden = client.open(path, method=method, headers=auth).get_json()
        unknown_path = path.replace("bravo", "bravonothing", 1)
        unknown = client.open(unknown_path, method=method, headers=auth).get_json()
        assert hidden["status"] == unknown["status"] == 404, (method, path, hidden)
        assert hidden["type"] == unknown["type"] and hidden["title"] == unknown["title"]
    admin = {"Authorization": f"Bearer {_token(database, settings, [], frozenset({Scope.ADMIN}))}"}
    # An admin token without grants sees everything: nothing changed.
    curated = client.get(f"{bravo}/bravocurated", headers=admin).get_json()
    assert curated["tags"] == [] and all(f["tags"] == [] for f in curated["fields"])
    assert client.get(bravo_job, headers=admin).get_json()["tags"] == []
    alpha = f"/api/v1/namespaces/{quote(_ns('alpha'), safe='')}/datasets/alpharaw"
    tagged = client.post(f"{alpha}/tags/pii", headers=auth)
    assert tagged.status_code == 200 and tagged.get_json()["tags"] == ["pii"]
    assert client.delete(alpha, headers=auth).get_json()["deleted"] is True


def test_soft_deletes_and_grants_both_hide(
    session: Session, client: FlaskClient, database: Database, settings: Settings
) -> None:
    """A deleted dataset is gone for everyone; a hidden one stays a restricted node for the limited caller."""
    fold(session, _estate())
    admin = {"Authorization": f"Bearer {_token(database, settings, [], frozenset({Scope.ADMIN}))}"}
    charlie = f"/api/v1/namespaces/{quote(_ns('charlie'), safe='')}/datasets/charliereport"
    assert client.delete(charlie, headers=admin).status_code == 200
    auth = {"Authorization": f"Bearer {_token(database, settings, ['alpha'])}"}
    node = quote(f"dataset:{_ns('alpha')}:alpharaw", safe=":")
    graph = client.get(f"/api/v1/lineage?nodeId={node}&depth=5", headers=auth).get_json()["graph"]
    # raw and alpha's copy, then bravo's curated dataset and job restricted; the deleted report is cut.
    assert len(graph) == 4
    assert sorted(n["type"] for n in graph if n["restricted"]) == ["DATASET", "JOB"]
    assert client.get("/api/v1/stats/datasets", headers=auth).get_json()[-1]["count"] == 1
    assert client.get("/api/v1/stats/datasets", headers=admin).get_json()[-1]["count"] == 2
    assert client.get("/api/v1/search?q=report", headers=admin).get_json()["totalCount"] == 1  # the job
