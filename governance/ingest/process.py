"""Process accepted events at least once with effects exactly once, and sweep what was lost."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from governance.ingest.handlers import HANDLERS, EventHandler
from governance.ingest.stored import StoredEvent
from governance.metrics import EVENTS_PROCESSED, OUTBOX_REPUBLISHED
from governance.models import LineageEvent, Outbox, OutboxStatus

log = structlog.get_logger(__name__)

MAX_ERROR_CHARS = 2000


class ProcessOutcome(StrEnum):
    """What one processing attempt ended in."""

    DONE = "done"
    RETRY = "retry"
    DEAD = "dead"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """How many accepted events wait, and how many gave up."""

    pending: int
    dead: int


def process_event(
    session: Session,
    *,
    event_id: int,
    now: datetime,
    processing_lease: timedelta,
    max_attempts: int,
    handlers: Sequence[EventHandler] = HANDLERS,
) -> ProcessOutcome:
    """Run every handler on one accepted event, once; a redelivered or finished event is skipped.

    The attempt is counted and committed before the handlers run, so an event that kills its
    worker still reaches ``dead`` after ``max_attempts``. A handler error is recorded on the
    outbox row and retried by the sweep with backoff; database trouble propagates so that the
    task retries it.
    """
    attempts = _claim(session, event_id=event_id, lease_until=now + processing_lease)
    if attempts is None:
        return _counted(ProcessOutcome.SKIPPED)
    if attempts > max_attempts:
        _finish(session, event_id, OutboxStatus.DEAD, now, error=f"gave up after {max_attempts} attempts")
        log.error("event_dead", event_id=event_id, attempts=attempts - 1)
        return _counted(ProcessOutcome.DEAD)

    # Hold the outbox row for the whole transaction: a second delivery waits here, then sees done.
    status = session.execute(
        select(col(Outbox.status)).where(col(Outbox.event_id) == event_id).with_for_update()
    ).scalar_one_or_none()
    if status != OutboxStatus.PENDING:
        session.rollback()
        return _counted(ProcessOutcome.SKIPPED)
    row = session.get(LineageEvent, event_id)
    assert row is not None, "an outbox row always has its event (foreign key)"
    event = StoredEvent.of(row)
    try:
        for handler in handlers:
            handler(session, event)
            session.flush()
    except OperationalError:
        session.rollback()
        raise
    except Exception as err:  # recorded on the row, retried by the sweep, dead after max
        session.rollback()
        return _counted(
            _record_failure(
                session, event_id=event_id, attempts=attempts, max_attempts=max_attempts, now=now, err=err
            )
        )
    _finish(session, event_id, OutboxStatus.DONE, now, error=None)
    log.info("event_processed", event_id=event_id, attempts=attempts)
    return _counted(ProcessOutcome.DONE)


def sweep_outbox(
    session: Session,
    *,
    now: datetime,
    publish_grace: timedelta,
    enqueue: Callable[[list[int]], None],
    batch_size: int = 100,
    limit: int = 1000,
) -> int:
    """Re-send pending events whose lease expired (lost by the broker or by a dead worker),
    ``batch_size`` ids per message.

    Returns how many were re-sent.
    """
    rows = session.execute(
        select(col(Outbox.event_id))
        .where(col(Outbox.status) == OutboxStatus.PENDING, col(Outbox.lease_until) < now)
        .order_by(col(Outbox.lease_until))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    event_ids = [int(r[0]) for r in rows]
    if not event_ids:
        session.rollback()
        return 0
    session.execute(
        update(Outbox).where(col(Outbox.event_id).in_(event_ids)).values(lease_until=now + publish_grace)
    )
    session.commit()
    for start in range(0, len(event_ids), batch_size):
        enqueue(event_ids[start : start + batch_size])
    OUTBOX_REPUBLISHED.inc(len(event_ids))
    log.info("outbox_swept", republished=len(event_ids))
    return len(event_ids)


def outbox_counts(session: Session) -> OutboxCounts:
    """Count pending and dead events (both read through partial indexes)."""
    pending = session.execute(
        select(func.count()).select_from(Outbox).where(col(Outbox.status) == OutboxStatus.PENDING)
    ).scalar_one()
    dead = session.execute(
        select(func.count()).select_from(Outbox).where(col(Outbox.status) == OutboxStatus.DEAD)
    ).scalar_one()
    return OutboxCounts(pending=int(pending), dead=int(dead))


def _claim(session: Session, *, event_id: int, lease_until: datetime) -> int | None:
    attempts = session.execute(
        update(Outbox)
        .where(col(Outbox.event_id) == event_id, col(Outbox.status) == OutboxStatus.PENDING)
        .values(attempts=col(Outbox.attempts) + 1, lease_until=lease_until)
        .returning(col(Outbox.attempts))
    ).scalar_one_or_none()
    session.commit()
    return None if attempts is None else int(attempts)


def _finish(
    session: Session, event_id: int, status: OutboxStatus, now: datetime, *, error: str | None
) -> None:
    values: dict[str, object] = {"status": status.value, "processed_at": now}
    if error is not None:
        values["last_error"] = error
    session.execute(update(Outbox).where(col(Outbox.event_id) == event_id).values(**values))
    session.commit()


def _record_failure(
    session: Session, *, event_id: int, attempts: int, max_attempts: int, now: datetime, err: Exception
) -> ProcessOutcome:
    error = f"{type(err).__name__}: {err}"[:MAX_ERROR_CHARS]
    if attempts >= max_attempts:
        _finish(session, event_id, OutboxStatus.DEAD, now, error=error)
        log.exception("event_dead", event_id=event_id, attempts=attempts)
        return ProcessOutcome.DEAD
    backoff = timedelta(seconds=min(3600, 5 * 2**attempts))
    session.execute(
        update(Outbox)
        .where(col(Outbox.event_id) == event_id)
        .values(last_error=error, lease_until=now + backoff)
    )
    session.commit()
    log.exception(
        "event_failed", event_id=event_id, attempts=attempts, retry_in_seconds=backoff.total_seconds()
    )
    return ProcessOutcome.RETRY


def _counted(outcome: ProcessOutcome) -> ProcessOutcome:
    EVENTS_PROCESSED.labels(outcome=outcome.value).inc()
    return outcome
