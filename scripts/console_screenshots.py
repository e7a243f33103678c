"""Screenshots of the console's main pages on the demo estate, for docs/screenshots/.

The demo estate is folded into a fresh SQLite file, the console is served on a free port, and
Debian's Chromium (through Playwright) signs in as an admin and saves a PNG of each page.

    .venv/bin/python scripts/console_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import structlog  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from governance.access import Role, create_user  # noqa: E402
from governance.clock import utcnow  # noqa: E402
from governance.config import Settings  # noqa: E402
from governance.db import Database  # noqa: E402
from governance.demo import LAKE, WAREHOUSE, demo_events  # noqa: E402
from governance.ingest.accept import accept_event  # noqa: E402
from governance.ingest.process import process_events  # noqa: E402
from governance.schema_migrations import upgrade  # noqa: E402
from web import create_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
EMAIL, PASSWORD = "steward@headwater.demo", "a demo password of some length"


def segment(name: str) -> str:
    """A name as one path segment."""
    return quote(name, safe=":@")


def lineage(node_id: str, **params: str) -> str:
    """The console's lineage page of a node."""
    return "/console/lineage?" + "&".join(
        f"{k}={quote(v, safe='')}" for k, v in {"nodeId": node_id, **params}.items()
    )


def seed(settings: Settings) -> None:
    """The demo estate, folded, and a steward."""
    upgrade(settings.resolved_database_url)
    database = Database(settings.resolved_database_url)
    now, ids = utcnow(), []
    with database.session() as session:
        for event in demo_events(now):
            body = json.dumps(event).encode()
            accept_event(
                session, body, max_depth=100, now=now, publish_grace=timedelta(seconds=30), enqueue=ids.append
            )
        process_events(
            session, event_ids=ids, now=now, processing_lease=timedelta(seconds=60), max_attempts=1
        )
        create_user(session, email=EMAIL, roles=frozenset({Role.STEWARD}), password=PASSWORD, now=now)
    database.dispose()


def shoot(page: Page, path: str, out: Path, name: str, *, graph: bool = False) -> None:
    """Open a page and save it."""
    page.goto(path)
    if graph:
        page.wait_for_selector("[data-lineage-graph][data-state=ready]")
    page.screenshot(path=str(out / f"{name}.png"))
    print(f"{name}: {path}")


def main(argv: Sequence[str] | None = None) -> int:
    """Save the screenshots."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            data_dir=Path(directory), secret_key="shots", secure_cookies="off", log_level="ERROR"
        )
        seed(settings)
        app = create_app(settings, enqueue=lambda *_: None)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base_url = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(
                    base_url=base_url, viewport={"width": 1400, "height": 900}
                ).new_page()
                page.goto("/auth/login")
                page.fill("input[name=email]", EMAIL)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit], input[type=submit]")
                page.wait_for_url("**/console/**")
                shoot(page, "/console/catalog?q=plays", args.out, "catalog")
                shoot(
                    page,
                    f"/console/datasets/{segment(WAREHOUSE)}/analytics.public.fact_plays",
                    args.out,
                    "dataset",
                )
                shoot(page, "/console/jobs", args.out, "jobs")
                shoot(page, lineage(f"dataset:{LAKE}:raw/plays", depth="3"), args.out, "lineage", graph=True)
                page.goto(lineage(f"dataset:{LAKE}:raw/plays", depth="3", level="column"))
                page.wait_for_selector("[data-lineage-graph][data-state=ready]")
                # The first column of the most upstream dataset drawn: its impact reaches furthest.
                page.evaluate(
                    "(() => { const g = document.querySelector('[data-lineage-graph]').lineageGraph;"
                    " const fields = g.cy.nodes('.field')"
                    ".sort((a, b) => a.data('distance') - b.data('distance'));"
                    " g.show(fields.first()); })()"
                )
                if page.locator("[data-action=impact]").count():
                    page.click("[data-action=impact]")
                    page.wait_for_selector("[data-role=impact-summary]")
                page.screenshot(path=str(args.out / "lineage-columns.png"))
                print("lineage-columns: column level with a column's impact")
                shoot(page, "/console/connect", args.out, "connect")
                browser.close()
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
