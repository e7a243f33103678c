"""The console's list of jobs: recently updated first, each with its latest run, by namespace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.lineage import tables as t
from governance.lineage.catalog_search import ValueCount
from governance.lineage.grant_sql import visible_condition
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

    An unknown namespace lists nothing, as a hidden one does. The grants filter in SQL; the glob
    judge has the last word on the page.
    """
    sight = Sight(grants)
    dialect = session.get_bind().dialect.name
    query = sa.select(t.job.c.id, t.job.c.namespace, t.job.c.name, t.job.c.updated_at).where(
        t.job.c.deleted.is_(False), visible_condition(grants, t.job.c.namespace, t.job.c.name, dialect)
    )
    listed = query.subquery()
    namespaces = tuple(
        ValueCount(value, int(count))
        for value, count in session.execute(
            sa.select(listed.c.namespace, sa.func.count())
            .group_by(listed.c.namespace)
            .order_by(listed.c.namespace)
        )
    )
    if namespace is not None:
        query = query.where(t.job.c.namespace == namespace)
    rows, total = page(session, query.order_by(t.job.c.updated_at.desc(), t.job.c.id.desc()), limit, offset)
    rows = sight.keep(rows, lambda r: (r.namespace, r.name))
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
