"""People at the console: signing in, managing their tokens, and being refused what their role forbids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Watched

pytestmark = pytest.mark.e2e


def test_a_steward_creates_a_token_sees_it_once_and_revokes_it(new_page: Callable[..., Watched]) -> None:
    """The secret is shown once after creation; the list then shows only its prefix; revoking marks it."""
    watched = new_page("steward@example.org")
    page: Any = watched.page
    page.goto("/console/tokens")
    page.fill("input[name=name]", "airflow prod")
    page.check("input[name=scopes][value=ingest]")
    page.click("text=Create token")
    secret = page.locator(".secret pre").inner_text().strip()
    assert secret.startswith("hw_")
    row = page.locator("tr", has_text="airflow prod")
    assert secret not in row.inner_text() and "active" in row.inner_text()
    page.goto("/console/tokens")
    assert secret not in page.content()
    page.locator("tr", has_text="airflow prod").locator("text=Revoke").click()
    assert "revoked" in page.locator("tr", has_text="airflow prod").inner_text()
    watched.assert_clean()


def test_a_viewer_is_refused_the_users_page(new_page: Callable[..., Watched]) -> None:
    """Only admins manage users: a viewer gets the refusal page, not the list."""
    watched = new_page("viewer@example.org")
    page: Any = watched.page
    response = page.goto("/console/users")
    assert response.status == 403
    assert "steward@example.org" not in page.content()
    watched.assert_clean()


def test_signing_out_ends_the_session(new_page: Callable[..., Watched]) -> None:
    """After signing out, console pages send the browser back to the sign-in form."""
    watched = new_page("admin@example.org")
    page: Any = watched.page
    page.click("text=Sign out")
    page.goto("/console/tokens")
    assert "/auth/login" in page.url
    watched.assert_clean()
