"""Soft deletes of datasets and jobs, as Marquez makes them.

A deleted dataset or job keeps its rows (versions, runs, edges, tags) but is hidden: from the
lists, search, the dashboard's counts, lineage and column lineage walks (and the paths through
it), a job's inputs and outputs, and ``GET`` by name, which answer 404 as for an unknown one.
As in Marquez, the next event that names it makes it visible again (the worker's fold does that).
A caller deletes only what its grants let it see: anything else is unknown to it (``NotFound``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.lineage import tables as t
from governance.lineage.datasets import dataset_row, dataset_views
from governance.lineage.jobs import job_row, job_views
from governance.lineage.namespaces import get_namespace
from governance.lineage.read_model import JSON
from governance.lineage.visibility import Sight


def _hide(session: Session, table: sa.Table, row_id: int) -> sa.Row[tuple[object, ...]]:
    session.execute(sa.update(table).where(table.c.id == row_id).values(deleted=True))
    return session.execute(sa.select(table).where(table.c.id == row_id)).one()


def delete_dataset(session: Session, *, grants: Grants, namespace: str, name: str) -> JSON:
    """Soft-delete a live dataset the grants show; the dataset, now ``deleted``."""
    sight = Sight(grants)
    get_namespace(session, namespace, grants=grants)
    row = _hide(session, t.dataset, int(dataset_row(session, namespace, name, sight).id))
    session.commit()
    return dataset_views(session, [row], with_lineage=True, sight=sight)[0]


def delete_job(session: Session, *, grants: Grants, namespace: str, name: str) -> JSON:
    """Soft-delete a live job the grants show; the job as it was."""
    sight = Sight(grants)
    get_namespace(session, namespace, grants=grants)
    row = _hide(session, t.job, int(job_row(session, namespace, name, sight).id))
    session.commit()
    return job_views(session, [row], sight=sight)[0]
