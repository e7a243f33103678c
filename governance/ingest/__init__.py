"""Accepting OpenLineage events and processing them: decode, validate, store, outbox, handlers."""

from governance.ingest.accept import AcceptStatus, accept_batch, accept_event
from governance.ingest.events_read import list_events
from governance.ingest.process import ProcessOutcome, outbox_counts, process_event, sweep_outbox

__all__ = [
    "AcceptStatus",
    "ProcessOutcome",
    "accept_batch",
    "accept_event",
    "list_events",
    "outbox_counts",
    "process_event",
    "sweep_outbox",
]
