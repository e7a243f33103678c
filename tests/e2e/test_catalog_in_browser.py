"""People browsing the catalog: searching it, opening a dataset, its schema and the diff of its
versions, a job and its failed run's error; a limited viewer meets only what it may see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from governance.access import Grant, Role, create_user, grant
from governance.clock import utcnow
from tests.catalog_estate import (
    ERROR_MESSAGE,
    LOAD,
    MARKUP,
    ORCHESTRATOR,
    ORDERS,
    SECRET_DATASET,
    SECRET_NS,
    WAREHOUSE,
    catalog_events,
)
from tests.e2e.conftest import PASSWORD, Console, Watched
from tests.graph_events import fold

pytestmark = pytest.mark.e2e
LIMITED = "limited@example.org"


@pytest.fixture(scope="module", autouse=True)
def estate(console: Console) -> None:
    """The catalog estate folded into the console's database, and a viewer limited to the warehouse."""
    with console.database.session() as session:
        fold(session, catalog_events())
    with console.database.session() as session:
        user = create_user(
            session, email=LIMITED, roles=frozenset({Role.VIEWER}), password=PASSWORD, now=utcnow()
        )
        for namespace in (WAREHOUSE, ORCHESTRATOR):
            grant(session, grant=Grant(namespace, "*"), now=utcnow(), user_id=user.info.id)


def test_a_viewer_searches_the_catalog_and_narrows_it_by_a_facet(new_page: Callable[..., Watched]) -> None:
    """Typing a word finds datasets and jobs; an owner's count link keeps only what that owner has."""
    watched = new_page("viewer@example.org")
    page: Any = watched.page
    page.click("nav >> text=Catalog")
    assert page.locator("h2", has_text="Recently changed").is_visible()
    page.fill("input[name=q]", "orders")
    page.click("form.search button")
    results = page.locator(".hits")
    assert results.get_by_text(ORDERS, exact=True).is_visible()
    assert results.get_by_text(LOAD, exact=True).is_visible()
    page.locator(".facets").get_by_role("link", name="team:sales").click()
    assert page.locator(".results h2").inner_text() == "1 found"
    assert page.locator(".hit").count() == 1
    watched.assert_clean()


def test_a_viewer_opens_a_dataset_and_compares_its_versions(new_page: Callable[..., Watched]) -> None:
    """From the search to the dataset: nested schema, data quality, the diff; then two other versions."""
    watched = new_page("viewer@example.org")
    page: Any = watched.page
    page.goto("/console/catalog?q=public.orders")
    page.locator(".hits").get_by_role("link", name=ORDERS).click()
    assert page.locator("h1").inner_text().endswith(ORDERS)
    city = page.locator("table.schema td.depth-1", has_text="city")
    assert city.is_visible() and city.get_attribute("title") == "address.city"
    assert page.locator(".quality h2").inner_text().startswith("Data quality")
    diff = page.locator("#diff")
    assert "+ country" in diff.locator(".added").inner_text()
    assert "email" in diff.locator(".removed").inner_text()
    assert "INT → BIGINT" in diff.locator(".changed").inner_text()
    options = page.locator("select[name=from] option")
    page.select_option("select[name=from]", options.nth(0).get_attribute("value"))
    page.select_option("select[name=to]", options.nth(1).get_attribute("value"))
    page.click("form.compare button")
    assert page.locator("#diff").get_by_text("documentation", exact=True).is_visible()
    assert "carries no schema" in page.locator("#diff").inner_text()
    lineage = page.get_by_role("link", name="Lineage").get_attribute("href")
    assert lineage.startswith("/console/lineage?nodeId=dataset%3Apostgres")
    watched.assert_clean()


def test_a_viewer_opens_a_job_and_its_failed_runs_error(new_page: Callable[..., Watched]) -> None:
    """From the jobs list to the load job, its failed latest run, and that run's stack trace as text."""
    watched = new_page("viewer@example.org")
    page: Any = watched.page
    page.click("nav >> text=Jobs")
    row = page.locator("tr", has_text=LOAD)
    assert "FAILED" in row.inner_text()
    row.get_by_role("link", name=LOAD).click()
    assert page.locator("h1").inner_text().endswith(LOAD)
    page.locator("table.runs tr", has_text="FAILED").get_by_role("link").first.click()
    assert page.locator(".run-error .message").inner_text() == ERROR_MESSAGE
    trace = page.locator("pre.stack-trace").inner_text()
    assert trace.startswith("Traceback") and trace.endswith("<script>alert(1)</script>")
    states = page.locator(".transitions li").all_inner_texts()
    assert [s.split()[0] for s in states] == ["START", "FAIL"]
    watched.assert_clean()


def test_a_named_markup_dataset_is_text_and_a_hidden_one_is_not_found(
    new_page: Callable[..., Watched],
) -> None:
    """A name made of markup shows as text; the limited viewer's search and link find nothing of the vault."""
    watched = new_page(LIMITED)
    page: Any = watched.page
    page.goto("/console/catalog?q=img")
    page.locator(".hits").get_by_role("link", name=MARKUP).click()
    assert page.locator("h1").inner_text().endswith(MARKUP)
    page.goto("/console/catalog?q=salaries")
    assert page.locator(".hit").count() == 0
    response = page.goto(
        f"/console/datasets/{SECRET_NS.replace('/', '%2F')}/{SECRET_DATASET.replace('/', '%2F')}"
    )
    assert response.status == 404
    assert "secret" not in page.locator("main").inner_text().replace(SECRET_DATASET, "").replace(
        SECRET_NS, ""
    )
    watched.assert_clean()
