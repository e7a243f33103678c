"""A run as its console page shows it: its state transitions in order, its facets, its error.

Within a caller's grants: a run of a hidden job is not found, hidden datasets it read or wrote
are left out, and text that may name them (the SQL, the error message and stack trace) is
withheld when it touched any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.lineage import tables as t
from governance.lineage.ids import IN, OUT
from governance.lineage.read_model import facets_of, text_of
from governance.lineage.run_summary import RunSummary, run_summary
from governance.lineage.runs import run_row, sql_unparsed
from governance.lineage.visibility import Sight, shown_facets
from governance.models import RunTransition

JsonObject = dict[str, Any]
# Run facets whose free text may name any table the run touched.
_NAMING_FACETS = ("errorMessage", "extractionError")


@dataclass(frozen=True, slots=True)
class TransitionView:
    """One event that moved the run: its type and time."""

    event_type: str
    event_time: datetime


@dataclass(frozen=True, slots=True)
class RunError:
    """The ``errorMessage`` facet of a failed run."""

    message: str
    language: str | None
    stack_trace: str | None


@dataclass(frozen=True, slots=True)
class RunDetail:
    """Everything the run page shows, within the caller's grants."""

    run: RunSummary
    parent_run_id: str | None
    nominal_start: str | None
    nominal_end: str | None
    transitions: tuple[TransitionView, ...]
    inputs: tuple[tuple[str, str], ...]
    outputs: tuple[tuple[str, str], ...]
    facets: JsonObject
    job_facets: JsonObject
    error: RunError | None
    sql_unparsed: str | None
    withheld: bool


def run_error(facets: JsonObject) -> RunError | None:
    """The run's error, from its ``errorMessage`` facet; None without one.

    >>> run_error({"errorMessage": {"message": "boom", "programmingLanguage": "PYTHON"}})
    RunError(message='boom', language='PYTHON', stack_trace=None)
    """
    message = text_of(facets, "errorMessage", "message")
    if message is None:
        return None
    return RunError(
        message,
        text_of(facets, "errorMessage", "programmingLanguage"),
        text_of(facets, "errorMessage", "stackTrace"),
    )


def run_detail(session: Session, run_id: str, *, grants: Grants) -> RunDetail:
    """The run page's contents.

    Raises:
        NotFound: no such run, or a run of a job the grants hide.
    """
    sight = Sight(grants)
    row = run_row(session, run_id, sight)
    transition = RunTransition.__table__  # type: ignore[attr-defined]  # set by SQLModel
    transitions = session.execute(
        sa.select(transition.c.event_type, transition.c.event_time)
        .where(transition.c.run_uuid == row.run_uuid)
        .order_by(transition.c.event_time, transition.c.event_id)
    ).all()
    io = session.execute(
        sa.select(t.run_io.c.direction, t.dataset.c.namespace, t.dataset.c.name, t.dataset.c.deleted)
        .join(t.dataset, t.dataset.c.id == t.run_io.c.dataset_id)
        .where(t.run_io.c.run_uuid == row.run_uuid)
        .order_by(t.dataset.c.namespace, t.dataset.c.name)
    ).all()
    shown = [r for r in io if sight.sees(r.namespace, r.name)]
    withheld = len(shown) < len(io)
    facets = facets_of(session, [f"run:{row.run_uuid}", f"run-job:{row.run_uuid}"])
    own = shown_facets(sight, facets[f"run:{row.run_uuid}"], touches_hidden=withheld)
    if withheld:
        own = {name: value for name, value in own.items() if name not in _NAMING_FACETS}
    unparsed = None if withheld else sql_unparsed(session, row.sql_key)
    return RunDetail(
        run=run_summary(row),
        # The parent facet goes when it names a hidden job; its run id goes with it.
        parent_run_id=(
            str(row.parent_run_uuid)
            if row.parent_run_uuid and (sight.sees_everything or "parent" in own)
            else None
        ),
        nominal_start=text_of(own, "nominalTime", "nominalStartTime"),
        nominal_end=text_of(own, "nominalTime", "nominalEndTime"),
        transitions=tuple(TransitionView(r.event_type, r.event_time) for r in transitions),
        inputs=tuple((r.namespace, r.name) for r in shown if r.direction == IN and not r.deleted),
        outputs=tuple((r.namespace, r.name) for r in shown if r.direction == OUT and not r.deleted),
        facets=own,
        job_facets=shown_facets(sight, facets[f"run-job:{row.run_uuid}"], touches_hidden=withheld),
        error=run_error(own),
        sql_unparsed=unparsed["reason"] if unparsed else None,
        withheld=withheld,
    )
