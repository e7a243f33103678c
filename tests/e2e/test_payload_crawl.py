"""Names are user input: a crawl of the console over an estate named with attack strings finds no
dialog, no script error and no CSP violation, and shows each name as text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urldefrag, urlparse

import pytest

from tests.builders import BASE_TIME, run_event
from tests.e2e.conftest import Console, Watched
from tests.graph_events import column_lineage, dataset, fold, schema

pytestmark = pytest.mark.e2e

# What a hostile or careless producer may put in a name: markup, script URLs, template syntax,
# bidi overrides and zero-width characters.
PAYLOADS = [
    "<script>alert('ds')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}${7*7}",
    "' onmouseover='alert(1)",
    "</textarea><svg onload=alert(1)>",
    "\u202egnp.exe\u202c",
    "zero\u200bwidth\u200dname",
]
NAMESPACE = "s3://<b>lake</b>"
JOB_NAMESPACE = "airflow://\"><script>alert('ns')</script>"
MAX_PAGES = 80


def _estate() -> list[dict[str, Any]]:
    fields = [f"col{i}_{p}" for i, p in enumerate(PAYLOADS)]
    source = dataset(NAMESPACE, PAYLOADS[0], schema=schema(*fields))
    target = dataset(
        NAMESPACE,
        PAYLOADS[1],
        schema=schema(*fields),
        columnLineage=column_lineage({f: [(NAMESPACE, PAYLOADS[0], f, "DIRECT/IDENTITY")] for f in fields}),
        tags={"tags": [{"key": p, "value": ""} for p in PAYLOADS[:3]]},
        documentation={"description": PAYLOADS[5]},
    )
    others = [dataset(NAMESPACE, p, schema=schema(p)) for p in PAYLOADS[2:]]
    job = run_event(
        "FAIL",
        at=BASE_TIME,
        job=PAYLOADS[3],
        namespace=JOB_NAMESPACE,
        inputs=[source, *others],
        outputs=[target],
        run={
            "runId": "0190a1d2-0000-7000-8000-000000000001",
            "facets": {
                "errorMessage": {
                    "message": PAYLOADS[4],
                    "programmingLanguage": "python",
                    "stackTrace": PAYLOADS[0],
                }
            },
        },
    )
    job["job"]["facets"] = {"sql": {"query": f'SELECT * FROM "{PAYLOADS[0]}" -- {PAYLOADS[1]}'}}
    return [job]


@pytest.fixture(scope="module", autouse=True)
def hostile_estate(console: Console) -> Iterator[None]:
    """The estate with hostile names, folded once for this module."""
    with console.database.session() as session:
        fold(session, _estate())
    yield


def _links(page: Any, base_url: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        url, _ = urldefrag(href)
        if url.startswith(base_url) and not urlparse(url).path.startswith(("/auth/", "/static/", "/api/")):
            found.append(url[len(base_url) :])
    return found


def test_a_crawl_of_the_console_shows_hostile_names_as_text(
    new_page: Callable[..., Watched], console: Console
) -> None:
    """Every page reachable from the landing page, plus the graphs of the hostile nodes, stays clean."""
    watched = new_page("admin@example.org")
    page: Any = watched.page
    lineage = "/console/lineage?nodeId="
    start = [
        "/console/",
        lineage + quote(f"dataset:{NAMESPACE}:{PAYLOADS[1]}", safe=""),
        lineage + quote(f"dataset:{NAMESPACE}:{PAYLOADS[1]}", safe="") + "&level=column",
        lineage + quote(f"job:{JOB_NAMESPACE}:{PAYLOADS[3]}", safe=""),
    ]
    queue, seen, texts = list(start), set(start), []
    while queue and len(seen) <= MAX_PAGES:
        path = queue.pop(0)
        response = page.goto(path)
        assert response.status < 500, path
        if page.locator("[data-lineage-graph]").count():
            page.wait_for_selector("[data-lineage-graph]:is([data-state=ready], [data-state=error])")
            # Each node's details are put in the page as text when it is selected.
            page.evaluate(
                "(() => { const g = document.querySelector('[data-lineage-graph]').lineageGraph;"
                " g.cy.nodes().forEach(n => g.show(n)); })()"
            )
        texts.append(page.inner_text("body"))
        watched.assert_clean()
        for link in _links(page, console.base_url):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    shown = "\n".join(texts)
    for payload in [PAYLOADS[1], PAYLOADS[3], NAMESPACE]:
        assert payload in shown, payload
    assert {"/console/tokens", "/console/connect", "/console/users"} <= seen
