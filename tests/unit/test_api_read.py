"""Reading events back, the batch endpoint, and the server's own health and metrics."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from flask.testing import FlaskClient

from tests.builders import BASE_TIME, run_event
from tests.unit.problems import assert_problem


def send(client: FlaskClient, token: str, event: object) -> int:
    """POST one event; its status code."""
    return client.post(
        "/api/v1/lineage", json=event, headers={"Authorization": f"Bearer {token}"}
    ).status_code


def test_events_read_back_newest_first_in_marquez_shape(
    client: FlaskClient, ingest_token: str, read_token: str
) -> None:
    """GET /events/lineage pages raw events by eventTime with a total count."""
    run_id = str(uuid.uuid4())
    for minutes, kind in ((0, "START"), (5, "COMPLETE"), (2, "RUNNING")):
        assert (
            send(
                client,
                ingest_token,
                run_event(kind, run_id=run_id, at=BASE_TIME + timedelta(minutes=minutes)),
            )
            == 201
        )
    auth = {"Authorization": f"Bearer {read_token}"}
    page = client.get("/api/v1/events/lineage?limit=2", headers=auth).get_json()
    assert page["totalCount"] == 3
    assert [e["eventType"] for e in page["events"]] == ["COMPLETE", "RUNNING"]
    assert page["events"][0]["run"]["runId"] == run_id
    oldest = client.get("/api/v1/events/lineage?limit=1&sortDirection=asc", headers=auth).get_json()
    assert oldest["events"][0]["eventType"] == "START"
    window = client.get(
        "/api/v1/events/lineage?after=2026-01-05T12:01:00.000Z&before=2026-01-05T12:03:00.000Z", headers=auth
    ).get_json()
    assert [e["eventType"] for e in window["events"]] == ["RUNNING"]


def test_event_read_parameters_are_checked(client: FlaskClient, read_token: str) -> None:
    """Bad paging or time parameters are 422 problems naming the parameter."""
    auth = {"Authorization": f"Bearer {read_token}"}
    for query, name in (
        ("limit=lots", "limit"),
        ("limit=5000", "limit"),
        ("before=soon", "before"),
        ("sortDirection=up", "sortDirection"),
        ("offset=-1", "offset"),
    ):
        body = assert_problem(client.get(f"/api/v1/events/lineage?{query}", headers=auth), 422)
        assert name in body["detail"]


def test_reading_events_needs_the_read_scope(client: FlaskClient, ingest_token: str) -> None:
    """An ingest-only token may not read events back."""
    assert_problem(client.get("/api/v1/events/lineage"), 401)
    assert_problem(
        client.get("/api/v1/events/lineage", headers={"Authorization": f"Bearer {ingest_token}"}), 403
    )


def test_batch_answers_per_event_as_the_openlineage_spec_defines(
    client: FlaskClient, ingest_token: str, published: list[int]
) -> None:
    """Valid events are stored, invalid ones reported by index, in the spec's response shape."""
    good = [run_event(), run_event()]
    batch = [good[0], {"eventTime": "x"}, good[1], good[0], "not an event"]
    response = client.post(
        "/api/v1/lineage/batch",
        data=json.dumps(batch),
        content_type="application/json",
        headers={"Authorization": f"Bearer {ingest_token}"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "partial_success"
    assert body["summary"] == {
        "received": 5,
        "successful": 3,
        "failed": 2,
        "retriable": 0,
        "non_retriable": 2,
    }
    assert [(f["index"], f["retriable"]) for f in body["failed_events"]] == [(1, False), (4, False)]
    assert "eventTime" in body["failed_events"][0]["reason"]
    assert len(published) == 2  # the repeat of good[0] is a duplicate


def test_batch_that_is_not_an_array_is_refused(client: FlaskClient, ingest_token: str) -> None:
    """The batch body must be a JSON array."""
    response = client.post(
        "/api/v1/lineage/batch", json=run_event(), headers={"Authorization": f"Bearer {ingest_token}"}
    )
    assert_problem(response, 422, "schema-violation")


def test_health_endpoints_answer(client: FlaskClient) -> None:
    """Liveness is 200; readiness is 200 with every check named."""
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": True, "migrations": True, "broker": True}


def test_metrics_ledger_reconciles(client: FlaskClient, ingest_token: str) -> None:
    """Counters of accepted, duplicate and rejected events move with what was sent."""

    def counter(text: str, result: str) -> float:
        prefix = f'headwater_events_received_total{{result="{result}"}} '
        return next(
            (float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)), 0.0
        )

    before = client.get("/metrics").get_data(as_text=True)
    event = run_event()
    send(client, ingest_token, event)
    send(client, ingest_token, event)
    send(client, ingest_token, {"not": "an event"})
    after = client.get("/metrics").get_data(as_text=True)
    assert counter(after, "accepted") - counter(before, "accepted") == 1
    assert counter(after, "duplicate") - counter(before, "duplicate") == 1
    assert counter(after, "rejected") - counter(before, "rejected") == 1
    assert "headwater_outbox_pending 1.0" in after
    assert "headwater_outbox_dead 0.0" in after


def test_request_id_is_echoed_or_minted(client: FlaskClient) -> None:
    """A sane X-Request-ID is echoed; anything else is replaced by a fresh one."""
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    minted = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert minted != "<script>" and len(minted) == 32
