"""Grants as SQL on SQLite keep exactly the rows ``visible`` keeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy.engine import Connection

from governance.access import Grant, Grants
from governance.db import Database
from tests.grant_sql_law import (
    LAYERS,
    ROWS,
    create_rows_table,
    grants_of,
    shown_by_python,
    shown_by_sql,
)


@pytest.fixture
def connection(database: Database) -> Iterator[Connection]:
    """A connection with the scratch rows table."""
    with database.engine.connect() as conn:
        create_rows_table(conn)
        yield conn
        conn.rollback()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(LAYERS, ROWS)
def test_the_sql_condition_keeps_exactly_what_visible_keeps(
    connection: Connection, layers: list[list[Grant]], rows: list[tuple[str, str]]
) -> None:
    """For any grants and names, special characters and case included, SQL and Python agree."""
    grants = grants_of(layers)
    assert shown_by_sql(connection, grants, rows) == shown_by_python(grants, rows)


def test_cases_the_translation_must_not_get_wrong(connection: Connection) -> None:
    """Case, LIKE's and GLOB's own wildcards, brackets and backslashes are literal in a grant."""
    rows = [("s3://Lake", "raw"), ("s3://lake", "r_w"), ("s3://lake", "r%w"), ("x[1]", "a\\b"), ("x1", "ab")]
    for grant, expected in (
        (Grant("s3://lake", "*"), {1, 2}),
        (Grant("s3://*", "r_w"), {1}),
        (Grant("*", "r?w"), {0, 1, 2}),
        (Grant("x[1]", "a\\b"), {3}),
        (Grant("x?", "*"), {4}),
    ):
        grants = Grants().narrowed([grant])
        assert shown_by_sql(connection, grants, rows) == shown_by_python(grants, rows) == expected, grant
