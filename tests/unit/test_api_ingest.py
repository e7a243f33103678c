"""POST /api/v1/lineage as a stranger may use it: good events, repeats, and every bad input."""

from __future__ import annotations

import gzip
import io
import json
import os
import time
import uuid
import zlib
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session

from governance.models import LineageEvent, Outbox
from tests.builders import run_event
from tests.unit.problems import assert_problem

URL = "/api/v1/lineage"
MIB = 1024 * 1024


def post(client: FlaskClient, token: str, body: bytes | str, **headers: str) -> Any:
    """POST a raw body with the token."""
    return client.post(
        URL,
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
    )


def stored(session: Session) -> int:
    """How many events are stored (ending the read, which holds SQLite's write lock)."""
    count = int(session.execute(select(func.count()).select_from(LineageEvent)).scalar_one())
    session.rollback()
    return count


def test_valid_event_is_stored_with_its_outbox_row_and_published(
    client: FlaskClient, ingest_token: str, session: Session, published: list[int]
) -> None:
    """201 means the event and its processing job are committed, then it is enqueued."""
    response = post(client, ingest_token, json.dumps(run_event()))
    assert response.status_code == 201
    assert response.get_json()["status"] == "accepted"
    assert response.get_json()["eventHash"].startswith("sha256:")
    assert stored(session) == 1
    assert session.execute(select(func.count()).select_from(Outbox)).scalar_one() == 1
    assert len(published) == 1


def test_the_same_event_sent_six_times_is_stored_once(
    client: FlaskClient, ingest_token: str, session: Session, published: list[int]
) -> None:
    """Re-sends (clients retry after a timeout) are answered 201 and change nothing."""
    event = run_event()
    answers = [post(client, ingest_token, json.dumps(event, indent=i)) for i in range(6)]
    assert [a.status_code for a in answers] == [201] * 6
    assert [a.get_json()["status"] for a in answers] == ["accepted"] + ["duplicate"] * 5
    assert stored(session) == 1
    assert len(published) == 1


def test_gzip_bodies_are_accepted(client: FlaskClient, ingest_token: str) -> None:
    """Content-Encoding: gzip, as the OpenLineage clients send with compression on."""
    body = gzip.compress(json.dumps(run_event()).encode())
    assert post(client, ingest_token, body, **{"Content-Encoding": "gzip"}).status_code == 201


def test_datahub_path_takes_the_same_events(client: FlaskClient, ingest_token: str) -> None:
    """DataHub's OpenLineage path serves the same contract."""
    response = client.post(
        "/openapi/openlineage/api/v1/lineage",
        json=run_event(),
        headers={"Authorization": f"Bearer {ingest_token}"},
    )
    assert response.status_code == 201


def _deep(depth: int) -> bytes:
    event = run_event()
    event["run"]["facets"] = {"deep": {"x": "NESTED"}}
    return json.dumps(event).replace('"NESTED"', "[" * depth + "]" * depth).encode()


HOSTILE: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("malformed JSON", b'{"eventTime": ', {}, 400, "malformed-json"),
    ("invalid UTF-8", b'{"producer": "\xff\xfe"}', {}, 400, "malformed-json"),
    (
        "lone surrogate",
        json.dumps(run_event(producer="\ud800x"))
        .encode("utf-8", "surrogatepass")
        .replace(b"\xed\xa0\x80", b"\\ud800"),
        {},
        400,
        "malformed-json",
    ),
    (
        "NaN",
        json.dumps(run_event()).replace('"inputs": []', '"inputs": NaN').encode(),
        {},
        400,
        "malformed-json",
    ),
    ("Infinity", b'{"eventTime": Infinity}', {}, 400, "malformed-json"),
    ("duplicate keys", b'{"producer": "a", "producer": "b"}', {}, 400, "malformed-json"),
    ("too deep", _deep(2000), {}, 400, "malformed-json"),
    ("far too deep", b"[" * 200_000 + b"]" * 200_000, {}, 400, "malformed-json"),
    ("not an object", b"[1, 2]", {}, 422, "schema-violation"),
    (
        "schema violation",
        json.dumps({"eventTime": "2024-01-01T00:00:00Z"}).encode(),
        {},
        422,
        "schema-violation",
    ),
    ("unsupported encoding", b"{}", {"Content-Encoding": "br"}, 415, "unsupported-media"),
    ("unsupported content type", b"{}", {"Content-Type": "text/xml"}, 415, "unsupported-media"),
    ("corrupt gzip", b"\x1f\x8bnot gzip", {"Content-Encoding": "gzip"}, 400, "malformed-json"),
]


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_gets_a_clear_4xx_quickly_and_stores_nothing(
    client: FlaskClient,
    ingest_token: str,
    session: Session,
    name: str,
    body: bytes,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    """Every bad input is a problem+json 4xx within 2 s, and nothing is stored."""
    started = time.perf_counter()
    response = post(client, ingest_token, body, **headers)
    assert time.perf_counter() - started < 2.0
    assert_problem(response, status, code)
    assert stored(session) == 0


def test_schema_violations_list_a_json_pointer_per_error(client: FlaskClient, ingest_token: str) -> None:
    """A 422 names every bad field."""
    event = run_event()
    del event["job"]["name"]
    event["run"]["runId"] = 12
    body = assert_problem(post(client, ingest_token, json.dumps(event)), 422, "schema-violation")
    pointers = {e["pointer"] for e in body["errors"]}
    assert {"/job", "/run/runId"} <= pointers


def test_body_over_the_cap_is_413(client: FlaskClient, ingest_token: str, settings: Any) -> None:
    """A body declared or found larger than max_body_bytes is refused with 413."""
    huge = b'{"x": "' + b"a" * settings.max_body_bytes + b'"}'
    assert_problem(post(client, ingest_token, huge), 413, "body-too-large")


def test_gzip_bomb_is_413_without_inflating_it(client: FlaskClient, ingest_token: str) -> None:
    """1 GiB of zeros, 1 MiB on the wire: refused at the cap, quickly."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join(compressor.compress(b"\0" * MIB) for _ in range(1024)) + compressor.flush()
    started = time.perf_counter()
    assert_problem(post(client, ingest_token, bomb, **{"Content-Encoding": "gzip"}), 413, "body-too-large")
    assert time.perf_counter() - started < 2.0


def test_multi_megabyte_event_is_accepted(client: FlaskClient, ingest_token: str) -> None:
    """A Spark event with a large logical plan facet (5 MB) is stored."""
    event = run_event()
    event["run"]["facets"] = {
        "spark.logicalPlan": {"_producer": "p", "_schemaURL": "s", "plan": [{"node": "x" * 1000}] * 5000}
    }
    assert post(client, ingest_token, json.dumps(event)).status_code == 201


def test_missing_token_is_401_and_wrong_scope_is_403(client: FlaskClient, read_token: str) -> None:
    """Ingest needs a bearer token with the ingest scope."""
    missing = client.post(URL, json=run_event())
    assert_problem(missing, 401, "unauthenticated")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(post(client, "hw_not-a-real-token", json.dumps(run_event())), 401, "unauthenticated")
    assert_problem(post(client, read_token, json.dumps(run_event())), 403, "permission-denied")


def test_ingest_auth_off_accepts_events_without_a_token(settings: Any, tmp_path: Any) -> None:
    """HEADWATER_INGEST_AUTH=off serves a trusted network as Marquez does."""
    from governance.config import Switch
    from web import create_app

    open_settings = settings.model_copy(update={"ingest_auth": Switch.OFF})
    client = create_app(open_settings, enqueue=lambda *_: None).test_client()
    assert client.post(URL, json=run_event()).status_code == 201


def test_unknown_route_and_method_are_problems(client: FlaskClient) -> None:
    """404 and 405 keep the problem shape."""
    assert_problem(client.get("/api/v1/nope"), 404)
    assert_problem(client.delete(URL), 405)


def test_marquez_leniencies_are_accepted(client: FlaskClient, ingest_token: str, session: Session) -> None:
    """No schemaURL, no eventType, no offset, nanoseconds, non-UUID runId, odd namespaces."""
    event = run_event(
        run_id="application_1700000000000_0042", namespace="abfss://c@acct.dfs.core.windows.net"
    )
    del event["schemaURL"], event["eventType"]
    event["eventTime"] = "2024-03-01T10:00:00.123456789"
    event["inputs"] = [
        {"namespace": "trino://h:1337", "name": "a;b=c+d:e/f", "facets": {"custom": {"k": [1]}}}
    ]
    assert post(client, ingest_token, json.dumps(event)).status_code == 201
    row = session.execute(select(LineageEvent)).scalar_one()
    assert row.run_uuid == uuid.UUID(
        bytes=__import__("hashlib").md5(b"application_1700000000000_0042").digest(), version=3
    )
    assert row.event_time.isoformat() == "2024-03-01T10:00:00.123456+00:00"
    assert json.loads(row.body)["inputs"][0]["facets"]["custom"] == {"k": [1]}


def _chunked(client: FlaskClient, token: str, body: bytes, **headers: str) -> Any:
    """POST without a Content-Length, as a chunked upload arrives behind gunicorn."""
    return client.post(
        URL,
        input_stream=io.BytesIO(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_chunked_body_over_the_cap_is_413_not_cut_short(
    client: FlaskClient, ingest_token: str, settings: Any, session: Session
) -> None:
    """A valid event followed by filler past the cap is refused, never accepted truncated."""
    event = json.dumps(run_event()).encode()
    padded = event + b" " * (settings.max_body_bytes - len(event)) + b"garbage"
    assert_problem(_chunked(client, ingest_token, padded), 413, "body-too-large")
    packed = gzip.compress(os.urandom(settings.max_body_bytes + 10))
    assert_problem(
        _chunked(client, ingest_token, packed, **{"Content-Encoding": "gzip"}), 413, "body-too-large"
    )
    assert stored(session) == 0
    assert _chunked(client, ingest_token, event).status_code == 201
