"""Accounts on PostgreSQL with the migrations applied: sign-in, grants, token owners, revocation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from governance.access import Grant, Role, grant
from governance.clock import utcnow
from governance.config import Settings
from governance.db import Database
from tests.unit.sessions import add_user, api_csrf, csrf_from, sign_in
from web import create_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pg_app(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, Database]]:
    """The app over the module's migrated PostgreSQL database."""
    data_dir: Path = tmp_path_factory.mktemp("accounts")
    settings = Settings(database_url=postgres_url, secret_key="integration-pepper", data_dir=data_dir)
    database = Database(postgres_url, pool_size=2)
    app = create_app(settings, enqueue=lambda *_: None)
    yield app, database
    app.extensions["headwater"].database.dispose()
    app.extensions["headwater_security_engine"].dispose()
    database.dispose()


def test_sign_in_grants_and_sign_out_on_postgresql(pg_app: tuple[Flask, Database]) -> None:
    """A steward limited to one namespace signs in, makes a token bound by the grant, signs out everywhere."""
    app, database = pg_app
    user_id = add_user(database, "pg-steward@example.org", Role.STEWARD)
    with database.session() as session:
        grant(session, grant=Grant("s3://lake-*"), now=utcnow(), user_id=user_id)
    client = app.test_client()
    assert sign_in(client, "pg-steward@example.org").status_code == 302
    me = client.get("/api/v1/me").get_json()
    assert me["limitedByGrants"] is True and "lineage:ingest" in me["permissions"]
    created = client.post(
        "/api/v1/tokens",
        json={"name": "spark", "scopes": ["read", "ingest"]},
        headers={"X-CSRFToken": api_csrf(client)},
    )
    assert created.status_code == 201
    token = created.get_json()
    assert token["token"]["ownerId"] == user_id
    bearer = {"Authorization": f"Bearer {token['secret']}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).get_json()["limitedByGrants"] is True
    thief = app.test_client()
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value)
    token_page = csrf_from(client.get("/console/").get_data(as_text=True))
    assert client.post("/auth/logout", data={"csrf_token": token_page}).status_code == 302
    assert thief.get("/api/v1/namespaces").status_code == 401
