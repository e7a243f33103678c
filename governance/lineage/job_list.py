"""The console's list of jobs: recently updated first, each with its latest run, by namespace."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.lineage import tables as t
from governance.lineage.catalog_search import ValueCount
from governance.lineage.jobs import latest_runs
from governance.lineage.read_model import page
from governance.lineage.run_summary import RunSummary, run_summary
from governance.lineage.visibility import Sight


@dataclass(frozen=True, slots=True)
class JobSummary:
    """A job in the list, with its latest run (None before its first run event)."""

    namespace: str
    name: str
    updated_at: datetime
    latest: RunSummary | None


@dataclass(frozen=True, slots=True)
class JobList:
    """One page of jobs, how many there are, and how many each namespace holds."""

    jobs: tuple[JobSummary, ...]
    total: int
    limit: int
    offset: int
    namespace: str | None
    namespaces: tuple[ValueCount, ...]


def job_list(session: Session, *, grants: Grants, namespace: str | None, limit: int, offset: int) -> JobList:
    """Live jobs the grants show (of one namespace, if given), recently updated first.

    An unknown namespace lists nothing, as a hidden one does.
    """
    sight = Sight(grants)
    query = sa.select(t.job.c.id, t.job.c.namespace, t.job.c.name, t.job.c.updated_at).where(
        t.job.c.deleted.is_(False)
    )
    namespaces = _namespaces(session, query, sight)
    if namespace is not None:
        query = query.where(t.job.c.namespace == namespace)
    rows, total = page(
        session, query.order_by(t.job.c.updated_at.desc(), t.job.c.id.desc()), limit, offset, sight
    )
    latest = latest_runs(session, [int(r.id) for r in rows], 1)
    return JobList(
        jobs=tuple(
            JobSummary(
                namespace=r.namespace,
                name=r.name,
                updated_at=r.updated_at,
                latest=run_summary(latest[int(r.id)][0]) if latest[int(r.id)] else None,
            )
            for r in rows
        ),
        total=total,
        limit=limit,
        offset=offset,
        namespace=namespace,
        namespaces=namespaces,
    )


def _namespaces(
    session: Session, jobs: sa.Select[tuple[int, str, str, datetime]], sight: Sight
) -> tuple[ValueCount, ...]:
    """How many live jobs the grants show in each namespace, by namespace."""
    if sight.sees_everything:
        listed = jobs.subquery()
        counts = [
            (namespace, int(count))
            for namespace, count in session.execute(
                sa.select(listed.c.namespace, sa.func.count()).group_by(listed.c.namespace)
            )
        ]
    else:
        counted = Counter(
            r.namespace for r in sight.keep(session.execute(jobs), lambda r: (r.namespace, r.name))
        )
        counts = list(counted.items())
    return tuple(ValueCount(namespace, count) for namespace, count in sorted(counts))
