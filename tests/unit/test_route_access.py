"""Every route declares who may call it, and the role-by-route matrix holds for every route."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from governance.access import Role
from governance.config import Settings
from governance.db import Database
from governance.schema_migrations import upgrade
from tests.unit.sessions import add_user, api_csrf, sign_in
from web import create_app
from web.auth import ACCESS_RULE

READERS = {"viewer", "steward", "oncall", "admin"}
EVERYONE = {*READERS, "anonymous"}
EDITORS = {"steward", "admin"}  # catalog:write
# Who may call each endpoint: the matrix as the product defines it, role by role.
ALLOWED: dict[str, set[str]] = {
    "edits.delete_dataset": EDITORS,
    "edits.delete_job": EDITORS,
    "edits.tag_dataset": EDITORS,
    "edits.untag_dataset": EDITORS,
    "edits.tag_field": EDITORS,
    "edits.untag_field": EDITORS,
    "edits.tag_job": EDITORS,
    "edits.untag_job": EDITORS,
    "edits.put_tag": EDITORS,
    "ingest.post_lineage": {"steward", "admin"},
    "ingest.post_lineage_batch": {"steward", "admin"},
    "ingest_datahub.post_lineage": {"steward", "admin"},
    "ingest_datahub.post_lineage_batch": {"steward", "admin"},
    "events.get_lineage_events": READERS,
    "openapi.get_openapi": EVERYONE,
    "me.get_me": EVERYONE,
    "tokens.list_tokens": READERS,
    "tokens.create_token": READERS,
    "tokens.revoke_token": READERS,
    "root.home": EVERYONE,
    "console.landing": READERS,
    "console.account": READERS,
    "console.tokens": READERS,
    "console.create_token": READERS,
    "console.revoke_token": READERS,
    "console.lineage": READERS,
    "console.connect": READERS,
    "console.connect_token": {"steward", "admin"},
    "console.connect_test_event": {"steward", "admin"},
    "console.users": {"admin"},
    "console.create_user_page": {"admin"},
    "console.disable_user_page": {"admin"},
    "console.grant_page": {"admin"},
    "console.revoke_grant_page": {"admin"},
    "console.catalog": READERS,
    "console.dataset": READERS,
    "console.jobs": READERS,
    "console.job": READERS,
    "console.run": READERS,
    "health.healthz": EVERYONE,
    "health.readyz": EVERYONE,
    "health.metrics": EVERYONE,
    "security.login": EVERYONE,
    "security.logout": EVERYONE,
    "security.two_factor_token_validation": EVERYONE,
    "security.two_factor_rescue": EVERYONE,
    "security.tf_select": EVERYONE,
    "security.verify": READERS,
    "security.change_password": READERS,
    "security.two_factor_setup": READERS,
    "security.two_factor_setup_validate": READERS,
}
GRAPH_READS = READERS  # every graph.* route reads the catalog


@pytest.fixture(scope="module")
def matrix_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict[str, str]]]:
    """An app with one user per role, and each role's session cookie."""
    data_dir: Path = tmp_path_factory.mktemp("matrix")
    settings = Settings(
        data_dir=data_dir, secret_key="matrix", log_level="ERROR", token_rate_limit="1000 per hour"
    )
    upgrade(settings.resolved_database_url)
    database = Database(settings.resolved_database_url)
    for role in Role:
        add_user(database, f"{role.value}@example.org", role)
    database.dispose()
    app = create_app(settings, enqueue=lambda *_: None)
    cookies = {}
    for role in Role:
        client = app.test_client()
        sign_in(client, f"{role.value}@example.org")
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        assert cookie is not None
        cookies[role.value] = cookie.value
    yield app, cookies
    app.extensions["headwater"].database.dispose()


def _routes(app: Flask) -> list[tuple[Rule, str]]:
    pairs = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]
    # Sign-out last: it ends the session every other request of that role uses.
    return sorted(pairs, key=lambda p: (p[0].endpoint == "security.logout", p[0].rule, p[1]))


def _path(rule: Rule) -> str:
    samples = {"id": "999999", "name": "nowhere"}
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", lambda m: samples.get(m.group(1) or "", "x"), rule.rule)


def _call(app: Flask, cookie: str | None, rule: Rule, method: str) -> TestResponse:
    client: FlaskClient = app.test_client()
    headers = {}
    if cookie is not None:
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
        headers["X-CSRFToken"] = api_csrf(client)
    path = _path(rule)
    if method == "GET":
        return client.get(path, headers=headers)
    if path.startswith(("/api/", "/openapi/")):
        return client.open(path, method=method, json={}, headers=headers)
    return client.open(path, method=method, data={"csrf_token": headers.get("X-CSRFToken", "")})


def _denied(response: TestResponse) -> bool:
    to_sign_in = response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    return response.status_code in {401, 403} or to_sign_in


def test_every_route_declares_its_access_rule(matrix_app: tuple[Flask, dict[str, str]]) -> None:
    """A route without requires/public/signed_in (or a Flask-Security rule) fails here."""
    app, _ = matrix_app
    undeclared = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and getattr(app.view_functions[rule.endpoint], ACCESS_RULE, None) is None
    )
    assert undeclared == []


def test_the_matrix_names_every_route(matrix_app: tuple[Flask, dict[str, str]]) -> None:
    """A new route must be added to ALLOWED (or be a graph read) before the matrix passes."""
    app, _ = matrix_app
    unknown = sorted(
        {r.endpoint for r, _ in _routes(app)}
        - set(ALLOWED)
        - {e for e in app.view_functions if e.startswith("graph.")}
    )
    assert unknown == []


def test_role_by_route_matrix(matrix_app: tuple[Flask, dict[str, str]]) -> None:
    """Each role (and nobody) is let through exactly the routes the matrix allows it, none other."""
    app, cookies = matrix_app
    wrong = []
    for rule, method in _routes(app):
        allowed = GRAPH_READS if rule.endpoint.startswith("graph.") else ALLOWED[rule.endpoint]
        public = allowed == EVERYONE
        for who in sorted(EVERYONE, key=lambda w: w == "anonymous"):
            response = _call(app, cookies.get(who), rule, method)
            if response.status_code >= 500:
                wrong.append(f"{who} {method} {rule.rule}: {response.status_code}")
            elif public:
                if response.status_code in {401, 403}:
                    wrong.append(f"{who} {method} {rule.rule}: refused {response.status_code}")
            elif _denied(response) == (who in allowed):
                wrong.append(
                    f"{who} {method} {rule.rule}: {response.status_code}, expected allowed={who in allowed}"
                )
    assert wrong == []
