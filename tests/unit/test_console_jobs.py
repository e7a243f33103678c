"""The job pages as a signed-in person gets them: the list, a job's page, a run's page."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from governance.access import Role
from governance.db import Database
from tests.catalog_estate import (
    BROKEN,
    CHECK,
    ERROR_MESSAGE,
    FAILED_RUN,
    LOAD,
    MART,
    ORCHESTRATOR,
    SECRET_COPY,
    SECRET_JOBS,
    catalog_events,
)
from tests.graph_events import fold
from tests.unit.pages import get_page, links, segment, text_of
from tests.unit.sessions import add_user, sign_in


@pytest.fixture
def viewer(session: Session, client: FlaskClient, database: Database) -> FlaskClient:
    """A viewer signed in over the folded estate."""
    fold(session, catalog_events())
    add_user(database, "viewer@example.org", Role.VIEWER)
    sign_in(client, "viewer@example.org")
    return client


def _jobget_page(name: str) -> str:
    return f"/console/jobs/{segment(ORCHESTRATOR)}/{segment(name)}"


def test_the_jobs_list_shows_latest_states_and_narrows_by_namespace(viewer: FlaskClient) -> None:
    """Every job with its latest run's state; the namespace choice narrows the list."""
    text = text_of(get_page(viewer, "/console/jobs"))
    assert "6 jobs" in text
    assert f"{LOAD} {ORCHESTRATOR} FAILED" in text and "2m 00s" in text
    narrowed = text_of(get_page(viewer, f"/console/jobs?namespace={SECRET_JOBS}"))
    assert "1 job " in narrowed and SECRET_COPY in narrowed and LOAD not in narrowed
    assert "No jobs" in text_of(get_page(viewer, "/console/jobs?namespace=nowhere"))


def test_a_jobs_page_shows_its_runs_sql_edges_and_disagreements(viewer: FlaskClient) -> None:
    """The mart's SQL as text, declared and derived edges, the masked one, the disagreeing target."""
    page = get_page(viewer, _jobget_page(MART))
    text = text_of(page)
    assert 'INSERT INTO "mart/daily:orders" SELECT id AS order_id' in text
    assert "address.city DIRECT TRANSFORMATION masked declared" in text
    assert "derived (overridden by a declared edge)" in text
    assert "Where declared and derived lineage disagree" in text
    lineage = next(link for link in links(page) if link.startswith("/console/lineage?"))
    assert lineage.endswith("nodeId=job%3Aairflow%40prod%3A8080%3Amart%2Fbuild_daily")


def test_unparsed_sql_shows_the_reason(viewer: FlaskClient) -> None:
    """SQL the parser could not read is shown with why."""
    text = text_of(get_page(viewer, _jobget_page(BROKEN)))
    assert "SELEC * FROM WHERE (((" in text and "Not parsed:" in text


def test_run_history_pages_and_links_each_run(viewer: FlaskClient) -> None:
    """The load's three runs, newest first, each a link to its page."""
    page = get_page(viewer, _jobget_page(LOAD))
    assert "Runs 3" in text_of(page)
    assert links(page).count(f"/console/runs/{FAILED_RUN}") == 1
    get_page(viewer, _jobget_page(LOAD) + "?page=-1", 422)
    assert "No runs yet" not in text_of(get_page(viewer, _jobget_page(CHECK)))


def test_a_failed_runs_page_shows_its_error_astext_of(viewer: FlaskClient) -> None:
    """Transitions in order; the error message, language and stack trace, markup escaped."""
    page = get_page(viewer, f"/console/runs/{FAILED_RUN}")
    text = text_of(page)
    assert text.index("START") < text.index("FAIL ")
    assert ERROR_MESSAGE in text and "PYTHON" in text
    assert '<pre class="stack-trace">Traceback (most recent call last):' in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unknown_jobs_and_runs_are_404_pages(viewer: FlaskClient) -> None:
    """A job or run that does not exist gets the refusal page with a 404."""
    get_page(viewer, _jobget_page("nothing"), 404)
    get_page(viewer, "/console/runs/00000000-0000-0000-0000-00000000ffff", 404)
    get_page(viewer, "/console/runs/not-a-run", 404)
