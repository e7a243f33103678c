"""The Alembic migrations: each one goes up, down and up again on SQLite and PostgreSQL, and the
migrated schema is exactly the one the models describe."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import governance.models  # noqa: F401  (defines the tables on SQLModel.metadata)
import migrations
from governance.db import make_engine
from governance.schema_migrations import current_revision_at, downgrade, head_revision, upgrade
from tests.conftest import require_env

MODEL_TABLES = set(SQLModel.metadata.tables)


def revisions_base_to_head() -> list[tuple[str, str]]:
    """Each revision with the one below it ("base" for the first), oldest first."""
    script = ScriptDirectory(str(Path(migrations.__file__).parent))
    steps: list[tuple[str, str]] = []
    for revision in reversed(list(script.walk_revisions())):
        below = revision.down_revision
        assert below is None or isinstance(below, str), (
            f"{revision.revision} merges branches; walk it by hand"
        )
        steps.append((revision.revision, below or "base"))
    return steps


def revision_or_none(revision: str) -> str | None:
    """What current_revision_at reports for a step: None stands for "base"."""
    return None if revision == "base" else revision


def tables_at(url: str) -> set[str]:
    """The tables the database at ``url`` holds, apart from Alembic's own."""
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def schema_differences(url: str) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match the models."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def assert_every_migration_goes_up_down_and_up(url: str) -> None:
    """Walk the revisions base to head: up, down to the one below, up again, checking each."""
    assert current_revision_at(url) is None
    for revision, below in revisions_base_to_head():
        upgrade(url, revision)
        assert current_revision_at(url) == revision
        tables_up = tables_at(url)
        downgrade(url, below)
        assert current_revision_at(url) == revision_or_none(below)
        upgrade(url, revision)
        assert current_revision_at(url) == revision
        assert tables_at(url) == tables_up, f"{revision} re-applied gives other tables"
    assert current_revision_at(url) == head_revision()
    assert tables_at(url) == MODEL_TABLES
    downgrade(url, "base")
    assert current_revision_at(url) is None
    assert tables_at(url) == set()
    upgrade(url)
    assert current_revision_at(url) == head_revision()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database file."""
    return f"sqlite:///{tmp_path / 'migrations.db'}"


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database created for one test and dropped after it."""
    admin_url = require_env("HEADWATER_TEST_DATABASE_URL", "PostgreSQL")
    admin = make_url(admin_url.replace("postgresql+psycopg://", "postgresql://"))
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"hw_migrations_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migrations_form_one_line_from_base_to_head() -> None:
    """The revisions chain from base to the head the code reports, without branches."""
    steps = revisions_base_to_head()
    assert steps, "no migrations found"
    assert steps[0][1] == "base"
    assert steps[-1][0] == head_revision()
    assert [below for _, below in steps[1:]] == [revision for revision, _ in steps[:-1]]


def test_every_migration_goes_up_down_and_up_again_on_sqlite(sqlite_url: str) -> None:
    """On SQLite each revision applies, reverts to the one below and applies again."""
    assert_every_migration_goes_up_down_and_up(sqlite_url)


def test_every_migration_goes_up_down_and_up_again_on_postgresql(fresh_postgres_url: str) -> None:
    """On PostgreSQL each revision applies, reverts to the one below and applies again."""
    assert_every_migration_goes_up_down_and_up(fresh_postgres_url)


def test_the_migrated_postgresql_schema_matches_the_models(fresh_postgres_url: str) -> None:
    """Autogenerate finds nothing to change between the migrated PostgreSQL schema and the models."""
    upgrade(fresh_postgres_url)
    assert schema_differences(fresh_postgres_url) == []


def test_the_migrated_sqlite_schema_matches_the_models(sqlite_url: str) -> None:
    """Autogenerate finds nothing to change between the migrated SQLite schema and the models."""
    upgrade(sqlite_url)
    assert schema_differences(sqlite_url) == []


def test_the_schema_comparison_notices_a_missing_index_and_a_changed_type(fresh_postgres_url: str) -> None:
    """The comparison above is not vacuous: a dropped index and a widened column are reported."""
    upgrade(fresh_postgres_url)
    engine = make_engine(fresh_postgres_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP INDEX ix_run_transition_run_uuid")
            conn.exec_driver_sql("ALTER TABLE outbox ALTER COLUMN status TYPE varchar(32)")
    finally:
        engine.dispose()
    # compare_metadata gives a tuple per table/index change and a list of tuples per column change.
    kinds = {
        item[0] if isinstance(item, tuple) else item[0][0] for item in schema_differences(fresh_postgres_url)
    }
    assert kinds == {"add_index", "modify_type"}
