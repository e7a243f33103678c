"""Fold a run's state transitions into its current state, whatever order they arrived in."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from governance.ingest.stored import StoredEvent
from governance.models import Run, RunState, RunTransition

STATE_OF_EVENT_TYPE = {
    "START": RunState.RUNNING,
    "RUNNING": RunState.RUNNING,
    "COMPLETE": RunState.COMPLETED,
    "ABORT": RunState.ABORTED,
    "FAIL": RunState.FAILED,
}
_TERMINAL = {"COMPLETE", "ABORT", "FAIL"}
# Among events at the same instant, a later step of the lifecycle wins.
_RANK = {"START": 0, "RUNNING": 1, "COMPLETE": 2, "ABORT": 2, "FAIL": 2}


@dataclass(frozen=True, slots=True)
class Transition:
    """One state-changing event of a run."""

    event_type: str
    event_time: datetime
    content_hash: str


@dataclass(frozen=True, slots=True)
class FoldedState:
    """A run's state as its transitions decide it."""

    state: RunState
    state_event_time: datetime | None
    started_at: datetime | None
    ended_at: datetime | None


def fold_run_state(transitions: Sequence[Transition]) -> FoldedState:
    """Decide a run's state from its transitions, independently of their order.

    A terminal event (COMPLETE, FAIL, ABORT) outranks any non-terminal one, so a late or
    clock-skewed RUNNING never reopens a finished run; otherwise the latest eventTime wins,
    then the later lifecycle step, then the content hash.
    """
    if not transitions:
        return FoldedState(RunState.NEW, None, None, None)
    final = max(
        transitions,
        key=lambda t: (
            t.event_type in _TERMINAL,
            t.event_time,
            _RANK[t.event_type],
            t.content_hash,
            t.event_type,
        ),
    )
    starts = [t.event_time for t in transitions if t.event_type == "START"]
    running = [t.event_time for t in transitions if t.event_type == "RUNNING"]
    started_at = min(starts or running) if (starts or running) else None
    ended_at = final.event_time if final.event_type in _TERMINAL else None
    return FoldedState(STATE_OF_EVENT_TYPE[final.event_type], final.event_time, started_at, ended_at)


def fold_events(session: Session, events: Sequence[StoredEvent]) -> None:
    """Record run events' transitions and refold their runs' states; the caller commits."""
    runs = [e for e in events if e.run_uuid is not None and e.job_namespace and e.job_name]
    if not runs:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    run_table: Table = Run.__table__  # type: ignore[attr-defined]  # SQLModel sets it at class creation
    transition_table: Table = RunTransition.__table__  # type: ignore[attr-defined]
    first: dict[uuid.UUID, StoredEvent] = {}
    for event in sorted(runs, key=lambda e: (e.event_time, e.content_hash)):
        assert event.run_uuid is not None
        first.setdefault(event.run_uuid, event)
    run_uuids = sorted(first)
    session.execute(
        insert(run_table).on_conflict_do_nothing(index_elements=["run_uuid"]),
        [
            {
                "run_uuid": run_uuid,
                "job_namespace": first[run_uuid].job_namespace,
                "job_name": first[run_uuid].job_name,
                "state": RunState.NEW.value,
                "state_event_time": first[run_uuid].event_time,
                "updated_at": first[run_uuid].received_at,
            }
            for run_uuid in run_uuids
        ],
    )
    # Lock the runs so that workers folding events of one run take turns.
    known = {
        row.run_uuid: row
        for row in session.execute(
            select(run_table.c.run_uuid, run_table.c.state_event_time, run_table.c.updated_at)
            .where(run_table.c.run_uuid.in_(run_uuids))
            .order_by(run_table.c.run_uuid)
            .with_for_update()
        )
    }
    transitions = [e for e in runs if e.event_type in STATE_OF_EVENT_TYPE]
    if transitions:
        session.execute(
            insert(transition_table).on_conflict_do_nothing(index_elements=["event_id"]),
            [
                {
                    "event_id": e.id,
                    "run_uuid": e.run_uuid,
                    "event_type": e.event_type,
                    "event_time": e.event_time,
                    "content_hash": e.content_hash,
                }
                for e in sorted(transitions, key=lambda e: e.id)
            ],
        )
    history = _transitions(session, run_uuids)
    received = {
        run_uuid: max(e.received_at for e in runs if e.run_uuid == run_uuid) for run_uuid in run_uuids
    }
    rows = []
    for run_uuid in run_uuids:
        folded = fold_run_state(history.get(run_uuid, []))
        row = known[run_uuid]
        rows.append(
            {
                "b_run": run_uuid,
                "state": folded.state.value,
                "state_event_time": folded.state_event_time or row.state_event_time,
                "started_at": folded.started_at,
                "ended_at": folded.ended_at,
                "updated_at": max(row.updated_at, received[run_uuid]),
            }
        )
    session.execute(
        update(run_table).where(run_table.c.run_uuid == bindparam("b_run")),
        rows,
    )


def _transitions(session: Session, run_uuids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Transition]]:
    found: dict[uuid.UUID, list[Transition]] = {}
    rows = session.execute(
        select(
            col(RunTransition.run_uuid),
            col(RunTransition.event_type),
            col(RunTransition.event_time),
            col(RunTransition.content_hash),
        ).where(col(RunTransition.run_uuid).in_(run_uuids))
    )
    for run_uuid, event_type, event_time, content_hash in rows:
        found.setdefault(run_uuid, []).append(Transition(event_type, event_time, content_hash))
    return found
