"""Browser fixtures: the console served on a free port, and Debian's Chromium driven by Playwright.

The server is the real application over a SQLite file; accepted events are folded as they are
published (the worker's own function, called in the server's thread), so what a page shows a
moment after an event is sent is what a running worker would have made of it. Skipped, saying
why, where Chromium or Playwright is missing.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from governance.access import Role, create_user
from governance.clock import utcnow
from governance.config import Settings
from governance.db import Database
from governance.ingest.process import process_events
from governance.schema_migrations import upgrade
from tests.integration.conftest import free_port
from web import create_app

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery staple"
USERS = {
    "admin@example.org": Role.ADMIN,
    "steward@example.org": Role.STEWARD,
    "viewer@example.org": Role.VIEWER,
}
# Every page reports Content-Security-Policy violations here, before any of its own script runs.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@dataclass
class Console:
    """The running console: its URL, database and settings."""

    base_url: str
    database: Database
    settings: Settings
    server: BaseWSGIServer
    thread: threading.Thread = field(repr=False)

    def url(self, path: str) -> str:
        """An absolute URL of a path on the console."""
        return self.base_url + path


def _fold_now(database: Database) -> Any:
    def enqueue(event_id: int, _request_id: str | None) -> None:
        with database.session() as session:
            process_events(
                session,
                event_ids=[event_id],
                now=utcnow(),
                processing_lease=timedelta(seconds=60),
                max_attempts=3,
            )

    return enqueue


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The application on a free port, with an admin, a steward and a viewer."""
    data_dir: Path = tmp_path_factory.mktemp("console")
    port = free_port()
    settings = Settings(
        data_dir=data_dir,
        secret_key="e2e-pepper",
        log_format="console",
        secure_cookies="off",
        # Every test signs in from 127.0.0.1; the per-address limit is tested in the unit tests.
        login_rate_limit="1000 per minute",
        public_url=f"http://127.0.0.1:{port}",
    )
    upgrade(settings.resolved_database_url)
    database = Database(settings.resolved_database_url)
    with database.session() as session:
        for email, role in USERS.items():
            create_user(session, email=email, roles=frozenset({role}), password=PASSWORD, now=utcnow())
    app = create_app(settings, enqueue=_fold_now(database))
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Console(f"http://127.0.0.1:{port}", database, settings, server, thread)
    finally:
        server.shutdown()
        database.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, for the whole run."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"Chromium is not at {CHROMIUM} (Debian package 'chromium')")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install playwright)"
    )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Watched:
    """A page with every dialog, page error and CSP violation it raised."""

    page: Any
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        """The violations the page reported."""
        found: list[str] = self.page.evaluate("window.__cspViolations || []")
        return found

    def assert_clean(self) -> None:
        """No dialog opened, no script error, nothing blocked by the CSP."""
        assert self.dialogs == [], self.dialogs
        assert self.errors == [], self.errors
        assert self.csp_violations() == []


@pytest.fixture
def new_page(browser: Any, console: Console) -> Iterator[Any]:
    """A function that opens a fresh, watched browser context signed in as a user (or no one)."""
    contexts: list[Any] = []

    def open_page(email: str | None = None) -> Watched:
        context = browser.new_context(base_url=console.base_url, viewport={"width": 1400, "height": 900})
        contexts.append(context)
        context.add_init_script(WATCH_CSP)
        page = context.new_page()
        watched = Watched(page)
        page.on("dialog", lambda dialog: (watched.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: watched.errors.append(str(error)))
        if email is not None:
            sign_in(page, email)
        return watched

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in form and land on the console."""
    page.goto("/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url("**/console/**")
