"""The console's catalog on PostgreSQL: its one-statement search, grants as LIKE, labels, pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy.engine import Connection, make_url

from governance.access import EVERYTHING, Grant, Grants, Role, grant
from governance.clock import utcnow
from governance.config import Settings
from governance.db import Database
from governance.lineage.catalog_query import CatalogQuery
from governance.lineage.catalog_search import search_catalog
from tests.catalog_estate import (
    DAILY,
    FAILED_RUN,
    MART,
    ORCHESTRATOR,
    ORDERS,
    PAYROLL,
    SECRET_DATASET,
    WAREHOUSE,
    catalog_events,
)
from tests.conftest import require_env
from tests.grant_sql_law import LAYERS, ROWS, create_rows_table, grants_of, shown_by_python, shown_by_sql
from tests.graph_events import fold
from tests.migration_labels import EXPECTED, labels_after_upgrade
from tests.unit.pages import get_page, segment, text_of
from tests.unit.sessions import add_user, sign_in
from web import create_app

pytestmark = pytest.mark.integration
LIMITED = Grants().narrowed([Grant(WAREHOUSE, "*"), Grant(ORCHESTRATOR, "*")])


@pytest.fixture(scope="module")
def catalog(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, Database]]:
    """The app over a migrated PostgreSQL database holding the estate, a viewer and a limited one."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("catalog"),
        database_url=postgres_url,
        secret_key="catalog",
        log_level="ERROR",
    )
    database = Database(settings.resolved_database_url)
    with database.session() as session:
        fold(session, catalog_events())
    add_user(database, "viewer@example.org", Role.VIEWER)
    limited = add_user(database, "limited@example.org", Role.VIEWER)
    with database.session() as session:
        for namespace in (WAREHOUSE, ORCHESTRATOR):
            grant(session, grant=Grant(namespace, "*"), now=utcnow(), user_id=limited)
    app = create_app(settings, enqueue=lambda *_: None)
    yield app, database
    app.extensions["headwater"].database.dispose()
    app.extensions["headwater_security_engine"].dispose()
    database.dispose()


def _names(database: Database, grants: Grants = EVERYTHING, **query: str) -> list[str]:
    with database.session() as session:
        found = search_catalog(session, CatalogQuery(**query), grants=grants, limit=50, offset=0)
    return [hit.name for hit in found.hits]


def test_search_filters_and_counts_on_postgresql(catalog: tuple[Flask, Database]) -> None:
    """Text in names, fields, owners and tags; exact tag and owner filters; counts; grants."""
    _, database = catalog
    with database.session() as session:
        everything = search_catalog(session, CatalogQuery(), grants=EVERYTHING, limit=3, offset=0)
    assert everything.total == 10 and len(everything.hits) == 3
    assert {(v.value, v.count) for v in everything.facets.owners} == {
        ("team:analytics", 2),
        ("team:sales", 1),
    }
    assert _names(database, text="zip") == [ORDERS]
    assert set(_names(database, text="ANALYTICS")) == {DAILY, MART}
    assert _names(database, tag="pii:true") == [ORDERS]
    assert _names(database, owner="team:analytics", kind="job") == [MART]
    assert _names(database, text="%") == []
    assert SECRET_DATASET in _names(database, text="salar")
    assert _names(database, LIMITED, text="salar") == []
    with database.session() as session:
        limited = search_catalog(session, CatalogQuery(), grants=LIMITED, limit=2, offset=2)
    assert limited.total == 8 and len(limited.hits) == 2


def test_pages_answer_on_postgresql(catalog: tuple[Flask, Database]) -> None:
    """The catalog, a dataset with its diff, a job, a run: each renders from PostgreSQL."""
    app, _ = catalog
    client: FlaskClient = app.test_client()
    sign_in(client, "viewer@example.org")
    assert "Recently changed" in text_of(get_page(client, "/console/catalog"))
    dataset = text_of(get_page(client, f"/console/datasets/{segment(WAREHOUSE)}/{segment(ORDERS)}"))
    assert "id type INT → BIGINT" in dataset and "accepted_values" in dataset
    job = text_of(get_page(client, f"/console/jobs/{segment(ORCHESTRATOR)}/{segment(MART)}"))
    assert "Where declared and derived lineage disagree" in job
    assert "KeyError" in text_of(get_page(client, f"/console/runs/{FAILED_RUN}"))
    limited = app.test_client()
    sign_in(limited, "limited@example.org")
    payroll = get_page(limited, f"/console/jobs/{segment(ORCHESTRATOR)}/{segment(PAYROLL)}")
    assert "secret" not in payroll.lower() and "Withheld" in payroll


@pytest.fixture(scope="module")
def law_connection(postgres_url: str) -> Iterator[Connection]:
    """A PostgreSQL connection with the law's scratch table."""
    database = Database(postgres_url)
    with database.engine.connect() as conn:
        create_rows_table(conn)
        yield conn
        conn.rollback()
    database.dispose()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(LAYERS, ROWS)
def test_grants_as_like_keep_exactly_what_visible_keeps(
    law_connection: Connection, layers: list[list[Grant]], rows: list[tuple[str, str]]
) -> None:
    """PostgreSQL's LIKE form of any grants keeps the rows the glob judge keeps, no more, no fewer."""
    grants = grants_of(layers)
    assert shown_by_sql(law_connection, grants, rows) == shown_by_python(grants, rows)


def test_the_label_migration_fills_labels_on_postgresql() -> None:
    """Facets stored before migration 0005 get their labels on PostgreSQL too."""
    admin = make_url(require_env("HEADWATER_TEST_DATABASE_URL", "PostgreSQL").replace("+psycopg", ""))
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"hw_labels_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        assert (
            labels_after_upgrade(admin.set(database=name).render_as_string(hide_password=False)) == EXPECTED
        )
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
