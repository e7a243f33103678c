"""One check of the problem+json error shape, used on every error path."""

from __future__ import annotations

from typing import Any

from werkzeug.test import TestResponse


def assert_problem(response: TestResponse, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem response with ``status`` (and ``code``); return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    assert body["type"].startswith("urn:headwater:problem:")
    assert body["title"] and body["detail"] and body["instance"]
    if code is not None:
        assert body["type"] == f"urn:headwater:problem:{code}"
    return body
