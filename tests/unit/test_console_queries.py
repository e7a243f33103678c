"""The catalog pages read in batches: the number of SQL statements a page runs does not grow with
how many datasets, jobs, runs or versions it shows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlmodel import Session

from governance.access import Role
from governance.db import Database
from tests.builders import BASE_TIME, run_event
from tests.graph_events import dataset, fold, schema
from tests.unit.pages import get_page, segment
from tests.unit.sessions import add_user, sign_in

NAMESPACE = "s3://lake"
JOBS = "airflow"


def _estate(size: int) -> list[dict[str, Any]]:
    """``size`` jobs, each run twice, each writing its own dataset (tagged, owned) and a shared one."""
    events = []
    for i in range(size):
        for attempt in range(2):
            run_id = str(uuid.uuid4())
            at = BASE_TIME + timedelta(minutes=10 * i + attempt)
            output = dataset(
                NAMESPACE,
                f"table{i}",
                schema=schema("id", ("payload", "STRING")),
                tags={"tags": [{"key": f"tier{i % 3}", "value": ""}]},
                ownership={"owners": [{"name": f"team:{i % 4}"}]},
                documentation={"description": f"table {i}"},
            )
            shared = dataset(NAMESPACE, "shared", schema=schema("id", f"column{i}"))
            events.append(run_event("START", run_id=run_id, at=at, job=f"job{i}", namespace=JOBS))
            events.append(
                run_event(
                    "COMPLETE",
                    run_id=run_id,
                    at=at + timedelta(seconds=30),
                    job=f"job{i}",
                    namespace=JOBS,
                    inputs=[dataset(NAMESPACE, f"table{max(i - 1, 0)}")],
                    outputs=[output, shared],
                )
            )
    return events


@contextmanager
def _counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = app.extensions["headwater"].database.engine

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


PAGES = (
    "/console/catalog",
    "/console/catalog?q=table",
    "/console/catalog?tag=tier1",
    "/console/jobs",
    f"/console/datasets/{segment(NAMESPACE)}/shared",
    f"/console/datasets/{segment(NAMESPACE)}/table1",
    f"/console/jobs/{JOBS}/job1",
)


@pytest.fixture
def reader(client: FlaskClient, database: Database) -> FlaskClient:
    """A signed-in viewer."""
    add_user(database, "viewer@example.org", Role.VIEWER)
    sign_in(client, "viewer@example.org")
    return client


def _statements(client: FlaskClient) -> dict[str, int]:
    found = {}
    for path in PAGES:
        with _counting(client.application) as statements:
            get_page(client, path)
        found[path] = len(statements)
    return found


def test_pages_run_as_many_statements_for_a_large_estate_as_for_a_small_one(
    reader: FlaskClient, session: Session
) -> None:
    """Five jobs or twenty-five (fifty runs, twenty-six datasets): each page runs the same statements."""
    fold(session, _estate(5), batches=[1000])
    small = _statements(reader)
    fold(session, _estate(25), batches=[1000])
    large = _statements(reader)
    assert large == small
    assert max(small.values()) <= 20, small  # sign-in lookups included
