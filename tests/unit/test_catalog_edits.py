"""The write calls of Marquez's web UI, end to end: tags on datasets, fields and jobs, tag
descriptions, and soft deletes of datasets and jobs, over names holding ``/``, ``:`` and ``@``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from governance.config import Settings
from governance.db import Database
from tests.builders import BASE_TIME, encode, mint_token, run_event
from tests.graph_events import column_lineage, dataset, fold, schema
from tests.unit.problems import assert_problem
from web import create_app

LAKE = "s3://blob-sink"
WAREHOUSE = "postgres://svc@warehouse:5432"
ORCHESTRATOR = "airflow@prod:8080"
RAW = "raw/events:2024@v1"
TABLE = "instance.schema.table"
REPORT = "reports/daily@eu"
LOAD = "etl/daily:load@v2"
PUBLISH = "publish:report"
TAG = "pii:email/v@1"

RAW_PATH = f"/api/v1/namespaces/{encode(LAKE)}/datasets/{encode(RAW)}"
TABLE_PATH = f"/api/v1/namespaces/{encode(WAREHOUSE)}/datasets/{encode(TABLE)}"
LOAD_PATH = f"/api/v1/namespaces/{encode(ORCHESTRATOR)}/jobs/{encode(LOAD)}"
PUBLISH_PATH = f"/api/v1/namespaces/{encode(ORCHESTRATOR)}/jobs/{encode(PUBLISH)}"


def estate() -> list[dict[str, Any]]:
    """lake raw --load--> warehouse table --publish--> warehouse report, with declared column edges."""
    raw = dataset(LAKE, RAW, schema=schema("user_id", "email"))
    table = dataset(
        WAREHOUSE,
        TABLE,
        schema=schema("user_id", "email_hash"),
        columnLineage=column_lineage(
            {
                "user_id": [(LAKE, RAW, "user_id", "DIRECT/IDENTITY")],
                "email_hash": [(LAKE, RAW, "email", "DIRECT/TRANSFORMATION/masked")],
            }
        ),
        tags={
            "tags": [{"key": "gold", "value": ""}, {"key": "owner", "value": "data@team", "field": "user_id"}]
        },
    )
    report = dataset(
        WAREHOUSE,
        REPORT,
        schema=schema("users"),
        columnLineage=column_lineage({"users": [(WAREHOUSE, TABLE, "user_id", "INDIRECT/AGGREGATION")]}),
    )
    load = run_event(
        "COMPLETE", at=BASE_TIME, job=LOAD, namespace=ORCHESTRATOR, inputs=[raw], outputs=[table]
    )
    load["job"]["facets"] = {"tags": {"tags": [{"key": "tier", "value": "1"}]}}
    publish = run_event(
        "COMPLETE",
        at=BASE_TIME + timedelta(minutes=5),
        job=PUBLISH,
        namespace=ORCHESTRATOR,
        inputs=[dataset(WAREHOUSE, TABLE)],
        outputs=[report],
    )
    return [load, publish]


@pytest.fixture
def steward(
    session: Session, client: FlaskClient, database: Database, settings: Settings
) -> Iterator[FlaskClient]:
    """The client, with the estate folded and a token with the read and write scopes on every request."""
    fold(session, estate())
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {mint_token(database, settings, 'read', 'write')}"
    yield client


def ok(response: Any) -> Any:
    """The JSON body of a 200."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


def _field(dataset_json: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in dataset_json["fields"] if f["name"] == name)


def test_tags_added_to_a_dataset_a_field_and_a_job_show_beside_the_facet_tags(steward: FlaskClient) -> None:
    """Each POST answers the object after the change; reads merge stewards' tags with the facets'."""
    tagged = ok(steward.post(f"{TABLE_PATH}/tags/{encode(TAG)}"))
    assert (tagged["name"], tagged["tags"]) == (TABLE, ["gold", TAG])
    tagged = ok(steward.post(f"{TABLE_PATH}/fields/email_hash/tags/{encode(TAG)}"))
    assert _field(tagged, "email_hash")["tags"] == [TAG]
    tagged = ok(steward.post(f"{TABLE_PATH}/fields/user_id/tags/gold"))
    assert _field(tagged, "user_id")["tags"] == ["gold", "owner:data@team"]
    job = ok(steward.post(f"{LOAD_PATH}/tags/{encode(TAG)}"))
    assert (job["name"], job["tags"]) == (LOAD, [TAG, "tier:1"])

    assert ok(steward.get(TABLE_PATH))["tags"] == ["gold", TAG]
    listed = ok(steward.get(f"/api/v1/namespaces/{encode(WAREHOUSE)}/datasets"))["datasets"]
    assert next(d for d in listed if d["name"] == TABLE)["tags"] == ["gold", TAG]
    assert next(j for j in ok(steward.get("/api/v1/jobs"))["jobs"] if j["name"] == LOAD)["tags"] == [
        TAG,
        "tier:1",
    ]
    graph = ok(steward.get(f"/api/v1/lineage?nodeId=dataset:{encode(WAREHOUSE)}:{encode(TABLE)}&depth=1"))
    nodes = {node["id"]: node["data"] for node in graph["graph"]}
    assert nodes[f"dataset:{WAREHOUSE}:{TABLE}"]["tags"] == ["gold", TAG]
    assert nodes[f"job:{ORCHESTRATOR}:{LOAD}"]["tags"] == [TAG, "tier:1"]
    assert {"name": TAG, "description": None} in ok(steward.get("/api/v1/tags"))["tags"]


def test_tagging_twice_changes_nothing(steward: FlaskClient) -> None:
    """A second POST of the same tag, or of one a facet already gives, answers the same object."""
    first = ok(steward.post(f"{LOAD_PATH}/tags/finance"))
    assert ok(steward.post(f"{LOAD_PATH}/tags/finance")) == first
    assert ok(steward.post(f"{TABLE_PATH}/tags/gold"))["tags"] == ["gold"]


def test_a_tag_is_made_then_described_as_the_new_tag_dialog_does(steward: FlaskClient) -> None:
    """PUT /tags/{tag} answers the tag; GET /tags then lists it; PUT again changes its description."""
    made = ok(steward.put("/api/v1/tags/SENSITIVE", json={"description": "handle with care"}))
    assert made == {"name": "SENSITIVE", "description": "handle with care"}
    assert made in ok(steward.get("/api/v1/tags"))["tags"]
    assert ok(steward.put("/api/v1/tags/SENSITIVE", json={"description": None}))["description"] is None
    assert {"name": "SENSITIVE", "description": None} in ok(steward.get("/api/v1/tags"))["tags"]
    assert ok(steward.put(f"/api/v1/tags/{encode(TAG)}", json={}))["name"] == TAG
    assert ok(steward.put("/api/v1/tags/no-body"))["description"] is None


def test_describing_a_facet_tag_keeps_it_a_facet_tag(steward: FlaskClient) -> None:
    """A tag known from a facet can be described; the dataset still carries it."""
    assert ok(steward.put("/api/v1/tags/gold", json={"description": "curated"}))["name"] == "gold"
    assert {"name": "gold", "description": "curated"} in ok(steward.get("/api/v1/tags"))["tags"]
    assert ok(steward.get(TABLE_PATH))["tags"] == ["gold"]


def test_a_stewards_tag_is_removed_and_removing_it_again_changes_nothing(steward: FlaskClient) -> None:
    """DELETE answers the object without the tag; a second DELETE answers the same."""
    ok(steward.post(f"{TABLE_PATH}/tags/{encode(TAG)}"))
    ok(steward.post(f"{TABLE_PATH}/fields/email_hash/tags/{encode(TAG)}"))
    ok(steward.post(f"{LOAD_PATH}/tags/{encode(TAG)}"))
    untagged = ok(steward.delete(f"{TABLE_PATH}/tags/{encode(TAG)}"))
    assert untagged["tags"] == ["gold"]
    assert ok(steward.delete(f"{TABLE_PATH}/tags/{encode(TAG)}")) == untagged
    assert (
        _field(ok(steward.delete(f"{TABLE_PATH}/fields/email_hash/tags/{encode(TAG)}")), "email_hash")["tags"]
        == []
    )
    assert ok(steward.delete(f"{LOAD_PATH}/tags/{encode(TAG)}"))["tags"] == ["tier:1"]
    assert {"name": TAG, "description": None} in ok(steward.get("/api/v1/tags"))["tags"]


@pytest.mark.parametrize(
    "path",
    [
        f"{TABLE_PATH}/tags/gold",
        f"{TABLE_PATH}/fields/user_id/tags/{encode('owner:data@team')}",
        f"{LOAD_PATH}/tags/{encode('tier:1')}",
    ],
    ids=["dataset", "field", "job"],
)
def test_a_tag_from_a_facet_cannot_be_removed_by_a_steward(steward: FlaskClient, path: str) -> None:
    """409 tag-from-facet: only the producer's next event can drop it; nothing changes."""
    body = assert_problem(steward.delete(path), 409, "tag-from-facet")
    assert "tags facet" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code", "says"),
    [
        ("post", f"/api/v1/namespaces/nowhere/datasets/{encode(TABLE)}/tags/x", 404, "not-found", "nowhere"),
        (
            "post",
            f"/api/v1/namespaces/{encode(WAREHOUSE)}/datasets/nothing/tags/x",
            404,
            "not-found",
            "nothing",
        ),
        ("post", f"{TABLE_PATH}/fields/no_such_field/tags/x", 404, "not-found", "no_such_field"),
        ("post", f"/api/v1/namespaces/{encode(ORCHESTRATOR)}/jobs/nobody/tags/x", 404, "not-found", "nobody"),
        ("delete", f"{TABLE_PATH}/tags/never-made", 404, "tag-not-found", "never-made"),
        ("delete", f"{LOAD_PATH}/tags/never-made", 404, "tag-not-found", "never-made"),
        ("delete", f"/api/v1/namespaces/{encode(WAREHOUSE)}/datasets/nothing", 404, "not-found", "nothing"),
        ("delete", f"/api/v1/namespaces/{encode(ORCHESTRATOR)}/jobs/nobody", 404, "not-found", "nobody"),
        ("delete", "/api/v1/namespaces/nowhere/jobs/nobody", 404, "not-found", "nowhere"),
        ("post", f"{TABLE_PATH}/tags/{'x' * 256}", 422, "invalid-input", "255"),
        ("post", f"{TABLE_PATH}/tags/%20%20", 422, "invalid-input", "blank"),
        ("post", f"{LOAD_PATH}/tags/a%00b", 422, "invalid-input", "control"),
        ("put", "/api/v1/tags/a%0Ab", 422, "invalid-input", "control"),
    ],
)
def test_bad_writes_are_problems_that_say_what_is_wrong(
    steward: FlaskClient, method: str, path: str, status: int, code: str, says: str
) -> None:
    """Unknown namespaces, datasets, jobs, fields and tags are 404; bad tag names 422."""
    body = assert_problem(getattr(steward, method)(path), status, code)
    assert says in body["detail"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "says"),
    [
        (b'{"description": 5}', "application/json", 422, "/description"),
        (b'{"descripton": "typo"}', "application/json", 422, "/descripton"),
        (b'["not", "an", "object"]', "application/json", 422, "the body"),
        (b"{not json", "application/json", 422, "the body"),
        (b'{"description": "a\\u0000b"}', "application/json", 422, "NUL"),
        (b'{"description": "x"}', "text/plain", 415, "Content-Type"),
    ],
)
def test_bad_tag_bodies_are_refused_naming_the_problem(
    steward: FlaskClient, body: bytes, content_type: str, status: int, says: str
) -> None:
    """PUT /tags/{tag} takes {"description": string or null} and nothing else."""
    response = steward.put("/api/v1/tags/SENSITIVE", data=body, content_type=content_type)
    assert says in assert_problem(response, status)["detail"]
    assert "SENSITIVE" not in {t["name"] for t in ok(steward.get("/api/v1/tags"))["tags"]}


def test_a_deleted_dataset_is_hidden_as_marquez_hides_it(steward: FlaskClient) -> None:
    """Lists, GET, search, lineage, column lineage, job IO and counts leave it out; a second DELETE is 404."""
    before = ok(steward.get("/api/v1/stats/datasets?period=WEEK&timezone=UTC"))[-1]["count"]
    deleted = ok(steward.delete(TABLE_PATH))
    assert (deleted["name"], deleted["namespace"], deleted["deleted"]) == (TABLE, WAREHOUSE, True)

    assert_problem(steward.get(TABLE_PATH), 404)
    assert_problem(steward.delete(TABLE_PATH), 404)
    assert_problem(steward.post(f"{TABLE_PATH}/tags/x"), 404)
    listed = ok(steward.get(f"/api/v1/namespaces/{encode(WAREHOUSE)}/datasets?limit=20&offset=0"))
    assert [d["name"] for d in listed["datasets"]] == [REPORT] and listed["totalCount"] == 1
    assert ok(steward.get("/api/v1/search?q=instance&sort=UPDATE_AT&limit=100"))["totalCount"] == 0
    assert ok(steward.get("/api/v1/stats/datasets?period=WEEK&timezone=UTC"))[-1]["count"] == before - 1
    assert_problem(
        steward.get(f"/api/v1/lineage?nodeId=dataset:{encode(WAREHOUSE)}:{encode(TABLE)}&depth=2"), 404
    )

    graph = ok(steward.get(f"/api/v1/lineage?nodeId=dataset:{encode(LAKE)}:{encode(RAW)}&depth=5"))["graph"]
    assert {node["id"] for node in graph} == {f"dataset:{LAKE}:{RAW}", f"job:{ORCHESTRATOR}:{LOAD}"}
    job = next(node for node in graph if node["type"] == "JOB")
    assert job["outEdges"] == [] and job["data"]["outputs"] == []
    columns = ok(
        steward.get(f"/api/v1/column-lineage?nodeId=dataset:{encode(LAKE)}:{encode(RAW)}&withDownstream=true")
    )["graph"]
    assert {node["data"]["dataset"] for node in columns} == {RAW}
    report = ok(steward.get(f"/api/v1/namespaces/{encode(WAREHOUSE)}/datasets/{encode(REPORT)}"))
    assert report["columnLineage"] is None


def test_a_deleted_job_is_hidden_and_so_are_the_paths_through_it(steward: FlaskClient) -> None:
    """The job leaves the lists, search and lineage; its datasets stay, no longer joined through it."""
    deleted = ok(steward.delete(PUBLISH_PATH))
    assert (deleted["name"], deleted["namespace"]) == (PUBLISH, ORCHESTRATOR)

    assert_problem(steward.get(PUBLISH_PATH), 404)
    assert_problem(steward.get(f"{PUBLISH_PATH}/runs"), 404)
    assert_problem(steward.delete(PUBLISH_PATH), 404)
    assert [j["name"] for j in ok(steward.get("/api/v1/jobs?limit=10&offset=0"))["jobs"]] == [LOAD]
    assert ok(steward.get("/api/v1/search?q=publish&sort=NAME&limit=100"))["results"] == []
    graph = ok(steward.get(f"/api/v1/lineage?nodeId=dataset:{encode(WAREHOUSE)}:{encode(TABLE)}&depth=5"))
    assert f"dataset:{WAREHOUSE}:{REPORT}" not in {node["id"] for node in graph["graph"]}
    impact = ok(
        steward.get(f"/api/v1/impact?nodeId=datasetField:{encode(WAREHOUSE)}:{encode(TABLE)}:user_id")
    )
    assert impact["columns"] == [] and impact["jobs"] == []
    assert (
        ok(steward.get(f"/api/v1/namespaces/{encode(WAREHOUSE)}/datasets/{encode(REPORT)}"))["name"] == REPORT
    )


def test_a_new_event_brings_back_a_deleted_dataset_and_job(steward: FlaskClient, session: Session) -> None:
    """As in Marquez, a soft delete lasts until a producer names the dataset or job again."""
    ok(steward.delete(TABLE_PATH))
    ok(steward.delete(PUBLISH_PATH))
    assert_problem(steward.get(TABLE_PATH), 404)
    fold(
        session,
        [
            run_event(
                "COMPLETE",
                at=BASE_TIME + timedelta(hours=1),
                job=PUBLISH,
                namespace=ORCHESTRATOR,
                inputs=[dataset(WAREHOUSE, TABLE)],
                outputs=[dataset(WAREHOUSE, REPORT)],
            )
        ],
    )
    assert ok(steward.get(TABLE_PATH))["deleted"] is False
    assert ok(steward.get(PUBLISH_PATH))["name"] == PUBLISH
    graph = ok(steward.get(f"/api/v1/lineage?nodeId=dataset:{encode(WAREHOUSE)}:{encode(TABLE)}&depth=5"))
    assert f"dataset:{WAREHOUSE}:{REPORT}" in {node["id"] for node in graph["graph"]}


def test_job_facet_tags_are_in_the_tag_list(steward: FlaskClient) -> None:
    """Tags a producer puts on a job are known tags, as those on datasets are."""
    names = {tag["name"] for tag in ok(steward.get("/api/v1/tags"))["tags"]}
    assert {"tier:1", "gold", "owner:data@team"} <= names


def test_writes_need_the_write_scope(
    session: Session, client: FlaskClient, database: Database, settings: Settings
) -> None:
    """No token is 401, a read token 403; write and admin tokens may edit."""
    fold(session, estate())
    reader = mint_token(database, settings, "read")
    for call in (
        lambda headers: client.post(f"{TABLE_PATH}/tags/x", headers=headers),
        lambda headers: client.delete(f"{TABLE_PATH}/fields/user_id/tags/x", headers=headers),
        lambda headers: client.put("/api/v1/tags/x", json={"description": "d"}, headers=headers),
        lambda headers: client.delete(PUBLISH_PATH, headers=headers),
    ):
        assert_problem(call({}), 401, "unauthenticated")
        assert "write" in assert_problem(call({"Authorization": f"Bearer {reader}"}), 403)["detail"]
    for scope in ("write", "admin"):
        token = mint_token(database, settings, scope)
        response = client.post(f"{LOAD_PATH}/tags/{scope}", headers={"Authorization": f"Bearer {token}"})
        assert ok(response)["name"] == LOAD


def test_write_auth_off_takes_edits_without_a_token(settings: Settings, session: Session) -> None:
    """HEADWATER_WRITE_AUTH=off, for Marquez's UI on a trusted network: no token needed to edit."""
    fold(session, estate())
    app: Flask = create_app(settings.model_copy(update={"write_auth": "off"}), enqueue=lambda *_: None)
    try:
        client = app.test_client()
        assert ok(client.put("/api/v1/tags/open", json={"description": None}))["name"] == "open"
        assert ok(client.delete(PUBLISH_PATH))["name"] == PUBLISH
        assert_problem(client.get(TABLE_PATH), 401)  # reads still need their own switch
    finally:
        app.extensions["headwater"].database.dispose()


def test_a_run_of_a_deleted_job_stays_readable_by_its_id(steward: FlaskClient, session: Session) -> None:
    """Soft delete hides the job; its runs' history is kept, as in Marquez."""
    run_id = str(uuid.uuid4())
    fold(session, [run_event("COMPLETE", run_id=run_id, at=BASE_TIME, job="short:lived", namespace="x@y")])
    ok(steward.delete(f"/api/v1/namespaces/{encode('x@y')}/jobs/{encode('short:lived')}"))
    assert ok(steward.get(f"/api/v1/jobs/runs/{run_id}"))["id"] == run_id
