"""Fold a run's state transitions into its current state, whatever order they arrived in."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
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


def fold_event(session: Session, event: StoredEvent) -> None:
    """Record a run event's transition and refold its run's state; the caller commits."""
    if event.run_uuid is None or event.job_namespace is None or event.job_name is None:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    run_table = Run.__table__  # type: ignore[attr-defined]  # SQLModel sets it at class creation
    session.execute(
        insert(run_table)
        .values(
            run_uuid=event.run_uuid,
            job_namespace=event.job_namespace,
            job_name=event.job_name,
            state=RunState.NEW.value,
            state_event_time=event.event_time,
            updated_at=event.received_at,
        )
        .on_conflict_do_nothing(index_elements=["run_uuid"])
    )
    # Lock the run so that two workers folding events of one run take turns; populate_existing
    # because a worker's session outlives one event and the locked row is the truth.
    run = session.execute(
        select(Run)
        .where(col(Run.run_uuid) == event.run_uuid)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if event.event_type in STATE_OF_EVENT_TYPE:
        transition_table = RunTransition.__table__  # type: ignore[attr-defined]
        session.execute(
            insert(transition_table)
            .values(
                event_id=event.id,
                run_uuid=event.run_uuid,
                event_type=event.event_type,
                event_time=event.event_time,
                content_hash=event.content_hash,
            )
            .on_conflict_do_nothing(index_elements=["event_id"])
        )
    folded = fold_run_state(_transitions(session, event.run_uuid))
    run.state = folded.state.value
    run.state_event_time = folded.state_event_time or run.state_event_time
    run.started_at = folded.started_at
    run.ended_at = folded.ended_at
    run.updated_at = event.received_at
    session.add(run)


def _transitions(session: Session, run_uuid: uuid.UUID) -> list[Transition]:
    rows = session.execute(
        select(
            col(RunTransition.event_type), col(RunTransition.event_time), col(RunTransition.content_hash)
        ).where(col(RunTransition.run_uuid) == run_uuid)
    )
    return [Transition(event_type=r[0], event_time=r[1], content_hash=r[2]) for r in rows]
