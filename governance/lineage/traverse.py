"""The table-level walk (``/lineage``): datasets and jobs up- and downstream of a node."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.lineage import tables as t
from governance.lineage.among import among, chunks
from governance.lineage.datasets import dataset_views
from governance.lineage.ids import IN, OUT
from governance.lineage.jobs import job_views
from governance.lineage.nodes import NodeRef, dataset_node_id, job_node_id
from governance.lineage.read_model import JSON
from governance.lineage.visibility import Sight, restricted_dataset, restricted_job
from governance.lineage.walks import (
    MAX_DEPTH,
    MAX_NODES,
    WALK_CHUNK,
    Deleted,
    check_depth,
    deleted_nodes,
    io_view,
    visible_root,
)

__all__ = ["MAX_DEPTH", "MAX_NODES", "lineage"]


@dataclass
class _TableWalk:
    datasets: set[int] = field(default_factory=set)
    jobs: set[int] = field(default_factory=set)
    # (job_id, direction, dataset_id): an input or output the walk crossed
    io: set[tuple[int, str, int]] = field(default_factory=set)
    truncated: bool = False


def _table_walk(session: Session, root: NodeRef, depth: int, as_of: datetime | None) -> _TableWalk:
    io = io_view(as_of)
    deleted = deleted_nodes(session)
    walk = _TableWalk()
    if root.kind == "job":
        walk.jobs.add(root.id)
        start_jobs = {root.id}
        start_datasets: set[int] = set()
    else:
        walk.datasets.add(root.id)
        start_jobs, start_datasets = set(), {root.id}
    for downstream in (True, False):
        # Downstream a dataset is read (IN) by jobs that write (OUT) the next datasets.
        toward_job, from_job = (IN, OUT) if downstream else (OUT, IN)
        datasets, jobs = set(start_datasets), set(start_jobs)
        for _ in range(depth + 1):
            if datasets:
                found = _io_rows(session, io, io.c.dataset_id, datasets, toward_job, deleted=deleted)
                walk.io.update(found)
                jobs |= {j for j, _, _ in found} - walk.jobs
                walk.jobs |= jobs
            if not jobs:
                break
            found = _io_rows(session, io, io.c.job_id, jobs, from_job, deleted=deleted)
            walk.io.update(found)
            datasets = {d for _, _, d in found} - walk.datasets
            walk.datasets |= datasets
            jobs = set()
            if len(walk.datasets) + len(walk.jobs) > MAX_NODES:
                walk.truncated = True
                break
    return walk


def _io_rows(
    session: Session, io: sa.FromClause, key: Any, ids: set[int], direction: str, *, deleted: Deleted
) -> set[tuple[int, str, int]]:
    found: set[tuple[int, str, int]] = set()
    for chunk in chunks(ids, WALK_CHUNK):
        rows = session.execute(
            sa.select(io.c.job_id, io.c.direction, io.c.dataset_id).where(
                among(session, key, chunk), io.c.direction == direction
            )
        )
        # A deleted job or dataset is hidden, and with it the paths through it.
        found.update(
            (int(j), str(d), int(ds))
            for j, d, ds in rows
            if int(j) not in deleted.jobs and int(ds) not in deleted.datasets
        )
    return found


def lineage(
    session: Session, node_id: str, *, grants: Grants, depth: int, as_of: datetime | None = None
) -> JSON:
    """The datasets and jobs up- and downstream of a node, in Marquez's ``LineageGraph`` shape.

    A node the grants hide stays in the graph, with its edges, as a restricted node.
    """
    sight = Sight(grants)
    root = visible_root(session, node_id, sight)
    if root.kind == "datasetField":
        root = NodeRef("dataset", root.id, root.namespace, root.name)
    walk = _table_walk(session, root, check_depth(depth), as_of)
    dataset_rows = sight.keep(_rows(session, t.dataset, walk.datasets), lambda r: (r.namespace, r.name))
    job_rows = sight.keep(_rows(session, t.job, walk.jobs), lambda r: (r.namespace, r.name))
    views = dataset_views(session, dataset_rows, with_lineage=False, sight=sight)
    datasets = {int(r.id): d for r, d in zip(dataset_rows, views, strict=True)}
    jobs = {int(r.id): j for r, j in zip(job_rows, job_views(session, job_rows, sight=sight), strict=True)}
    for i in sorted(walk.datasets - set(datasets)):
        datasets[i] = restricted_dataset(sight.restricted_id("dataset", i))
    for i in sorted(walk.jobs - set(jobs)):
        jobs[i] = restricted_job(sight.restricted_id("job", i))
    ids = {("dataset", i): dataset_node_id(d["namespace"], d["name"]) for i, d in datasets.items()}
    ids |= {("job", i): job_node_id(j["namespace"], j["name"]) for i, j in jobs.items()}
    in_edges: dict[str, list[JSON]] = {v: [] for v in ids.values()}
    out_edges: dict[str, list[JSON]] = {v: [] for v in ids.values()}
    for job_id, direction, dataset_id in sorted(walk.io):
        job_key, dataset_key = ids.get(("job", job_id)), ids.get(("dataset", dataset_id))
        if job_key is None or dataset_key is None:
            continue
        origin, destination = (dataset_key, job_key) if direction == IN else (job_key, dataset_key)
        edge = {"origin": origin, "destination": destination}
        out_edges[origin].append(edge)
        in_edges[destination].append(edge)
    graph = [
        {
            "id": ids[("dataset", i)],
            "type": "DATASET",
            "data": d,
            "inEdges": in_edges[ids[("dataset", i)]],
            "outEdges": out_edges[ids[("dataset", i)]],
            "restricted": d.get("restricted", False),
        }
        for i, d in sorted(datasets.items())
    ]
    graph += [
        {
            "id": ids[("job", i)],
            "type": "JOB",
            "data": j,
            "inEdges": in_edges[ids[("job", i)]],
            "outEdges": out_edges[ids[("job", i)]],
            "restricted": j.get("restricted", False),
        }
        for i, j in sorted(jobs.items())
    ]
    return {"graph": graph, "truncated": walk.truncated}


def _rows(session: Session, table: sa.Table, ids: set[int]) -> list[Any]:
    rows: list[Any] = []
    for chunk in chunks(ids, WALK_CHUNK):
        rows.extend(
            session.execute(
                sa.select(table).where(among(session, table.c.id, chunk)).order_by(table.c.id)
            ).all()
        )
    return rows
