"""What a worker does with an accepted event: each handler folds it into one part of the model.

A handler runs inside the processing transaction and only adds or flushes; the outbox row
is marked done in the same commit, so effects happen exactly once however often an event
is delivered. A new capability adds its handler here.
"""

from __future__ import annotations

from typing import Protocol

from sqlmodel import Session

from governance.ingest import run_state
from governance.ingest.stored import StoredEvent
from governance.lineage import fold


class EventHandler(Protocol):
    """Fold one stored event into the model; must not commit."""

    def __call__(self, session: Session, event: StoredEvent, /) -> None: ...


HANDLERS: tuple[EventHandler, ...] = (run_state.fold_event, fold.fold_event)
