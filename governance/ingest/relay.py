"""Hand accepted event ids to the broker from a background thread, off the request path,
as one message per batch of whatever is waiting (one id when idle, up to MAX_BATCH under load).

The outbox row is already committed when an id arrives here, so losing an id (broker down,
queue full, process killed) delays its processing until the next sweep and loses nothing.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import time
from collections.abc import Callable

import structlog

from governance.metrics import OUTBOX_PUBLISH_FAILURES

log = structlog.get_logger(__name__)

Send = Callable[[list[tuple[int, str | None]]], None]
MAX_BATCH = 100
LINGER_SECONDS = 0.02
_DRAIN_SECONDS = 2.0
# After a failed send, ids are dropped (and left to the sweep) for this long, so that a broker
# outage, where each send blocks for its connect timeout, never backs the queue up.
PAUSE_AFTER_FAILURE_SECONDS = 5.0


class Relay:
    """A bounded queue of event ids and the thread that sends them; restarts itself after fork."""

    def __init__(
        self, send: Send, *, capacity: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._send = send
        self._clock = clock
        self._paused_until = float("-inf")
        self._capacity = capacity
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.Queue[tuple[int, str | None]] = queue.Queue(capacity)

    def __call__(self, event_id: int, request_id: str | None = None) -> None:
        """Queue one event id for sending; never blocks."""
        self._ensure_thread()
        try:
            self._queue.put_nowait((event_id, request_id))
        except queue.Full:
            OUTBOX_PUBLISH_FAILURES.inc()
            log.warning("relay_queue_full", event_id=event_id)

    def drain(self, timeout_seconds: float = _DRAIN_SECONDS) -> bool:
        """Wait until every queued id was sent or given up on; True if the queue emptied in time."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout_seconds)

    def _ensure_thread(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            # A forked child inherits the queue but not the thread: start afresh.
            self._queue = queue.Queue(self._capacity)
            threading.Thread(target=self._run, name="headwater-relay", daemon=True).start()
            atexit.register(self.drain)
            self._pid = os.getpid()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            # Linger briefly for company: one broker message per batch costs a fraction of one
            # per event, at a delay no client waits on (the 201 is already sent).
            deadline = time.monotonic() + LINGER_SECONDS
            while len(batch) < MAX_BATCH:
                remaining = deadline - time.monotonic()
                try:
                    batch.append(
                        self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
            try:
                self._send_batch(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _send_batch(self, batch: list[tuple[int, str | None]]) -> None:
        if self._clock() < self._paused_until:
            OUTBOX_PUBLISH_FAILURES.inc(len(batch))
            return
        try:
            self._send(batch)
        except Exception as err:  # the committed outbox rows are the record; the sweep re-sends
            OUTBOX_PUBLISH_FAILURES.inc(len(batch))
            self._paused_until = self._clock() + PAUSE_AFTER_FAILURE_SECONDS
            log.warning("relay_send_failed", events=len(batch), error=f"{type(err).__name__}: {err}")
