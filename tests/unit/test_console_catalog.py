"""The catalog pages as a signed-in person gets them: search, facets as links, a dataset's page."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from governance.access import Role
from governance.db import Database
from tests.catalog_estate import DAILY, MARKUP, ORCHESTRATOR, ORDERS, SECOND_RUN, WAREHOUSE, catalog_events
from tests.graph_events import fold
from tests.unit.pages import get_page, links, query_of, segment, text_of
from tests.unit.sessions import add_user, sign_in

ORDERS_PAGE = f"/console/datasets/{segment(WAREHOUSE)}/{segment(ORDERS)}"


@pytest.fixture
def viewer(session: Session, client: FlaskClient, database: Database) -> FlaskClient:
    """A viewer signed in over the folded estate."""
    fold(session, catalog_events())
    add_user(database, "viewer@example.org", Role.VIEWER)
    sign_in(client, "viewer@example.org")
    return client


def test_the_nav_leads_to_the_catalog_and_the_jobs(viewer: FlaskClient) -> None:
    """Every console page offers Catalog and Jobs."""
    nav = links(get_page(viewer, "/console/"))
    assert "/console/catalog" in nav and "/console/jobs" in nav


def test_the_catalog_without_a_query_shows_what_changed_last(viewer: FlaskClient) -> None:
    """Recently changed, newest first, each linking to its page; the counts beside it."""
    page = get_page(viewer, "/console/catalog")
    text = text_of(page)
    assert "Recently changed" in text
    assert text.index(ORDERS) < text.index(DAILY)
    assert ORDERS_PAGE in links(page)
    assert f"/console/jobs/{segment(ORCHESTRATOR)}/mart%2Fbuild_daily" in links(page)


def test_a_facet_link_narrows_the_result_to_its_count(viewer: FlaskClient) -> None:
    """Following the owner link of the search keeps the text and adds the filter; its count is the total."""
    page = get_page(viewer, "/console/catalog?q=orders")
    owner_link = next(link for link in links(page) if query_of(link).get("owner") == ["team:sales"])
    assert query_of(owner_link) == {"q": ["orders"], "owner": ["team:sales"]}
    narrowed = get_page(viewer, owner_link)
    assert "1 found" in text_of(narrowed) and ORDERS in text_of(narrowed) and DAILY not in text_of(narrowed)
    assert "owner: team:sales" in text_of(narrowed)
    # The filter's x link drops it again, keeping the text.
    assert "/console/catalog?q=orders" in links(narrowed)


def test_the_catalog_pages_by_twenty_five(viewer: FlaskClient, session: Session) -> None:
    """Past a page, a Next link leads to the rest; a bad page number is refused."""
    from tests.builders import run_event
    from tests.graph_events import dataset

    fold(
        session,
        [run_event("COMPLETE", job="bulk", outputs=[dataset("s3://bulk", f"t{i:02d}") for i in range(30)])],
    )
    first = get_page(viewer, "/console/catalog?q=s3://bulk")
    assert "30 found" in text_of(first) and "Page 1 of 2" in text_of(first)
    next_link = next(link for link in links(first) if "page=2" in link)
    second = text_of(get_page(viewer, next_link))
    assert "Page 2 of 2" in second and "t29" in second and "t00" not in second
    get_page(viewer, "/console/catalog?page=zero", 422)


def test_the_dataset_page_shows_the_schema_as_a_tree_and_the_diff(viewer: FlaskClient) -> None:
    """Nested fields are indented under their parent; the two newest versions with a schema are compared."""
    page = get_page(viewer, ORDERS_PAGE)
    assert re.search(r'class="depth-1" title="address.city"><code>city</code>', page)
    text = text_of(page)
    for expected in (
        "team:sales (MAINTAINER)",
        "pii:true",
        "Orders placed on the shop.",
        "zip-code",
        "Fields added + country STRING",
        "Fields removed \N{MINUS SIGN} email STRING",
        "id type INT → BIGINT",
        "1 failed",
        "accepted_values",
        "no schema",
    ):
        assert expected in text, expected
    assert f"/console/runs/{SECOND_RUN}" in links(page)


def test_comparing_two_chosen_versions(viewer: FlaskClient) -> None:
    """The compare form's from and to choose the versions; a version not of this dataset is a 404."""
    page = get_page(viewer, ORDERS_PAGE)
    versions = re.findall(r'<option value="([0-9a-f-]{36})"', page)
    newest, previous = versions[0], versions[1]
    chosen = text_of(get_page(viewer, f"{ORDERS_PAGE}?from={newest}&to={previous}"))
    assert "documentation removed" in chosen and "carries no schema" in chosen
    get_page(viewer, f"{ORDERS_PAGE}?from={newest}&to=00000000-0000-0000-0000-000000000000", 404)


def test_the_lineage_link_carries_the_node_id_as_one_query_value(viewer: FlaskClient) -> None:
    """The link to the graph page is /console/lineage with nodeId=dataset:<namespace>:<name>, encoded."""
    link = next(link for link in links(get_page(viewer, ORDERS_PAGE)) if link.startswith("/console/lineage"))
    assert query_of(link) == {"nodeId": [f"dataset:{WAREHOUSE}:{ORDERS}"]}
    assert link.startswith("/console/lineage?nodeId=dataset%3Apostgres%3A%2F%2Fsvc%40warehouse")


def test_names_are_text_on_everyget_page(viewer: FlaskClient) -> None:
    """A dataset named with markup is escaped in the search, on its own page and on its writer's page."""
    markup_page = f"/console/datasets/{segment(WAREHOUSE)}/{segment(MARKUP)}"
    for path in ("/console/catalog", "/console/catalog?q=img", markup_page, "/console/jobs"):
        page = get_page(viewer, path)
        assert "<img" not in page, path
    assert "&lt;img src=x" in get_page(viewer, markup_page)


def test_unknown_datasets_and_the_signed_out_are_refused(viewer: FlaskClient, client: FlaskClient) -> None:
    """An unknown dataset is a 404 page; without a session the catalog sends to the sign-in page."""
    assert "no dataset" in text_of(get_page(viewer, f"/console/datasets/{segment(WAREHOUSE)}/nothing", 404))
    stranger = client.application.test_client()
    response = stranger.get("/console/catalog")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
