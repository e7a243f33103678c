"""What a worker does with accepted events: each handler folds a batch into one part of the model.

A handler runs inside the processing transaction and only adds or flushes; the outbox rows
are marked done in the same commit, so effects happen exactly once however often an event
is delivered. A handler's result must not depend on how events are split into batches. A new
capability adds its handler here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlmodel import Session

from governance.ingest import run_state
from governance.ingest.stored import StoredEvent
from governance.lineage import fold


class EventHandler(Protocol):
    """Fold a batch of stored events into the model; must not commit."""

    def __call__(self, session: Session, events: Sequence[StoredEvent], /) -> None: ...


HANDLERS: tuple[EventHandler, ...] = (run_state.fold_events, fold.fold_events)
