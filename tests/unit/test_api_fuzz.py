"""Schemathesis drives the API from its own OpenAPI document: no request a stranger can build
gets a server error, and every answer is one the document describes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings

from governance.config import Settings
from governance.db import Database
from governance.schema_migrations import upgrade
from tests.builders import mint_token
from web import create_app


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    """An app over a migrated SQLite file and an admin token."""
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    # Rate limits have their own tests; here they would only cut the generated requests short.
    app_settings = Settings(
        data_dir=data_dir,
        secret_key="fuzz",
        log_level="ERROR",
        login_rate_limit="100000 per minute",
        token_rate_limit="100000 per minute",
    )
    upgrade(app_settings.resolved_database_url)
    database = Database(app_settings.resolved_database_url)
    token = mint_token(database, app_settings, "admin")
    database.dispose()
    app = create_app(app_settings, enqueue=lambda *_: None)
    yield app, token
    app.extensions["headwater"].database.dispose()


def test_api_never_fails_and_answers_as_documented(fuzzed_app: tuple[Flask, str]) -> None:
    """Generated requests (with a valid token) to every operation get documented answers, never a 5xx."""
    app, token = fuzzed_app
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {"POST /api/v1/lineage", "POST /api/v1/lineage/batch", "GET /api/v1/events/lineage"} <= {
        operation.label for operation in operations
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"},
                # The document summarises the OpenLineage event schema rather than repeat it,
                # so "schema-valid" bodies there may still be refused by the real validation.
                excluded_checks=[schemathesis.checks.positive_data_acceptance],
            )

        call()
