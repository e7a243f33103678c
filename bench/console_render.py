"""The console's lineage page in a real browser: time to a drawn graph for a large neighbourhood.

A synthetic estate is folded into a SQLite file: a tree of jobs from one root dataset, each job
reading its parent dataset and writing ``--branching`` children, ``--levels`` deep (branching 3,
levels 6: 1,092 jobs and 1,093 datasets, 2,185 nodes). The console is served on a free port
(the Flask app under werkzeug's threaded server, as the browser tests run it); Debian's
Chromium, driven by Playwright, signs in and opens ``/console/lineage`` for the root at that
depth ``--loads`` times. Figures, median and p95 over the loads:

- **ready**: from navigation start to the graph drawn (page, scripts, the ``/lineage`` answer,
  the model, the layout and the first paint of the canvas), the user's wait;
- **script**: the page script's own part, from its request for ``/lineage`` to the drawn graph;
- **api**: the ``/lineage`` request alone, as the browser saw it.

In the same run, the same page for the small demo-sized neighbourhood (``--levels 2``) is the peer.

    .venv/bin/python bench/console_render.py [--branching 3] [--levels 6] [--loads 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import structlog  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from governance.access import Role, create_user  # noqa: E402
from governance.clock import utcnow  # noqa: E402
from governance.config import Settings  # noqa: E402
from governance.db import Database  # noqa: E402
from governance.ingest.accept import accept_event  # noqa: E402
from governance.ingest.process import process_events  # noqa: E402
from governance.schema_migrations import upgrade  # noqa: E402
from web import create_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
EMAIL, PASSWORD = "bench@example.org", "a benchmark password of some length"
NAMESPACE = "s3://bench-lake"
GOAL_MS = 2000.0


def tree_events(branching: int, levels: int) -> list[bytes]:
    """One COMPLETE run per job of the tree: it reads its parent dataset and writes its child."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    bodies, parents = [], ["root"]
    for level in range(levels):
        children = []
        for parent in parents:
            for k in range(branching):
                child = f"{parent}.{k}" if level else f"d{k}"
                children.append(child)
                bodies.append(
                    json.dumps(
                        {
                            "eventType": "COMPLETE",
                            "eventTime": (at + timedelta(seconds=len(bodies))).isoformat(),
                            "producer": "https://example.org/bench",
                            "run": {"runId": str(uuid.uuid4())},
                            "job": {"namespace": "bench", "name": f"make_{child}"},
                            "inputs": [{"namespace": NAMESPACE, "name": parent}],
                            "outputs": [
                                {
                                    "namespace": NAMESPACE,
                                    "name": child,
                                    "facets": {"schema": {"fields": [{"name": "id", "type": "long"}]}},
                                }
                            ],
                        }
                    ).encode()
                )
        parents = children
    return bodies


def seed(database: Database, bodies: Sequence[bytes]) -> None:
    """Accept and fold the events as the worker would, in batches of 100."""
    ids: list[int] = []
    now = utcnow()
    with database.session() as session:
        for body in bodies:
            accept_event(
                session, body, max_depth=100, now=now, publish_grace=timedelta(seconds=30), enqueue=ids.append
            )
        for start in range(0, len(ids), 100):
            process_events(
                session,
                event_ids=ids[start : start + 100],
                now=now,
                processing_lease=timedelta(seconds=60),
                max_attempts=1,
            )
        create_user(session, email=EMAIL, roles=frozenset({Role.VIEWER}), password=PASSWORD, now=now)


@contextmanager
def console(branching: int, levels: int) -> Iterator[str]:
    """The console over a fresh estate; yields its base URL."""
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            data_dir=Path(directory), secret_key="bench", secure_cookies="off", log_level="ERROR"
        )
        upgrade(settings.resolved_database_url)
        database = Database(settings.resolved_database_url)
        seed(database, tree_events(branching, levels))
        app = create_app(settings, enqueue=lambda *_: None)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            app.extensions["headwater"].database.dispose()
            database.dispose()


def measure(base_url: str, depth: int, loads: int) -> dict[str, Any]:
    """Open the root's lineage page ``loads`` times (after one warm-up); the timings of each."""
    path = f"/console/lineage?nodeId={quote(f'dataset:{NAMESPACE}:root', safe='')}&depth={depth}"
    samples: list[dict[str, float]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto("/auth/login")
        page.fill("input[name=email]", EMAIL)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url("**/console/**")
        for load in range(loads + 1):
            page.goto(path)
            page.wait_for_selector("[data-lineage-graph][data-state=ready]", timeout=60_000)
            timing = page.evaluate(
                """() => {
                  const root = document.querySelector('[data-lineage-graph]');
                  const api = performance.getEntriesByType('resource')
                    .find(e => e.name.includes('/api/v1/lineage'));
                  const parts = JSON.parse(root.dataset.timings);
                  return {ready: Number(root.dataset.readyAt), script: Number(root.dataset.renderMs),
                          api: api ? api.duration : NaN, nodes: Number(root.dataset.nodeCount),
                          model: parts.model, draw: parts.draw, paint: parts.paint};
                }"""
            )
            if load:  # the first load warms the browser's and the server's caches
                samples.append(timing)
        browser.close()
    return {
        "nodes": int(samples[0]["nodes"]),
        **{
            f"{key}_ms": {
                "median": round(statistics.median(s[key] for s in samples), 1),
                "p95": round(sorted(s[key] for s in samples)[max(0, int(len(samples) * 0.95 + 0.5) - 1)], 1),
            }
            for key in ("ready", "script", "api", "model", "draw", "paint")
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print the lineage page's render times for the large tree and for a small peer."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--branching", type=int, default=3)
    parser.add_argument("--levels", type=int, default=6)
    parser.add_argument("--loads", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"Chromium is not at {CHROMIUM} (Debian package 'chromium')", file=sys.stderr)
        return 2
    # A log line per request or folded event is not a figure.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    results = {}
    for label, levels in (("large", args.levels), ("small", 2)):
        with console(args.branching, levels) as base_url:
            results[label] = measure(base_url, levels, args.loads) | {"goal_ms": GOAL_MS}
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for label, figures in results.items():
            ready, parts = (
                figures["ready_ms"],
                {k: figures[f"{k}_ms"]["median"] for k in ("api", "draw", "paint")},
            )
            print(
                f"{label:>6}: {figures['nodes']:5d} nodes  ready median {ready['median']:7.1f} ms"
                f" p95 {ready['p95']:7.1f} ms  (api {parts['api']}, draw {parts['draw']},"
                f" paint {parts['paint']}); goal {GOAL_MS:.0f} ms"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
