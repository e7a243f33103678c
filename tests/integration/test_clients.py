"""The real openlineage-python client, sync and async HTTP transports, against the live stack."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import schema_dataset
from openlineage.client.transport.async_http import AsyncHttpConfig, AsyncHttpTransport
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpCompression, HttpConfig, HttpTransport
from sqlalchemy import func, select
from sqlmodel import col

from governance.ingest.envelope import run_uuid
from governance.models import LineageEvent
from governance.models import Run as RunRow
from governance.models import RunState as StoredRunState
from tests.builders import BASE_TIME, PRODUCER
from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration

NAMESPACE = "headwater-client-tests"
ENDPOINT = "api/v1/lineage"
WRONG_KEY = "hw_not-a-token-this-server-issued"
COLUMNS = [("order_id", "BIGINT"), ("placed_at", "TIMESTAMP"), ("amount", "DECIMAL(10,2)")]


@pytest.fixture(autouse=True)
def no_ambient_client_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep OPENLINEAGE_* settings of the environment out of the clients under test."""
    for name in [n for n in os.environ if n.startswith("OPENLINEAGE")]:
        monkeypatch.delenv(name)


def lineage_events(job: str, run_id: str, start: datetime) -> list[RunEvent]:
    """START and COMPLETE of one run reading a table and writing one with a schema facet."""
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name=name, type=kind) for name, kind in COLUMNS]
    )
    inputs = [InputDataset(namespace="postgres://warehouse:5432", name="public.raw_orders")]
    outputs = [
        OutputDataset(namespace="postgres://warehouse:5432", name="public.orders", facets={"schema": schema})
    ]

    def event(state: RunState, at: datetime) -> RunEvent:
        return RunEvent(
            eventType=state,
            eventTime=at.isoformat(),
            run=Run(runId=run_id),
            job=Job(namespace=NAMESPACE, name=job),
            inputs=inputs,
            outputs=outputs,
            producer=PRODUCER,
        )

    return [event(RunState.START, start), event(RunState.COMPLETE, start + timedelta(minutes=3))]


def stored_for_run(stack: Stack, run_id: str) -> list[dict[str, Any]]:
    """The events GET /api/v1/events/lineage returns for one runId, oldest first."""
    params: dict[str, str | int] = {"limit": 1000, "sortDirection": "asc"}
    response = requests.get(
        f"{stack.base_url}/api/v1/events/lineage",
        params=params,
        headers={"Authorization": f"Bearer {stack.token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text[:500]
    return [e for e in response.json()["events"] if e.get("run", {}).get("runId") == run_id]


def rows_for_run(stack: Stack, run_id: str) -> int:
    """How many stored events belong to one run, read from the database."""
    with stack.database.session() as session:
        count = session.execute(
            select(func.count()).where(col(LineageEvent.run_uuid) == run_uuid(run_id))
        ).scalar_one()
    return int(count)


def assert_stored_and_processed(stack: Stack, job: str, run_id: str, start: datetime) -> None:
    """Both events are read back with their schema facet, and the run is folded to COMPLETED."""
    events = stored_for_run(stack, run_id)
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    for event in events:
        assert (event["job"]["namespace"], event["job"]["name"]) == (NAMESPACE, job)
        (output,) = event["outputs"]
        fields = output["facets"]["schema"]["fields"]
        assert [(f["name"], f["type"]) for f in fields] == COLUMNS
    stack.wait_processed()
    with stack.database.session() as session:
        run = session.get(RunRow, run_uuid(run_id))
    assert run is not None, "the run was not processed"
    assert (run.job_namespace, run.job_name, run.state) == (NAMESPACE, job, StoredRunState.COMPLETED.value)
    assert (run.started_at, run.ended_at) == (start, start + timedelta(minutes=3))


@pytest.fixture
def run_id() -> str:
    """A fresh runId."""
    return str(uuid.uuid4())


def http_client(stack: Stack, api_key: str) -> OpenLineageClient:
    """The client over the synchronous HTTP transport, gzip-compressed, with an API key."""
    config = HttpConfig(
        url=stack.base_url,
        endpoint=ENDPOINT,
        auth=ApiKeyTokenProvider({"apiKey": api_key}),
        compression=HttpCompression.GZIP,
        timeout=30,
    )
    return OpenLineageClient(transport=HttpTransport(config))


@pytest.fixture
def async_transport(stack: Stack, request: pytest.FixtureRequest) -> Iterator[AsyncHttpTransport]:
    """The asynchronous HTTP transport (its own worker thread); closed and joined after the test."""
    api_key = getattr(request, "param", stack.token)
    config = AsyncHttpConfig(
        url=stack.base_url,
        endpoint=ENDPOINT,
        auth=ApiKeyTokenProvider({"apiKey": api_key}),
        compression=HttpCompression.GZIP,
        timeout=30,
    )
    transport = AsyncHttpTransport(config)
    try:
        yield transport
    finally:
        transport.close(timeout=30)
        assert not transport.worker_thread.is_alive(), "the async transport's worker thread outlived close()"


def test_the_sync_http_client_emits_gzipped_events_that_are_stored_and_processed(
    stack: Stack, run_id: str
) -> None:
    """HttpTransport with gzip and an API key: START and COMPLETE stored, the run COMPLETED."""
    client = http_client(stack, stack.token)
    try:
        for event in lineage_events("sync_orders", run_id, BASE_TIME):
            client.emit(event)
    finally:
        assert client.close(timeout=10)
    assert_stored_and_processed(stack, "sync_orders", run_id, BASE_TIME)


def test_the_async_http_client_emits_gzipped_events_that_are_stored_and_processed(
    stack: Stack, run_id: str, async_transport: AsyncHttpTransport
) -> None:
    """AsyncHttpTransport: both events delivered before close() returns, stored and processed."""
    client = OpenLineageClient(transport=async_transport)
    for event in lineage_events("async_orders", run_id, BASE_TIME + timedelta(hours=1)):
        client.emit(event)
    assert client.close(timeout=30), "the async transport did not deliver every event in time"
    assert async_transport.get_stats() == {"pending": 0, "success": 2, "failed": 0}
    assert_stored_and_processed(stack, "async_orders", run_id, BASE_TIME + timedelta(hours=1))


def test_the_sync_http_client_raises_on_a_wrong_api_key_and_nothing_is_stored(
    stack: Stack, run_id: str
) -> None:
    """A wrong key gets 401, which HttpTransport raises as requests.HTTPError; nothing is stored."""
    client = http_client(stack, WRONG_KEY)
    try:
        with pytest.raises(requests.HTTPError) as refused:
            client.emit(lineage_events("sync_refused", run_id, BASE_TIME)[0])
    finally:
        client.close(timeout=10)
    assert refused.value.response is not None
    assert refused.value.response.status_code == 401
    assert rows_for_run(stack, run_id) == 0
    assert stored_for_run(stack, run_id) == []


@pytest.mark.parametrize("async_transport", [WRONG_KEY], indirect=True, ids=["wrong-key"])
def test_the_async_http_client_logs_a_wrong_api_key_and_nothing_is_stored(
    stack: Stack, run_id: str, async_transport: AsyncHttpTransport, caplog: pytest.LogCaptureFixture
) -> None:
    """The async transport does not raise: it counts the 401 as failed, logs it, and stores nothing."""
    caplog.set_level(logging.ERROR, logger="openlineage.client.transport.async_http")
    client = OpenLineageClient(transport=async_transport)
    for event in lineage_events("async_refused", run_id, BASE_TIME):
        client.emit(event)  # no exception: delivery happens on the worker thread
    assert client.close(timeout=30)
    # The START is refused (401 is not retried); the COMPLETE waiting for it is then sent and refused too.
    assert async_transport.get_stats() == {"pending": 0, "success": 0, "failed": 2}
    refusals = [r for r in caplog.records if "status code: 401" in r.getMessage()]
    assert len(refusals) == 2, [r.getMessage() for r in caplog.records]
    assert rows_for_run(stack, run_id) == 0
    assert stored_for_run(stack, run_id) == []
