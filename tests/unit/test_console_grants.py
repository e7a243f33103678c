"""A viewer limited by grants, on every catalog page: no hidden name anywhere, hidden pages are 404."""

from __future__ import annotations

import re
from collections import deque
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from governance.access import Grant, Role, grant
from governance.clock import utcnow
from governance.db import Database
from tests.builders import BASE_TIME, run_event
from tests.catalog_estate import (
    ORCHESTRATOR,
    PAYROLL,
    SECRET_COPY,
    SECRET_DATASET,
    SECRET_JOBS,
    SECRET_NS,
    SECRET_RUN,
    WAREHOUSE,
    catalog_events,
)
from tests.graph_events import column_lineage, dataset, fold, schema
from tests.unit.pages import get_page, links, segment, text_of
from tests.unit.sessions import add_user, sign_in

# Where the crawl starts: the lists, and searches that match hidden names without naming them
# (a page echoes what was asked, which is the caller's own text).
STARTS = (
    "/console/catalog",
    "/console/catalog?q=vault",
    "/console/catalog?q=salar",
    "/console/catalog?q=copy",
    "/console/catalog?q=s",
    "/console/catalog?owner=team:sales",
    "/console/jobs",
)
CATALOG_PAGES = ("/console/catalog", "/console/datasets/", "/console/jobs", "/console/runs/")
MAX_PAGES = 120


@pytest.fixture
def limited(session: Session, client: FlaskClient, database: Database) -> FlaskClient:
    """A viewer granted the warehouse and the orchestrator's jobs, signed in over the estate."""
    fold(session, catalog_events())
    user_id = add_user(database, "limited@example.org", Role.VIEWER)
    with database.session() as grants_session:
        for namespace in (WAREHOUSE, ORCHESTRATOR):
            grant(grants_session, grant=Grant(namespace, "*"), now=utcnow(), user_id=user_id)
    sign_in(client, "limited@example.org")
    return client


CSRF_VALUE = re.compile(r'name="csrf_token" value="[^"]*"')


def test_no_catalog_page_a_limited_viewer_reaches_names_anything_hidden(limited: FlaskClient) -> None:
    """Crawl every catalog link from the lists and searches: each page answers, none says 'secret'."""
    seen: set[str] = set()
    queue = deque(STARTS)
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        page = get_page(limited, path)
        assert "secret" not in page.lower(), (path, text_of(page)[:400])
        queue.extend(
            link.split("#", 1)[0]
            for link in links(page)
            if link.startswith(CATALOG_PAGES) and link not in seen
        )
    visited = " ".join(seen)
    # The crawl reached a dataset, a job and a run page, the payroll job's among them.
    assert "/console/datasets/" in visited and "/console/runs/" in visited
    assert f"/console/jobs/{segment(ORCHESTRATOR)}/{segment(PAYROLL)}" in seen
    assert len(seen) > 20


def test_filtering_by_a_hidden_namespace_finds_nothing(limited: FlaskClient) -> None:
    """Asking for the vault's namespace by name lists nothing and offers nothing."""
    assert "0 found" in text_of(get_page(limited, f"/console/catalog?namespace={SECRET_NS}"))
    assert "No jobs" in text_of(get_page(limited, f"/console/jobs?namespace={SECRET_JOBS}"))


def test_the_payroll_job_withholds_its_sql_and_shows_the_vault_without_a_name(limited: FlaskClient) -> None:
    """The job the viewer sees reads the vault: SQL withheld, the source field a restricted stand-in."""
    text = text_of(get_page(limited, f"/console/jobs/{segment(ORCHESTRATOR)}/{segment(PAYROLL)}"))
    assert "Withheld" in text
    assert "(restricted) dataset #1, field #2" in text


@pytest.mark.parametrize(
    ("hidden", "unknown"),
    [
        (f"/console/datasets/{segment(SECRET_NS)}/{segment(SECRET_DATASET)}", SECRET_DATASET),
        (f"/console/jobs/{segment(SECRET_JOBS)}/{segment(SECRET_COPY)}", SECRET_COPY),
        (f"/console/runs/{SECRET_RUN}", SECRET_RUN),
    ],
)
def test_hidden_pages_are_404_exactly_as_unknown_ones(
    limited: FlaskClient, hidden: str, unknown: str
) -> None:
    """The page of a hidden dataset, job or run is the unknown one's, but for the name asked for."""
    other = "00000000-0000-0000-0000-00000000abcd" if unknown == SECRET_RUN else "nothing-here"
    # The sign-out form's CSRF token is signed with the time; two pages may straddle a second.
    hidden_page = CSRF_VALUE.sub("", get_page(limited, hidden, 404))
    unknown_page = CSRF_VALUE.sub("", get_page(limited, hidden.replace(segment(unknown), other), 404))
    assert hidden_page.replace(unknown, "X") == unknown_page.replace(other, "X")


def test_a_failed_runs_error_is_withheld_where_the_run_touched_a_hidden_dataset(
    limited: FlaskClient, session: Session
) -> None:
    """An error message may name the hidden input: the API and the run page both leave it out."""
    run_id = "0190a1d2-0000-7000-8000-0000000000ee"
    failed = run_event(
        "FAIL",
        run_id=run_id,
        at=BASE_TIME + timedelta(hours=5),
        job="reports/leaky",
        namespace=ORCHESTRATOR,
        inputs=[dataset(SECRET_NS, SECRET_DATASET)],
        outputs=[dataset(WAREHOUSE, "reports.leaky")],
        run={
            "runId": run_id,
            "facets": {
                "errorMessage": {"message": f"cannot read {SECRET_DATASET}", "programmingLanguage": "SQL"}
            },
        },
    )
    fold(session, [failed])
    for path in (f"/api/v1/jobs/runs/{run_id}", f"/api/v1/jobs/runs/{run_id}/facets"):
        answer = limited.get(path)
        assert answer.status_code == 200, path
        assert SECRET_DATASET not in answer.get_data(as_text=True), path
        assert "errorMessage" not in answer.get_data(as_text=True), path
    assert SECRET_DATASET not in text_of(get_page(limited, f"/console/runs/{run_id}"))


def test_a_disagreement_naming_a_hidden_source_shows_it_restricted(
    limited: FlaskClient, session: Session
) -> None:
    """A column-lineage facet may name a hidden dataset the job does not list: the API shows no name."""
    event = run_event(
        "COMPLETE",
        at=BASE_TIME + timedelta(hours=6),
        job="reports/declared_from_vault",
        namespace=ORCHESTRATOR,
        inputs=[dataset(WAREHOUSE, "orders_src", schema=schema("id", "amount"))],
        outputs=[
            dataset(
                WAREHOUSE,
                "vault_totals",
                schema=schema("total"),
                columnLineage=column_lineage(
                    {"total": [(SECRET_NS, SECRET_DATASET, "salary", "DIRECT/AGGREGATION")]}
                ),
            )
        ],
    )
    event["job"]["facets"] = {
        "sql": {"query": "INSERT INTO vault_totals SELECT sum(amount) AS total FROM orders_src"}
    }
    fold(session, [event])
    answer = limited.get(
        f"/api/v1/namespaces/{segment(ORCHESTRATOR)}/jobs/{segment('reports/declared_from_vault')}"
    )
    assert answer.status_code == 200
    [disagreement] = answer.get_json()["lineageDisagreements"]
    assert disagreement["declaredSources"] == ["(restricted)"]
    assert disagreement["derivedSources"] == [f"{WAREHOUSE}:orders_src:amount"]
    assert SECRET_DATASET not in answer.get_data(as_text=True)
