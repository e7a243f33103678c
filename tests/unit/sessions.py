"""Signing people in through the real sign-in form, with its CSRF token."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from governance.access import Role, create_user
from governance.clock import utcnow
from governance.db import Database

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token a rendered form carries."""
    found = _CSRF.search(html)
    assert found, "no csrf_token in the page"
    return found.group(1) or found.group(2)


def add_user(database: Database, email: str, *roles: Role, password: str | None = PASSWORD) -> int:
    """A user with a set password (or, with ``password=None``, a one-time one); their id."""
    with database.session() as session:
        return create_user(
            session, email=email, roles=frozenset(roles), password=password, now=utcnow()
        ).info.id


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    """Post the sign-in form as a browser would."""
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})


def api_csrf(client: FlaskClient) -> str:
    """The CSRF token a signed-in page sends with its JSON calls."""
    token: str = client.get("/api/v1/me").get_json()["csrfToken"]
    return token
