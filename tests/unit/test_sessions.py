"""People's sessions: sign-in, revocation, CSRF, rate limits, cookies and security headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from governance.access import Role, disable_user
from governance.clock import utcnow
from governance.config import Settings
from governance.db import Database
from governance.schema_migrations import upgrade
from tests.unit.problems import assert_problem
from tests.unit.sessions import PASSWORD, add_user, api_csrf, csrf_from, sign_in
from web import create_app
from web.headers import SECURITY_HEADERS


def _stolen_copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another client holding the same session cookie, as a thief who copied it would."""
    thief = app.test_client()
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    thief.set_cookie(name, cookie.value)
    return thief


def test_signing_in_opens_the_console_and_the_api(client: FlaskClient, database: Database) -> None:
    """A signed-in person reaches the read API with the session alone; a wrong password does not."""
    add_user(database, "v@example.org", Role.VIEWER)
    assert sign_in(client, "v@example.org", "wrong password here").status_code == 200
    assert_problem(client.get("/api/v1/namespaces"), 401)
    response = sign_in(client, "v@example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    assert client.get("/api/v1/namespaces").status_code == 200
    assert client.get("/api/v1/me").get_json()["email"] == "v@example.org"


@pytest.mark.parametrize("ending", ["sign-out", "password change", "disable"])
def test_a_copied_session_cookie_dies_with_the_session(
    app: Flask, client: FlaskClient, database: Database, ending: str
) -> None:
    """Sign-out, a password change and disabling the user each end every copy of the session."""
    admin_id = add_user(database, "root@example.org", Role.ADMIN)
    user_id = add_user(database, "s@example.org", Role.STEWARD)
    sign_in(client, "s@example.org")
    thief = _stolen_copy(app, client)
    assert thief.get("/api/v1/namespaces").status_code == 200
    if ending == "sign-out":
        token = csrf_from(client.get("/console/").get_data(as_text=True))
        assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    elif ending == "password change":
        page = client.get("/auth/change").get_data(as_text=True)
        new = "another correct horse battery"
        response = client.post(
            "/auth/change",
            data={
                "password": PASSWORD,
                "new_password": new,
                "new_password_confirm": new,
                "csrf_token": csrf_from(page),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        # The one who changed it stays signed in with a fresh session.
        assert client.get("/api/v1/namespaces").status_code == 200
    else:
        with database.session() as session:
            disable_user(session, user_id=user_id, now=utcnow())
        assert admin_id
    assert_problem(thief.get("/api/v1/namespaces"), 401)


def test_a_one_time_password_must_be_changed_before_anything_else(
    client: FlaskClient, database: Database
) -> None:
    """Signed in with a generated password, the console sends you to change it and the API refuses."""
    add_user(database, "new@example.org", Role.STEWARD)
    with database.session() as session:
        from governance.access import find_user, reset_password

        one_time = reset_password(session, user_id=find_user(session, "new@example.org").id, password=None)
    assert one_time.one_time_password
    sign_in(client, "new@example.org", one_time.one_time_password)
    assert client.get("/console/tokens").headers["Location"] == "/auth/change"
    assert_problem(client.get("/api/v1/namespaces"), 403)
    page = client.get("/auth/change").get_data(as_text=True)
    new = "my own long passphrase"
    client.post(
        "/auth/change",
        data={
            "password": one_time.one_time_password,
            "new_password": new,
            "new_password_confirm": new,
            "csrf_token": csrf_from(page),
        },
    )
    assert client.get("/api/v1/namespaces").status_code == 200


def test_session_writes_need_the_csrf_token_and_bearer_writes_do_not(
    client: FlaskClient, database: Database, ingest_token: str
) -> None:
    """A cookie-authenticated POST without the token is refused; pipelines with a bearer token are not."""
    add_user(database, "s@example.org", Role.STEWARD)
    sign_in(client, "s@example.org")
    body = {"name": "ci", "scopes": ["read"]}
    assert_problem(client.post("/api/v1/tokens", json=body), 400)
    forged_form = client.post("/console/tokens", data={"name": "x", "scopes": "read"})
    assert forged_form.status_code == 400
    assert (
        client.post("/api/v1/tokens", json=body, headers={"X-CSRFToken": api_csrf(client)}).status_code == 201
    )
    login_without_token = client.post("/auth/login", data={"email": "s@example.org", "password": PASSWORD})
    assert login_without_token.status_code == 400


def test_sign_in_and_token_creation_are_rate_limited(tmp_path: Path) -> None:
    """Past the limit the answer is 429 with Retry-After; other routes are not counted."""
    settings = Settings(
        data_dir=tmp_path, secret_key="pepper", login_rate_limit="2 per minute", token_rate_limit="1 per hour"
    )
    upgrade(settings.resolved_database_url)
    database = Database(settings.resolved_database_url)
    add_user(database, "s@example.org", Role.STEWARD)
    app = create_app(settings, enqueue=lambda *_: None)
    client = app.test_client()
    answers = [sign_in(client, "s@example.org", "not the password!").status_code for _ in range(3)]
    assert answers[:2] == [200, 200]
    limited = client.post("/auth/login", data={"email": "s@example.org", "password": PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert client.get("/auth/login").status_code == 200
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    sign_in(other, "s@example.org")
    csrf = api_csrf(other)
    body = {"name": "ci", "scopes": ["read"]}
    assert other.post("/api/v1/tokens", json=body, headers={"X-CSRFToken": csrf}).status_code == 201
    again = other.post("/api/v1/tokens", json=body, headers={"X-CSRFToken": csrf})
    assert_problem(again, 429)
    assert int(again.headers["Retry-After"]) > 0
    database.dispose()
    app.extensions["headwater"].database.dispose()


@pytest.mark.parametrize(
    "path", ["/healthz", "/auth/login", "/console/", "/api/v1/namespaces", "/nowhere", "/api/v1/openapi.json"]
)
def test_every_response_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    """Pages, API answers, redirects and errors alike; the CSP allows no inline script."""
    response = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    policy = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    )


def test_pages_have_no_inline_script_or_style(client: FlaskClient, database: Database) -> None:
    """The strict CSP would block them, so there are none."""
    add_user(database, "root@example.org", Role.ADMIN)
    pages = [client.get("/auth/login").get_data(as_text=True)]
    sign_in(client, "root@example.org")
    for path in (
        "/console/",
        "/console/account",
        "/console/tokens",
        "/console/users",
        "/auth/change",
        "/auth/tf-setup",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        pages.append(response.get_data(as_text=True))
    for html in pages:
        assert (
            "<script" not in html
            and "<style" not in html
            and " style=" not in html
            and "javascript:" not in html
        )


def test_session_cookie_is_host_prefixed_secure_httponly_and_same_site(
    client: FlaskClient, database: Database, tmp_path: Path
) -> None:
    """On by default; HEADWATER_SECURE_COOKIES=off (as headwater up sets for http) drops prefix and Secure."""
    add_user(database, "v@example.org", Role.VIEWER)
    cookie = sign_in(client, "v@example.org").headers["Set-Cookie"]
    assert cookie.startswith("__Host-headwater-session=")
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain=" not in cookie
    plain = Settings(data_dir=tmp_path, secret_key="test-pepper", secure_cookies="off")
    app = create_app(plain, enqueue=lambda *_: None)
    cookie = sign_in(app.test_client(), "v@example.org").headers["Set-Cookie"]
    assert cookie.startswith("headwater-session=") and "Secure" not in cookie
    app.extensions["headwater"].database.dispose()


def test_names_are_shown_as_text_never_markup(client: FlaskClient, database: Database) -> None:
    """A token named like a script is escaped on the page."""
    add_user(database, "s@example.org", Role.STEWARD)
    sign_in(client, "s@example.org")
    page = client.get("/console/tokens").get_data(as_text=True)
    client.post(
        "/console/tokens",
        data={"name": "<script>alert(1)</script>", "scopes": "read", "csrf_token": csrf_from(page)},
    )
    html = client.get("/console/tokens").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_auth_switches_still_open_their_routes(tmp_path: Path) -> None:
    """HEADWATER_READ/INGEST/WRITE_AUTH=off serve reads, take events and take edits from anyone, no more."""
    settings = Settings(
        data_dir=tmp_path, secret_key="pepper", read_auth="off", ingest_auth="off", write_auth="off"
    )
    upgrade(settings.resolved_database_url)
    app = create_app(settings, enqueue=lambda *_: None)
    client = app.test_client()
    assert client.get("/api/v1/namespaces").status_code == 200
    assert client.get("/api/v1/namespaces", headers={"Authorization": "Bearer hw_unknown"}).status_code == 200
    from tests.builders import run_event

    assert client.post("/api/v1/lineage", json=run_event()).status_code == 201
    assert client.put("/api/v1/tags/open", headers={"Authorization": "Bearer hw_unknown"}).status_code == 200
    assert_problem(client.get("/api/v1/tokens"), 401)
    app.extensions["headwater"].database.dispose()
