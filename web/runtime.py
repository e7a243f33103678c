"""What the web process holds for its lifetime: settings, database, publisher, token cache."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

from governance.access import Caller
from governance.config import Settings
from governance.db import Database

Enqueue = Callable[[int, str | None], None]
LAST_USED_EVERY_SECONDS = 60.0


@dataclass
class TokenCache:
    """Verified tokens' callers, trusted for a few seconds so that ingest needs no extra query."""

    ttl_seconds: float
    _entries: dict[str, tuple[Caller, float]] = field(default_factory=dict)
    _last_used: dict[int, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, digest: str) -> Caller | None:
        """The cached caller of a token's HMAC digest, if still fresh."""
        entry = self._entries.get(digest)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, digest: str, token: Caller) -> None:
        """Remember a verified token's caller."""
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[digest] = (token, time.monotonic() + self.ttl_seconds)

    def use_is_due(self, token_id: int) -> bool:
        """True at most once a minute per token: when its last-used time should be written."""
        now = time.monotonic()
        with self._lock:
            if now - self._last_used.get(token_id, float("-inf")) < LAST_USED_EVERY_SECONDS:
                return False
            self._last_used[token_id] = now
            return True


@dataclass
class Runtime:
    """The web process's long-lived parts."""

    settings: Settings
    database: Database
    enqueue: Enqueue
    tokens: TokenCache
    pepper: bytes


def runtime() -> Runtime:
    """The runtime of the current app."""
    found: Runtime = current_app.extensions["headwater"]
    return found


def init_app(app: Flask, settings: Settings, enqueue: Enqueue | None) -> Runtime:
    """Create the runtime and attach it to the app."""
    database = Database(settings.resolved_database_url)
    if enqueue is None:
        from governance.ingest.relay import Relay
        from governance.tasks import event_sender, make_celery

        enqueue = Relay(event_sender(make_celery(settings)))
    state = Runtime(
        settings=settings,
        database=database,
        enqueue=enqueue,
        tokens=TokenCache(settings.token_cache_seconds),
        pepper=settings.token_pepper(),
    )
    app.extensions["headwater"] = state
    return state
