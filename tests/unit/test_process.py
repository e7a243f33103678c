"""Worker-side processing: exactly-once effects, poison events, and the sweep."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlmodel import Session

from governance.clock import utcnow
from governance.ingest.accept import accept_event
from governance.ingest.process import (
    ProcessOutcome,
    outbox_counts,
    process_event,
    process_events,
    sweep_outbox,
)
from governance.ingest.stored import StoredEvent
from governance.models import Outbox, OutboxStatus
from tests.builders import run_event

LEASE = timedelta(seconds=60)


def accept(session: Session, event: object) -> int:
    """Accept one event; its id."""
    ids: list[int] = []
    accept_event(
        session,
        json.dumps(event).encode(),
        max_depth=100,
        now=utcnow(),
        publish_grace=timedelta(seconds=30),
        enqueue=ids.append,
    )
    return ids[0]


def test_an_event_is_processed_once_however_often_it_is_delivered(session: Session) -> None:
    """The second delivery of a done event is skipped."""
    event_id = accept(session, run_event())
    outcomes = [
        process_event(session, event_id=event_id, now=utcnow(), processing_lease=LEASE, max_attempts=3)
        for _ in range(3)
    ]
    assert outcomes == [ProcessOutcome.DONE, ProcessOutcome.SKIPPED, ProcessOutcome.SKIPPED]


def test_a_poison_event_ends_dead_with_its_error_after_max_attempts(session: Session) -> None:
    """A handler that always fails is retried, then the event is dead and visible."""

    def explode(_session: Session, events: Sequence[StoredEvent]) -> None:
        raise ValueError(f"cannot fold event {events[0].id}")

    event_id = accept(session, run_event())
    outcomes = [
        process_event(
            session,
            event_id=event_id,
            now=utcnow(),
            processing_lease=LEASE,
            max_attempts=3,
            handlers=[explode],
        )
        for _ in range(4)
    ]
    assert outcomes == [
        ProcessOutcome.RETRY,
        ProcessOutcome.RETRY,
        ProcessOutcome.DEAD,
        ProcessOutcome.SKIPPED,
    ]
    row = session.get(Outbox, event_id)
    assert row is not None and row.status == OutboxStatus.DEAD and row.attempts == 3
    assert row.last_error == f"ValueError: cannot fold event {event_id}"
    assert outbox_counts(session).dead == 1


def test_an_event_that_killed_its_worker_every_time_ends_dead(session: Session) -> None:
    """Attempts are counted before work starts, so crashes count too."""
    event_id = accept(session, run_event())
    row = session.get(Outbox, event_id)
    assert row is not None
    row.attempts = 3  # three deliveries that died mid-task
    session.add(row)
    session.commit()
    assert (
        process_event(session, event_id=event_id, now=utcnow(), processing_lease=LEASE, max_attempts=3)
        is ProcessOutcome.DEAD
    )


def test_a_poison_event_in_a_batch_fails_alone(session: Session) -> None:
    """The batch is folded again one by one: the poison event is retried, the others are done."""
    ids = [accept(session, run_event()) for _ in range(4)]
    poison = ids[2]
    folded: list[list[int]] = []

    def fails_on_poison(_session: Session, events: Sequence[StoredEvent]) -> None:
        folded.append([e.id for e in events])
        if any(e.id == poison for e in events):
            raise ValueError(f"cannot fold event {poison}")

    outcomes = process_events(
        session,
        event_ids=ids,
        now=utcnow(),
        processing_lease=LEASE,
        max_attempts=3,
        handlers=[fails_on_poison],
    )
    assert outcomes == {i: ProcessOutcome.RETRY if i == poison else ProcessOutcome.DONE for i in ids}
    assert folded == [ids, *([i] for i in ids)]
    row = session.get(Outbox, poison)
    assert row is not None and row.status == OutboxStatus.PENDING and row.attempts == 1
    again = process_events(
        session,
        event_ids=ids,
        now=utcnow(),
        processing_lease=LEASE,
        max_attempts=3,
        handlers=[fails_on_poison],
    )
    assert again == {i: ProcessOutcome.RETRY if i == poison else ProcessOutcome.SKIPPED for i in ids}


def test_an_interrupted_batch_leaves_every_event_pending(session: Session) -> None:
    """A time limit that ends a batch rolls it back whole and lets the caller decide."""
    ids = [accept(session, run_event()) for _ in range(3)]

    class OutOfTime(Exception):
        pass

    def slow(_session: Session, _events: Sequence[StoredEvent]) -> None:
        raise OutOfTime

    with pytest.raises(OutOfTime):
        process_events(
            session,
            event_ids=ids,
            now=utcnow(),
            processing_lease=LEASE,
            max_attempts=3,
            handlers=[slow],
            interrupted=(OutOfTime,),
        )
    statuses = {i: (row.status, row.attempts) for i in ids if (row := session.get(Outbox, i)) is not None}
    session.rollback()
    assert statuses == dict.fromkeys(ids, (OutboxStatus.PENDING, 1))


def test_a_task_folds_the_never_tried_backlog_behind_it(session: Session) -> None:
    """Filling takes pending events that no one tried, not those waiting out a backoff."""
    failed = accept(session, run_event())
    row = session.get(Outbox, failed)
    assert row is not None
    row.attempts = 1  # a failure waiting for the sweep
    session.add(row)
    session.commit()
    backlog = [accept(session, run_event()) for _ in range(5)]
    outcomes = process_events(
        session, event_ids=[backlog[0]], now=utcnow(), processing_lease=LEASE, max_attempts=3, fill_to=4
    )
    assert outcomes == dict.fromkeys(backlog[:4], ProcessOutcome.DONE)
    # The stolen events' own messages find them done.
    assert process_events(
        session, event_ids=backlog[1:], now=utcnow(), processing_lease=LEASE, max_attempts=3
    ) == {**dict.fromkeys(backlog[1:4], ProcessOutcome.SKIPPED), backlog[4]: ProcessOutcome.DONE}
    statuses = {i: r.status for i in [failed, *backlog] if (r := session.get(Outbox, i)) is not None}
    assert statuses == {failed: OutboxStatus.PENDING} | dict.fromkeys(backlog, OutboxStatus.DONE)


def test_sweep_resends_only_events_whose_lease_expired(session: Session) -> None:
    """Pending events past their lease are re-sent; fresh and done ones are not."""
    stale = accept(session, run_event())
    fresh = accept(session, run_event())
    done = accept(session, run_event())
    process_event(session, event_id=done, now=utcnow(), processing_lease=LEASE, max_attempts=3)
    resent: list[int] = []
    later = utcnow() + timedelta(seconds=31)
    row = session.get(Outbox, fresh)
    assert row is not None
    row.lease_until = later + timedelta(seconds=30)
    session.add(row)
    session.commit()
    assert sweep_outbox(session, now=later, publish_grace=timedelta(seconds=30), enqueue=resent.extend) == 1
    assert resent == [stale]
    # The lease moved on: a second sweep right away re-sends nothing.
    assert sweep_outbox(session, now=later, publish_grace=timedelta(seconds=30), enqueue=resent.extend) == 0
