"""Console pages' answer times on the demo estate, served by gunicorn as in production.

The demo estate (``headwater up --demo``'s events) is accepted and folded into a fresh database
(the embedded SQLite default, or PostgreSQL with ``--database-url``); gunicorn serves the app
with its production configuration. A signed-in admin's session crawls the console from its
landing page (every same-origin ``/console`` link, up to ``--max-pages`` pages, the graph pages
of every dataset and job included), then requests each page ``--requests`` times in turn.
Figures: per page and over all pages, p50 and p95 of the time to the whole answer, measured by
the client on this machine. In the same run the peer is ``/healthz``, the cheapest route.

    .venv/bin/python bench/console_pages.py [--requests 30] [--max-pages 60] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import requests
import structlog

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from ingest import free_port, gunicorn, postgres_database, server_env  # noqa: E402

from governance.access import Role, create_user  # noqa: E402
from governance.clock import utcnow  # noqa: E402
from governance.config import Settings  # noqa: E402
from governance.db import Database  # noqa: E402
from governance.demo import demo_events  # noqa: E402
from governance.ingest.accept import accept_event  # noqa: E402
from governance.ingest.process import process_events  # noqa: E402
from governance.schema_migrations import upgrade  # noqa: E402

EMAIL, PASSWORD = "bench-admin@example.org", "a benchmark password of some length"
GOAL_P95_MS = 100.0
_HREF = re.compile(r'href="(/console/[^"#]*)"')
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def seed(url: str) -> int:
    """Fold the demo estate and add an admin; how many events."""
    upgrade(url)
    database = Database(url, pool_size=1)
    ids: list[int] = []
    now = utcnow()
    try:
        with database.session() as session:
            for event in demo_events(now):
                accept_event(
                    session,
                    json.dumps(event).encode(),
                    max_depth=100,
                    now=now,
                    publish_grace=timedelta(seconds=30),
                    enqueue=ids.append,
                )
            process_events(
                session, event_ids=ids, now=now, processing_lease=timedelta(seconds=60), max_attempts=1
            )
            create_user(session, email=EMAIL, roles=frozenset({Role.ADMIN}), password=PASSWORD, now=now)
    finally:
        database.dispose()
    return len(ids)


def signed_in(base_url: str) -> requests.Session:
    """A session signed in through the sign-in form."""
    http = requests.Session()
    form = http.get(f"{base_url}/auth/login", timeout=10)
    token = _CSRF.search(form.text)
    assert token is not None, "no CSRF token on the sign-in form"
    answer = http.post(
        f"{base_url}/auth/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": unescape(token.group(1))},
        timeout=10,
    )
    assert "/console" in answer.url, f"sign-in failed: {answer.status_code} {answer.url}"
    return http


def crawl(http: requests.Session, base_url: str, max_pages: int) -> list[str]:
    """Console pages reachable from the landing page, breadth first."""
    queue, seen = ["/console/"], ["/console/"]
    while queue and len(seen) < max_pages:
        answer = http.get(base_url + queue.pop(0), timeout=30)
        for found in _HREF.findall(answer.text):
            path = unescape(found)
            if path not in seen and len(seen) < max_pages:
                seen.append(path)
                queue.append(path)
    return seen


def time_pages(
    http: requests.Session, base_url: str, paths: Sequence[str], rounds: int
) -> dict[str, list[float]]:
    """Each path requested ``rounds`` times, in turn; milliseconds per answer."""
    times: dict[str, list[float]] = {path: [] for path in paths}
    for _ in range(rounds):
        for path in paths:
            started = time.perf_counter()
            answer = http.get(base_url + path, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                raise SystemExit(f"{path} answered {answer.status_code}")
            times[path].append(elapsed)
    return times


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def run(url: str, env: dict[str, str], work: Path, options: argparse.Namespace) -> dict[str, Any]:
    """Seed, serve, crawl and time."""
    events = seed(url)
    with gunicorn(env, work / "gunicorn.log") as server:
        base_url = f"http://127.0.0.1:{server.port}"
        http = signed_in(base_url)
        paths = crawl(http, base_url, options.max_pages)
        time_pages(http, base_url, paths, 2)  # warm-up: imports, caches, connections
        times = time_pages(http, base_url, paths, options.requests)
        peer = time_pages(http, base_url, ["/healthz"], options.requests)["/healthz"]
    everything = [t for values in times.values() for t in values]
    return {
        "events": events,
        "pages": len(paths),
        "p50_ms": round(percentile(everything, 0.5), 1),
        "p95_ms": round(percentile(everything, 0.95), 1),
        "slowest_page": max(times, key=lambda p: percentile(times[p], 0.95)),
        "slowest_page_p95_ms": round(max(percentile(v, 0.95) for v in times.values()), 1),
        "healthz_p50_ms": round(statistics.median(peer), 1),
        "per_page_p95_ms": {path: round(percentile(v, 0.95), 1) for path, v in times.items()},
        "goal_p95_ms": GOAL_P95_MS,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print the console's answer times on the demo estate."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--max-pages", type=int, default=60)
    parser.add_argument("--database-url", default="", help="a PostgreSQL admin URL; SQLite when empty")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    secret = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        settings = dict(secure_cookies="off", login_rate_limit="1000 per minute")
        if options.database_url:
            with postgres_database(options.database_url) as url:
                env = server_env(work, free_port(), 2, secret, database_url=url, **settings)
                result = run(url, env, work, options)
        else:
            url = Settings(data_dir=work, secret_key=secret).resolved_database_url
            env = server_env(work, free_port(), 2, secret, **settings)
            result = run(url, env, work, options)
    if options.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{result['pages']} console pages on the demo estate ({result['events']} events): "
            f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms (goal p95 < {GOAL_P95_MS:.0f} ms); "
            f"slowest {result['slowest_page']} p95 {result['slowest_page_p95_ms']} ms; "
            f"/healthz p50 {result['healthz_p50_ms']} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
