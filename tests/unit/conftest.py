"""Unit fixtures: an app over a temporary SQLite file, with publishing captured in a list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from governance.config import Settings
from governance.db import Database
from governance.schema_migrations import upgrade
from tests.builders import mint_token
from tests.catalog_estate import catalog_events
from tests.graph_events import fold
from web import create_app


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded settings in a temporary directory, ingest auth on."""
    settings = Settings(data_dir=tmp_path, secret_key="test-pepper", log_format="console")
    upgrade(settings.resolved_database_url)
    return settings


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """The migrated SQLite database of ``settings``."""
    db = Database(settings.resolved_database_url)
    yield db
    db.dispose()


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session on the test database."""
    with database.session() as session:
        yield session


@pytest.fixture
def published() -> list[int]:
    """Event ids the app handed to the broker."""
    return []


@pytest.fixture
def app(settings: Settings, published: list[int]) -> Iterator[Flask]:
    """The app, publishing into ``published``."""
    app = create_app(settings, enqueue=lambda event_id, _request_id: published.append(event_id))
    yield app
    app.extensions["headwater"].database.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def ingest_token(database: Database, settings: Settings) -> str:
    """A token with the ingest scope."""
    return mint_token(database, settings, "ingest")


@pytest.fixture
def read_token(database: Database, settings: Settings) -> str:
    """A token with the read scope."""
    return mint_token(database, settings, "read")


@pytest.fixture
def estate(session: Session) -> Session:
    """The session over the folded catalog estate (tests/catalog_estate.py)."""
    fold(session, catalog_events())
    return session
