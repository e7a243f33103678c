"""A steward reads lineage in the console: the table graph, its columns, and a column's impact."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest

from governance.access import Grant, Role, create_user, grant
from governance.clock import utcnow
from tests.e2e.conftest import PASSWORD, Console, Watched
from tests.e2e.estate import DAILY, KAFKA, LAKE, PLAYS, SESSIONS, WAREHOUSE, events
from tests.graph_events import fold

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def estate(console: Console) -> Iterator[None]:
    """The streaming estate, folded once for this module."""
    with console.database.session() as session:
        fold(session, events())
    yield


def _lineage_page(watched: Watched, node_id: str, **params: str) -> Any:
    page = watched.page
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in {"nodeId": node_id, **params}.items())
    page.goto(f"/console/lineage?{query}")
    page.wait_for_selector("[data-lineage-graph][data-state=ready]", timeout=15_000)
    return page


def _drawn(page: Any) -> set[str]:
    ids: list[str] = page.evaluate(
        "document.querySelector('[data-lineage-graph]').lineageGraph.cy.nodes().map(n => n.id())"
    )
    return set(ids)


def test_the_table_graph_of_a_dataset_is_drawn_with_its_jobs(new_page: Callable[..., Watched]) -> None:
    """Upstream and downstream datasets and the jobs between them are nodes of the drawing."""
    watched = new_page("viewer@example.org")
    page = _lineage_page(watched, f"dataset:{LAKE}:{SESSIONS}", depth="2")
    assert {
        f"dataset:{KAFKA}:{PLAYS}",
        "job:flink://streaming:sessionize",
        f"dataset:{LAKE}:{SESSIONS}",
        "job:airflow://prod:listener_daily",
        f"dataset:{WAREHOUSE}:{DAILY}",
    } <= _drawn(page)
    watched.assert_clean()


def test_a_dataset_expands_into_columns_and_a_columns_impact_is_highlighted(
    new_page: Callable[..., Watched],
) -> None:
    """Show columns, pick the email column upstream, follow its impact downstream to the mart."""
    watched = new_page("steward@example.org")
    page = _lineage_page(watched, f"dataset:{LAKE}:{SESSIONS}", depth="3")
    graph = "document.querySelector('[data-lineage-graph]').lineageGraph"
    page.evaluate(f"{graph}.show({graph}.cy.getElementById('dataset:{LAKE}:{SESSIONS}'))")
    page.click("[data-action=columns]")
    page.wait_for_selector("[data-lineage-graph][data-state=ready]")
    assert page.eval_on_selector("[data-lineage-graph]", "el => el.lineageGraph.level") == "column"
    fields = _drawn(page)
    assert f"datasetField:{KAFKA}:{PLAYS}:email" in fields
    assert f"datasetField:{WAREHOUSE}:{DAILY}:seconds" in fields  # derived from the daily job's SQL
    page.evaluate(f"{graph}.show({graph}.cy.getElementById('datasetField:{KAFKA}:{PLAYS}:seconds'))")
    page.click("[data-action=impact]")
    page.wait_for_selector("[data-role=impact-summary]")
    highlighted = set(page.evaluate(f"{graph}.cy.nodes('.impact').map(n => n.id())"))
    assert {
        f"datasetField:{LAKE}:{SESSIONS}:seconds",
        f"datasetField:{WAREHOUSE}:{DAILY}:seconds",
    } <= highlighted
    assert f"datasetField:{WAREHOUSE}:{DAILY}:plays" not in highlighted
    assert "2 columns" in page.inner_text("[data-role=impact-summary]")
    derived = page.evaluate(f"{graph}.cy.edges('.derived').length")
    masked = page.evaluate(f"{graph}.cy.edges('.masked').length")
    assert derived > 0 and masked == 1
    watched.assert_clean()


def test_an_unknown_node_is_a_not_found_page(new_page: Callable[..., Watched]) -> None:
    """The page answers 404 for a node nobody knows, without drawing anything."""
    watched = new_page("viewer@example.org")
    response = watched.page.goto(f"/console/lineage?nodeId={quote('dataset:nowhere:nothing', safe='')}")
    assert response.status == 404
    watched.assert_clean()


@pytest.fixture(scope="module")
def limited_viewer(console: Console) -> str:
    """A viewer whose grants show the lake and the jobs, not the Kafka topic nor the warehouse."""
    email = "lineage-limited@example.org"
    with console.database.session() as session:
        user = create_user(
            session, email=email, roles=frozenset({Role.VIEWER}), password=PASSWORD, now=utcnow()
        )
        for namespace in (LAKE, "flink://streaming", "airflow://prod"):
            grant(session, grant=Grant(namespace, "*"), now=utcnow(), user_id=user.info.id)
    return email


def test_nodes_a_viewer_may_not_see_are_drawn_restricted_without_their_names(
    new_page: Callable[..., Watched], limited_viewer: str
) -> None:
    """The graph keeps its shape: hidden datasets and their columns are grey, nameless nodes."""
    watched = new_page(limited_viewer)
    graph = "document.querySelector('[data-lineage-graph]').lineageGraph"
    for level in ("table", "column"):
        page = _lineage_page(watched, f"dataset:{LAKE}:{SESSIONS}", depth="3", level=level)
        restricted = page.evaluate(f"{graph}.cy.nodes('.restricted').map(n => n.data('label'))")
        assert restricted and set(restricted) == {"restricted"}, level
        labels = " ".join(page.evaluate(f"{graph}.cy.nodes().map(n => n.data('label') + ' ' + n.id())"))
        assert PLAYS not in labels and DAILY not in labels and KAFKA not in labels, level
        assert page.evaluate(f"{graph}.cy.edges().length") >= 2
    watched.assert_clean()
