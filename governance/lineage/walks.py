"""What the walks of the lineage graph share: their limits, and which inputs, outputs and
column edges count, now or as of a past time.

Each walk goes breadth first, one batched query per level and direction, so a depth-20 walk is
at most a few dozen indexed lookups whatever the estate's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.errors import InvalidInput, NotFound
from governance.lineage import tables as t
from governance.lineage.among import chunks
from governance.lineage.nodes import NodeRef, resolve_node
from governance.lineage.visibility import Sight

MAX_DEPTH = 100
MAX_NODES = 20_000
# Ids per query of a walk; each is one array parameter on PostgreSQL.
WALK_CHUNK = 5_000


def check_depth(depth: int) -> int:
    """A depth the walks accept."""
    if not 0 <= depth <= MAX_DEPTH:
        raise InvalidInput(f"depth must be between 0 and {MAX_DEPTH}, not {depth}")
    return depth


def visible_root(session: Session, node_id: str, sight: Sight) -> NodeRef:
    """The start of a walk; a hidden one is answered exactly as an unknown one."""
    root = resolve_node(session, node_id)
    if not sight.sees(root.namespace, root.name):
        raise NotFound(f"no node {node_id!r}")
    return root


def start_node(session: Session, node_id: str, *, grants: Grants) -> NodeRef:
    """The node a walk would start from, for the caller's grants (hidden is as unknown: NotFound)."""
    return visible_root(session, node_id, Sight(grants))


@dataclass(frozen=True, slots=True)
class Deleted:
    """Soft-deleted jobs and datasets, and the fields of those datasets: walks pass none of them."""

    jobs: frozenset[int]
    datasets: frozenset[int]
    fields: frozenset[int]


def deleted_nodes(session: Session, *, with_fields: bool = False) -> Deleted:
    """What a walk must not pass, read through the partial indexes of deleted rows."""
    # Spelled as the partial indexes' predicate, so that both databases use them.
    jobs = frozenset(int(i) for (i,) in session.execute(sa.select(t.job.c.id).where(sa.text("job.deleted"))))
    datasets = frozenset(
        int(i) for (i,) in session.execute(sa.select(t.dataset.c.id).where(sa.text("dataset.deleted")))
    )
    fields: frozenset[int] = frozenset()
    if with_fields and datasets:
        f = t.dataset_field
        fields = frozenset(
            int(i)
            for chunk in chunks(datasets, WALK_CHUNK)
            for (i,) in session.execute(sa.select(f.c.id).where(f.c.dataset_id.in_(chunk)))
        )
    return Deleted(jobs, datasets, fields)


def latest_runs_as_of(as_of: datetime, having: sa.Table) -> sa.Subquery:
    """Rows (job_id, run_uuid): each job's latest run begun by ``as_of`` among those in ``having``."""
    rl = t.run_lineage
    ranked = (
        sa.select(
            rl.c.job_id,
            rl.c.run_uuid,
            sa.func.row_number()
            .over(partition_by=rl.c.job_id, order_by=(rl.c.first_event_at.desc(), rl.c.run_uuid.desc()))
            .label("rank"),
        )
        .where(rl.c.first_event_at <= as_of, sa.exists().where(having.c.run_uuid == rl.c.run_uuid))
        .subquery()
    )
    return sa.select(ranked.c.job_id, ranked.c.run_uuid).where(ranked.c.rank == 1).subquery()


def io_view(as_of: datetime | None) -> sa.FromClause:
    """Rows (job_id, direction, dataset_id): each job's inputs and outputs at the time."""
    if as_of is None:
        return t.job_io
    runs = latest_runs_as_of(as_of, t.run_io)
    return (
        sa.select(runs.c.job_id, t.run_io.c.direction, t.run_io.c.dataset_id)
        .join(t.run_io, t.run_io.c.run_uuid == runs.c.run_uuid)
        .subquery()
    )


def edge_view(as_of: datetime | None) -> sa.FromClause:
    """Column edges in force at the time, declared ones winning over derived ones per target."""
    ce = t.column_edge
    cols = [
        ce.c[c] for c in ("id", "job_id", "source_field_id", "target_field_id", "transformation", "subtype")
    ]
    cols += [ce.c.masking, ce.c.derived]
    if as_of is None:
        # Spelled as the partial indexes' predicate, so that both databases use them.
        return sa.select(*cols).where(sa.text("column_edge.is_current")).subquery()
    runs = latest_runs_as_of(as_of, t.run_column_edge)
    rce, ce2, rce2 = (
        t.run_column_edge,
        t.column_edge.alias("declared"),
        t.run_column_edge.alias("declared_run"),
    )
    declared_for_target = (
        sa.exists()
        .where(rce2.c.run_uuid == rce.c.run_uuid, rce2.c.edge_id == ce2.c.id)
        .where(ce2.c.target_field_id == ce.c.target_field_id, ce2.c.derived.is_(False))
    )
    return (
        sa.select(*cols)
        .join(rce, rce.c.edge_id == ce.c.id)
        .join(runs, runs.c.run_uuid == rce.c.run_uuid)
        .where(sa.or_(ce.c.derived.is_(False), ~declared_for_target))
        .subquery()
    )
