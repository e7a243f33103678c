"""Process accepted events at least once with effects exactly once, and sweep what was lost."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import structlog
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from governance.ingest.handlers import HANDLERS, EventHandler
from governance.ingest.stored import StoredEvent
from governance.metrics import EVENTS_PROCESSED, OUTBOX_REPUBLISHED
from governance.models import Outbox, OutboxStatus

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


def process_events(
    session: Session,
    *,
    event_ids: Sequence[int],
    now: datetime,
    processing_lease: timedelta,
    max_attempts: int,
    handlers: Sequence[EventHandler] = HANDLERS,
    interrupted: tuple[type[BaseException], ...] = (),
    request_ids: Mapping[int, str | None] | None = None,
    fill_to: int = 0,
) -> dict[int, ProcessOutcome]:
    """Run every handler on a batch of accepted events, once; redelivered or finished ones are skipped.

    The attempts are counted and committed before the handlers run, so an event that kills its
    worker still reaches ``dead`` after ``max_attempts``. The batch is folded in one transaction;
    when a handler fails on it, each event is folded alone, so that only the one at fault is
    recorded, retried by the sweep with backoff, and dead after ``max_attempts``. Database trouble
    and the ``interrupted`` errors (a time limit) propagate, so that the task decides. With
    ``fill_to``, never-tried pending events from the backlog join the batch up to that size
    (their outcomes are returned too).
    """
    claimed = _claim(session, event_ids=event_ids, lease_until=now + processing_lease, fill_to=fill_to)
    outcomes = {event_id: ProcessOutcome.SKIPPED for event_id in event_ids if event_id not in claimed}
    spent = sorted(event_id for event_id, attempts in claimed.items() if attempts > max_attempts)
    if spent:
        _finish(session, spent, OutboxStatus.DEAD, now, error=f"gave up after {max_attempts} attempts")
        for event_id in spent:
            log.error("event_dead", event_id=event_id, attempts=claimed[event_id] - 1)
            outcomes[event_id] = ProcessOutcome.DEAD
    live = {event_id: attempts for event_id, attempts in claimed.items() if attempts <= max_attempts}
    if len(live) > 1:
        try:
            outcomes |= _fold_together(session, sorted(live), now=now, handlers=handlers)
        except OperationalError:
            session.rollback()
            raise
        except Exception as err:  # one event spoils the batch: find it by folding each alone
            session.rollback()
            if isinstance(err, interrupted):
                raise
            log.warning("batch_failed_folding_alone", events=len(live))
        else:
            live = {}
    for event_id, attempts in sorted(live.items()):
        outcomes[event_id] = _fold_alone(
            session, event_id, attempts=attempts, now=now, max_attempts=max_attempts, handlers=handlers
        )
    for event_id, outcome in sorted(outcomes.items()):
        EVENTS_PROCESSED.labels(outcome=outcome.value).inc()
        if outcome is ProcessOutcome.DONE:
            log.info(
                "event_processed",
                event_id=event_id,
                attempts=claimed[event_id],
                request_id=(request_ids or {}).get(event_id),
            )
    return outcomes


def process_event(
    session: Session,
    *,
    event_id: int,
    now: datetime,
    processing_lease: timedelta,
    max_attempts: int,
    handlers: Sequence[EventHandler] = HANDLERS,
) -> ProcessOutcome:
    """Process one accepted event (a batch of one)."""
    return process_events(
        session,
        event_ids=[event_id],
        now=now,
        processing_lease=processing_lease,
        max_attempts=max_attempts,
        handlers=handlers,
    )[event_id]


def _fold_together(
    session: Session, event_ids: list[int], *, now: datetime, handlers: Sequence[EventHandler]
) -> dict[int, ProcessOutcome]:
    """Fold the still-pending events of a batch in one transaction; raise if a handler fails."""
    pending = _lock_pending(session, event_ids)
    outcomes = {event_id: ProcessOutcome.SKIPPED for event_id in event_ids if event_id not in pending}
    if not pending:
        session.rollback()
        return outcomes
    events = StoredEvent.load(session, pending)
    for handler in handlers:
        handler(session, events)
        session.flush()
    _finish(session, pending, OutboxStatus.DONE, now, error=None)
    return outcomes | {event_id: ProcessOutcome.DONE for event_id in pending}


def _fold_alone(
    session: Session,
    event_id: int,
    *,
    attempts: int,
    now: datetime,
    max_attempts: int,
    handlers: Sequence[EventHandler],
) -> ProcessOutcome:
    if not _lock_pending(session, [event_id]):
        session.rollback()
        return ProcessOutcome.SKIPPED
    events = StoredEvent.load(session, [event_id])
    try:
        for handler in handlers:
            handler(session, events)
            session.flush()
    except OperationalError:
        session.rollback()
        raise
    except Exception as err:  # recorded on the row, retried by the sweep, dead after max
        session.rollback()
        return _record_failure(
            session, event_id=event_id, attempts=attempts, max_attempts=max_attempts, now=now, err=err
        )
    _finish(session, [event_id], OutboxStatus.DONE, now, error=None)
    return ProcessOutcome.DONE


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


def _claim(
    session: Session, *, event_ids: Sequence[int], lease_until: datetime, fill_to: int
) -> dict[int, int]:
    """Count an attempt on each pending event and lease it, with never-tried pending events
    added up to ``fill_to``; the attempts, by event id."""
    wanted = sorted(set(event_ids))
    claim = (
        update(Outbox)
        .values(attempts=col(Outbox.attempts) + 1, lease_until=lease_until)
        .returning(col(Outbox.event_id), col(Outbox.attempts))
    )
    mine: ColumnElement[bool] = col(Outbox.event_id).in_(wanted)
    room = fill_to - len(wanted)
    if room > 0:
        # Events waiting in the broker behind this message: folding them now makes one batch of
        # a backlog of small messages; their own messages then find them done. Only never-tried
        # events are taken (a failed one waits out its backoff), oldest lease first, and none
        # that another worker is claiming.
        backlog = (
            select(col(Outbox.event_id))
            .where(
                col(Outbox.status) == OutboxStatus.PENDING,
                col(Outbox.attempts) == 0,
                col(Outbox.event_id).not_in(wanted),
            )
            .order_by(col(Outbox.lease_until))
            .limit(room)
            .with_for_update(skip_locked=True)
        )
        mine = or_(mine, col(Outbox.event_id).in_(backlog.scalar_subquery()))
    rows = session.execute(claim.where(mine, col(Outbox.status) == OutboxStatus.PENDING)).all()
    session.commit()
    return {int(event_id): int(attempts) for event_id, attempts in rows}


def _lock_pending(session: Session, event_ids: Sequence[int]) -> list[int]:
    """Lock the events' outbox rows for the transaction; those still pending.

    A second delivery of the same events waits here, then sees them done.
    """
    rows = session.execute(
        select(col(Outbox.event_id))
        .where(col(Outbox.event_id).in_(event_ids), col(Outbox.status) == OutboxStatus.PENDING)
        .order_by(col(Outbox.event_id))
        .with_for_update()
    )
    return [int(event_id) for (event_id,) in rows]


def _finish(
    session: Session, event_ids: Sequence[int], status: OutboxStatus, now: datetime, *, error: str | None
) -> None:
    values: dict[str, object] = {"status": status.value, "processed_at": now}
    if error is not None:
        values["last_error"] = error
    session.execute(update(Outbox).where(col(Outbox.event_id).in_(event_ids)).values(**values))
    session.commit()


def _record_failure(
    session: Session, *, event_id: int, attempts: int, max_attempts: int, now: datetime, err: Exception
) -> ProcessOutcome:
    error = f"{type(err).__name__}: {err}"[:MAX_ERROR_CHARS]
    if attempts >= max_attempts:
        _finish(session, [event_id], OutboxStatus.DEAD, now, error=error)
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
