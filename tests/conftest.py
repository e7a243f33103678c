"""Fixtures every test directory shares: the shared corpora and service requirements."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"


def require_env(name: str, what: str) -> str:
    """The value of ``name``; skip (or fail, where services are required) when unset."""
    value = os.environ.get(name)
    if value:
        return value
    message = f"{what} not configured: set {name} to run this test"
    if os.environ.get("HEADWATER_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The shared corpora beside the repository; skipped where a clone has none."""
    if not CORPORA.is_dir():
        pytest.skip(f"the shared corpora are not at {CORPORA} (only development checkouts have them)")
    return CORPORA
