"""A run's final state does not depend on the order or repetition of its events."""

from __future__ import annotations

import uuid
from datetime import timedelta

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from governance.clock import utcnow
from governance.ingest.accept import accept_event
from governance.ingest.process import ProcessOutcome, process_event
from governance.ingest.run_state import Transition, fold_run_state
from governance.models import Run, RunState
from tests.builders import BASE_TIME, run_event

EVENT_TYPES = ["START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "OTHER"]
transitions = st.lists(
    st.builds(
        Transition,
        event_type=st.sampled_from(["START", "RUNNING", "COMPLETE", "FAIL", "ABORT"]),
        event_time=st.integers(0, 50).map(lambda m: BASE_TIME + timedelta(minutes=m)),
        content_hash=st.text("0123456789abcdef", min_size=4, max_size=4),
    ),
    max_size=8,
)


@given(transitions, st.randoms())
def test_fold_is_independent_of_order(items: list[Transition], rng: st.random.Random) -> None:  # type: ignore[name-defined]
    """Shuffling the transitions never changes the folded state."""
    shuffled = list(items)
    rng.shuffle(shuffled)
    assert fold_run_state(items) == fold_run_state(shuffled)


def test_a_late_running_event_does_not_reopen_a_finished_run() -> None:
    """A terminal event wins over a later RUNNING (clock skew between driver and executors)."""
    folded = fold_run_state(
        [
            Transition("START", BASE_TIME, "a"),
            Transition("COMPLETE", BASE_TIME + timedelta(minutes=5), "b"),
            Transition("RUNNING", BASE_TIME + timedelta(minutes=6), "c"),
        ]
    )
    assert folded.state is RunState.COMPLETED
    assert folded.started_at == BASE_TIME
    assert folded.ended_at == BASE_TIME + timedelta(minutes=5)


def test_a_run_without_transitions_is_new() -> None:
    """Only OTHER events leave a run NEW."""
    assert fold_run_state([]).state is RunState.NEW


def _run_summary(session: Session, run_id: str) -> tuple[str, object, object]:
    run = session.get(Run, uuid.UUID(run_id))
    assert run is not None
    return run.state, run.started_at, run.ended_at


def _deliver(session: Session, raws: list[bytes], deliveries: list[int]) -> None:
    """Accept the bodies in order, then process the accepted ids in the given delivery order."""
    published: list[int] = []
    for raw in raws:
        accept_event(
            session,
            raw,
            max_depth=100,
            now=utcnow(),
            publish_grace=timedelta(seconds=30),
            enqueue=published.append,
        )
    for index in deliveries:
        outcome = process_event(
            session,
            event_id=published[index % len(published)],
            now=utcnow(),
            processing_lease=timedelta(seconds=60),
            max_attempts=3,
        )
        assert outcome in {ProcessOutcome.DONE, ProcessOutcome.SKIPPED}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.sampled_from(EVENT_TYPES), min_size=1, max_size=6),
    st.lists(st.integers(0, 500), min_size=6, max_size=6, unique=True),
    st.randoms(),
    st.lists(st.integers(0, 50), max_size=6),
)
def test_processing_permuted_and_duplicated_events_gives_one_final_state(
    session: Session,
    types: list[str],
    minutes: list[int],
    rng: st.random.Random,  # type: ignore[name-defined]
    extra_deliveries: list[int],
) -> None:
    """Two runs with the same events, one delivered in order and one shuffled with duplicates
    (resent bodies and redelivered tasks), end in the same state with the same times."""
    in_order, shuffled = str(uuid.uuid4()), str(uuid.uuid4())
    timed = [(t, BASE_TIME + timedelta(minutes=m)) for t, m in zip(types, minutes, strict=False)]

    def bodies(run_id: str) -> list[bytes]:
        return [orjson.dumps(run_event(t, run_id=run_id, at=at)) for t, at in timed]

    _deliver(session, bodies(in_order), list(range(len(timed))))
    resent = bodies(shuffled)
    rng.shuffle(resent)
    resent += [resent[i % len(resent)] for i in extra_deliveries]
    deliveries = list(range(len(timed))) + extra_deliveries
    rng.shuffle(deliveries)
    _deliver(session, resent, deliveries + list(range(len(timed))))

    assert _run_summary(session, shuffled) == _run_summary(session, in_order)
    expected = fold_run_state([Transition(t, at, "") for t, at in timed if t != "OTHER"])
    assert _run_summary(session, in_order) == (expected.state.value, expected.started_at, expected.ended_at)
