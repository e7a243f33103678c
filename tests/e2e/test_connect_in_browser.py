"""A steward connects a pipeline: mints a token, copies the settings, sends a test event."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState

from tests.e2e.conftest import Console, Watched

pytestmark = pytest.mark.e2e


def test_the_settings_shown_with_a_fresh_token_work_for_an_openlineage_client(
    new_page: Callable[..., Watched], console: Console
) -> None:
    """The openlineage.yml on the page, with the minted token, sends an event the catalog then shows."""
    watched = new_page("steward@example.org")
    page: Any = watched.page
    page.goto("/console/connect")
    page.fill("input[name=name]", "airflow-prod")
    page.fill("input[name=namespace]", "airflow://prod")
    page.click("text=Mint an ingest token")
    token = page.inner_text("[data-role=fresh-token] pre").strip()
    assert token.startswith("hw_")
    airflow = page.inner_text("#airflow pre")
    assert token in airflow and "airflow://prod" in airflow
    settings_text = page.locator("#client pre[data-syntax=yaml]").inner_text()
    client = OpenLineageClient(config=yaml.safe_load(settings_text))
    client.emit(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=datetime.now(UTC).isoformat(),
            run=Run(runId=str(uuid.uuid4())),
            job=Job(namespace="airflow://prod", name="copied_settings"),
            producer="https://example.org/e2e",
        )
    )
    response = page.goto(f"/console/lineage?nodeId={quote('job:airflow://prod:copied_settings', safe='')}")
    assert response.status == 200
    watched.assert_clean()


def test_a_test_event_goes_through_ingest_and_shows_in_lineage(new_page: Callable[..., Watched]) -> None:
    """The button stores an event as the API would; the test job then has a lineage page."""
    watched = new_page("steward@example.org")
    page: Any = watched.page
    page.goto("/console/connect")
    page.click("[data-action=send-test-event]")
    assert "Test event accepted" in page.inner_text("[data-role=test-result]")
    page.click("[data-role=test-result] >> text=See it")
    page.wait_for_selector("[data-lineage-graph][data-state=ready]")
    assert "connection_test" in page.inner_text("h1")
    watched.assert_clean()


def test_a_viewer_sees_the_settings_but_cannot_mint_or_send(new_page: Callable[..., Watched]) -> None:
    """Without lineage:ingest the page explains instead of offering the buttons."""
    watched = new_page("viewer@example.org")
    page: Any = watched.page
    page.goto("/console/connect")
    assert page.locator("[data-action=send-test-event]").count() == 0
    assert "lineage:ingest" in page.content()
    assert "api/v1/lineage" in page.inner_text("#spark")
    # Posting the steward's form anyway, with the viewer's own CSRF token, is refused.
    csrf = page.evaluate("fetch('/api/v1/me').then(r => r.json()).then(me => me.csrfToken)")
    refused = page.request.post("/console/connect/test-event", form={"csrf_token": csrf})
    assert refused.status == 403
    watched.assert_clean()
