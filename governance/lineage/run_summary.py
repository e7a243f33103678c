"""A run as the console lists it: its job, state, times and duration, from one row of ``run_query``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run of a job: when it was first seen, started and ended, and its state."""

    run_id: str
    job_namespace: str
    job_name: str
    state: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to end; None while running or when either end is unknown."""
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


def run_summary(row: Any) -> RunSummary:
    """The summary of a row of ``governance.lineage.runs.run_query``."""
    return RunSummary(
        run_id=str(row.run_uuid),
        job_namespace=row.job_namespace,
        job_name=row.job_name,
        state=row.state,
        created_at=row.first_event_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )
