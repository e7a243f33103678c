"""Walks of the lineage graph: table level (``/lineage``), column level (``/column-lineage``) and
impact analysis, now or as of a past time.

Each walk goes breadth first, one batched query per level and direction, so a depth-20 walk is
at most a few dozen indexed lookups whatever the estate's size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.errors import InvalidInput, NotFound
from governance.lineage import tables as t
from governance.lineage.catalog import JSON, dataset_views, job_views
from governance.lineage.facets import WHOLE_DATASET
from governance.lineage.ids import IN, OUT
from governance.lineage.nodes import NodeRef, dataset_node_id, field_node_id, job_node_id, resolve_node
from governance.lineage.visibility import RESTRICTED_NAMESPACE, Sight, restricted_dataset, restricted_job

MAX_DEPTH = 100
MAX_NODES = 20_000
_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class Hop:
    """One column edge as a walk crosses it."""

    source: int
    target: int
    job_id: int
    transformation: str
    subtype: str
    masking: bool
    derived: bool


def _visible_root(session: Session, node_id: str, sight: Sight) -> NodeRef:
    """The start of a walk; a hidden one is answered exactly as an unknown one."""
    root = resolve_node(session, node_id)
    if not sight.sees(root.namespace, root.name):
        raise NotFound(f"no node {node_id!r}")
    return root


def check_depth(depth: int) -> int:
    """A depth the walks accept."""
    if not 0 <= depth <= MAX_DEPTH:
        raise InvalidInput(f"depth must be between 0 and {MAX_DEPTH}, not {depth}")
    return depth


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


# --- which IO and edges count: now, or as of a time ------------------------------------------


def _latest_runs_as_of(as_of: datetime, having: sa.Table) -> sa.Subquery:
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


def _io_view(as_of: datetime | None) -> sa.FromClause:
    """Rows (job_id, direction, dataset_id): each job's inputs and outputs at the time."""
    if as_of is None:
        return t.job_io
    runs = _latest_runs_as_of(as_of, t.run_io)
    return (
        sa.select(runs.c.job_id, t.run_io.c.direction, t.run_io.c.dataset_id)
        .join(t.run_io, t.run_io.c.run_uuid == runs.c.run_uuid)
        .subquery()
    )


def _edge_view(as_of: datetime | None) -> sa.FromClause:
    """Column edges in force at the time, declared ones winning over derived ones per target."""
    ce = t.column_edge
    cols = [
        ce.c[c] for c in ("id", "job_id", "source_field_id", "target_field_id", "transformation", "subtype")
    ]
    cols += [ce.c.masking, ce.c.derived]
    if as_of is None:
        # Spelled as the partial indexes' predicate, so that both databases use them.
        return sa.select(*cols).where(sa.text("column_edge.is_current")).subquery()
    runs = _latest_runs_as_of(as_of, t.run_column_edge)
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


# --- table level ------------------------------------------------------------------------------


@dataclass
class _TableWalk:
    datasets: set[int] = field(default_factory=set)
    jobs: set[int] = field(default_factory=set)
    # (job_id, direction, dataset_id): an input or output the walk crossed
    io: set[tuple[int, str, int]] = field(default_factory=set)
    truncated: bool = False


def _table_walk(session: Session, root: NodeRef, depth: int, as_of: datetime | None) -> _TableWalk:
    io = _io_view(as_of)
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
                found = _io_rows(session, io, io.c.dataset_id, datasets, toward_job)
                walk.io.update(found)
                jobs |= {j for j, _, _ in found} - walk.jobs
                walk.jobs |= jobs
            if not jobs:
                break
            found = _io_rows(session, io, io.c.job_id, jobs, from_job)
            walk.io.update(found)
            datasets = {d for _, _, d in found} - walk.datasets
            walk.datasets |= datasets
            jobs = set()
            if len(walk.datasets) + len(walk.jobs) > MAX_NODES:
                walk.truncated = True
                break
    return walk


def _io_rows(
    session: Session, io: sa.FromClause, key: Any, ids: set[int], direction: str
) -> set[tuple[int, str, int]]:
    found: set[tuple[int, str, int]] = set()
    for chunk in _chunks(ids):
        rows = session.execute(
            sa.select(io.c.job_id, io.c.direction, io.c.dataset_id).where(
                key.in_(chunk), io.c.direction == direction
            )
        )
        found.update((int(j), str(d), int(ds)) for j, d, ds in rows)
    return found


def lineage(
    session: Session, node_id: str, *, grants: Grants, depth: int, as_of: datetime | None = None
) -> JSON:
    """The datasets and jobs up- and downstream of a node, in Marquez's ``LineageGraph`` shape.

    A node the grants hide stays in the graph, with its edges, as a restricted node.
    """
    sight = Sight(grants)
    root = _visible_root(session, node_id, sight)
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
    for chunk in _chunks(ids):
        rows.extend(session.execute(sa.select(table).where(table.c.id.in_(chunk)).order_by(table.c.id)).all())
    return rows


# --- column level -----------------------------------------------------------------------------


@dataclass
class _ColumnWalk:
    fields: dict[int, int] = field(default_factory=dict)  # field id -> distance from the start
    hops: dict[tuple[int, int, int, str, str, bool, bool], Hop] = field(default_factory=dict)
    # field id -> the hop that first reached it (for impact paths)
    reached_by: dict[int, Hop] = field(default_factory=dict)
    truncated: bool = False


def _start_fields(session: Session, root: NodeRef) -> set[int]:
    if root.kind == "datasetField":
        assert root.field_id is not None
        return {root.field_id}
    if root.kind == "job":
        raise InvalidInput("column lineage starts from a dataset or a dataset field, not a job")
    rows = session.execute(sa.select(t.dataset_field.c.id).where(t.dataset_field.c.dataset_id == root.id))
    return {int(r[0]) for r in rows}


def _column_walk(
    session: Session, start: set[int], depth: int, *, upstream: bool, downstream: bool, as_of: datetime | None
) -> _ColumnWalk:
    edges = _edge_view(as_of)
    walk = _ColumnWalk(fields=dict.fromkeys(start, 0))
    for going_down in (False, True):
        if (going_down and not downstream) or (not going_down and not upstream):
            continue
        near, far = (edges.c.source_field_id, "target") if going_down else (edges.c.target_field_id, "source")
        frontier = set(start)
        for distance in range(1, depth + 1):
            if not frontier:
                break
            found: set[int] = set()
            for chunk in _chunks(frontier):
                rows = session.execute(sa.select(edges).where(near.in_(chunk)))
                for row in rows:
                    hop = Hop(
                        int(row.source_field_id),
                        int(row.target_field_id),
                        int(row.job_id),
                        row.transformation,
                        row.subtype,
                        bool(row.masking),
                        bool(row.derived),
                    )
                    walk.hops[
                        (
                            hop.source,
                            hop.target,
                            hop.job_id,
                            hop.transformation,
                            hop.subtype,
                            hop.masking,
                            hop.derived,
                        )
                    ] = hop
                    reached = hop.target if far == "target" else hop.source
                    if reached not in walk.fields:
                        walk.fields[reached] = distance
                        walk.reached_by[reached] = hop
                        found.add(reached)
            frontier = found
            if len(walk.fields) > MAX_NODES:
                walk.truncated = True
                break
    return walk


@dataclass(frozen=True, slots=True)
class _FieldInfo:
    namespace: str
    dataset: str
    path: str
    type: str | None
    dataset_id: int


def _field_info(session: Session, field_ids: Iterable[int]) -> dict[int, _FieldInfo]:
    f, d = t.dataset_field, t.dataset
    found: dict[int, _FieldInfo] = {}
    for chunk in _chunks(field_ids):
        rows = session.execute(
            sa.select(f.c.id, d.c.namespace, d.c.name, f.c.path, f.c.type, d.c.id)
            .join(d, d.c.id == f.c.dataset_id)
            .where(f.c.id.in_(chunk))
        )
        found.update({int(r[0]): _FieldInfo(r[1], r[2], r[3], r[4], int(r[5])) for r in rows})
    return found


def _job_names(session: Session, job_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    found: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(job_ids):
        rows = session.execute(
            sa.select(t.job.c.id, t.job.c.namespace, t.job.c.name).where(t.job.c.id.in_(chunk))
        )
        found.update({int(r[0]): (r[1], r[2]) for r in rows})
    return found


def _job_ref(jobs: dict[int, tuple[str, str]], job_id: int, sight: Sight) -> str:
    namespace, name = jobs[job_id]
    return job_node_id(namespace, name) if sight.sees(namespace, name) else sight.restricted_id("job", job_id)


def column_lineage(
    session: Session,
    node_id: str,
    *,
    grants: Grants,
    depth: int,
    with_downstream: bool,
    as_of: datetime | None = None,
) -> JSON:
    """Fields upstream (and downstream) of a field or of every field of a dataset, in Marquez's shape.

    A field of a dataset the grants hide stays in the graph, with its edges, as a restricted node.
    """
    sight = Sight(grants)
    root = _visible_root(session, node_id, sight)
    walk = _column_walk(
        session,
        _start_fields(session, root),
        check_depth(depth),
        upstream=True,
        downstream=with_downstream,
        as_of=as_of,
    )
    info = _field_info(session, walk.fields)
    jobs = _job_names(session, {h.job_id for h in walk.hops.values()})

    def shown(field_id: int) -> bool:
        return sight.sees(info[field_id].namespace, info[field_id].dataset)

    def node_id_of(field_id: int) -> str:
        i = info[field_id]
        if not shown(field_id):
            return sight.restricted_field_id(i.dataset_id, field_id)
        return field_node_id(i.namespace, i.dataset, i.path)

    visible = {fid for fid, i in info.items() if i.path != WHOLE_DATASET}
    inputs: dict[int, list[JSON]] = {fid: [] for fid in visible}
    in_edges: dict[int, list[JSON]] = {fid: [] for fid in visible}
    out_edges: dict[int, list[JSON]] = {fid: [] for fid in visible}
    for hop in sorted(walk.hops.values(), key=lambda h: (h.target, h.source, h.job_id, h.transformation)):
        if hop.source not in visible or hop.target not in visible:
            continue
        source = info[hop.source]
        restricted = not shown(hop.source)
        if restricted:
            _, _, source_ds, source_field = node_id_of(hop.source).split(":", 3)
        else:
            source_ds, source_field = source.dataset, source.path
        inputs[hop.target].append(
            {
                "namespace": RESTRICTED_NAMESPACE if restricted else source.namespace,
                "dataset": source_ds,
                "field": source_field,
                "transformationType": hop.transformation,
                "transformationDescription": hop.subtype,
                "subtype": hop.subtype,
                "masking": hop.masking,
                "derived": hop.derived,
                "job": _job_ref(jobs, hop.job_id, sight),
                "restricted": restricted,
            }
        )
        in_edges[hop.target].append({"origin": node_id_of(hop.target), "destination": node_id_of(hop.source)})
        out_edges[hop.source].append(
            {"origin": node_id_of(hop.source), "destination": node_id_of(hop.target)}
        )
    graph = []
    for fid in sorted(
        visible, key=lambda i: (not shown(i), info[i].namespace, info[i].dataset, info[i].path)
    ):
        if not shown(fid):
            graph.append(
                _restricted_field_node(node_id_of(fid), _unique(in_edges[fid]), _unique(out_edges[fid]))
            )
            continue
        i = info[fid]
        first = inputs[fid][0] if inputs[fid] else None
        graph.append(
            {
                "id": node_id_of(fid),
                "type": "DATASET_FIELD",
                "data": {
                    "namespace": i.namespace,
                    "dataset": i.dataset,
                    "datasetVersion": None,
                    "field": i.path,
                    "fieldType": i.type,
                    "transformationDescription": first["transformationDescription"] if first else None,
                    "transformationType": first["transformationType"] if first else None,
                    "inputFields": inputs[fid],
                },
                "inEdges": _unique(in_edges[fid]),
                "outEdges": _unique(out_edges[fid]),
                "restricted": False,
            }
        )
    return {"graph": graph, "truncated": walk.truncated}


def _restricted_field_node(node_id: str, in_edges: list[JSON], out_edges: list[JSON]) -> JSON:
    _, _, dataset, field_name = node_id.split(":", 3)
    return {
        "id": node_id,
        "type": "DATASET_FIELD",
        "data": {
            "namespace": RESTRICTED_NAMESPACE,
            "dataset": dataset,
            "datasetVersion": None,
            "field": field_name,
            "fieldType": None,
            "transformationDescription": None,
            "transformationType": None,
            "inputFields": [],
            "restricted": True,
        },
        "inEdges": in_edges,
        "outEdges": out_edges,
        "restricted": True,
    }


def _impact_job(jobs: dict[int, tuple[str, str]], job_id: int, sight: Sight) -> JSON:
    namespace, name = jobs[job_id]
    if sight.sees(namespace, name):
        return {
            "nodeId": job_node_id(namespace, name),
            "namespace": namespace,
            "name": name,
            "restricted": False,
        }
    return {"nodeId": sight.restricted_id("job", job_id), "namespace": None, "name": None, "restricted": True}


def _unique(edges: list[JSON]) -> list[JSON]:
    seen: set[tuple[str, str]] = set()
    out = []
    for edge in edges:
        key = (edge["origin"], edge["destination"])
        if key not in seen:
            seen.add(key)
            out.append(edge)
    return out


# --- impact -----------------------------------------------------------------------------------


def impact(
    session: Session,
    node_id: str,
    *,
    grants: Grants,
    direction: str,
    depth: int,
    as_of: datetime | None = None,
) -> JSON:
    """Every column, dataset and job a field (or a dataset's fields) reaches, with the path to it.

    Each hop says whether it is DIRECT or INDIRECT, masked, and declared or derived from SQL.
    What the grants hide is listed, with its path, as restricted entries without names.
    """
    if direction not in {"downstream", "upstream"}:
        raise InvalidInput(f"direction must be downstream or upstream, not {direction!r}")
    sight = Sight(grants)
    root = _visible_root(session, node_id, sight)
    start = _start_fields(session, root)
    down = direction == "downstream"
    walk = _column_walk(session, start, check_depth(depth), upstream=not down, downstream=down, as_of=as_of)
    info = _field_info(session, walk.fields)
    jobs = _job_names(session, {h.job_id for h in walk.reached_by.values()})

    def describe(fid: int) -> str:
        i = info[fid]
        if not sight.sees(i.namespace, i.dataset):
            if i.path == WHOLE_DATASET:
                return sight.restricted_id("dataset", i.dataset_id)
            return sight.restricted_field_id(i.dataset_id, fid)
        return (
            dataset_node_id(i.namespace, i.dataset)
            if i.path == WHOLE_DATASET
            else field_node_id(i.namespace, i.dataset, i.path)
        )

    columns: list[JSON] = []
    datasets: dict[int, JSON] = {}
    for fid, distance in sorted(walk.fields.items(), key=lambda item: (item[1], describe(item[0]))):
        if fid in start:
            continue
        path: list[JSON] = []
        current = fid
        while current not in start:
            hop = walk.reached_by[current]
            path.append(
                {
                    "from": describe(hop.source),
                    "to": describe(hop.target),
                    "job": _job_ref(jobs, hop.job_id, sight),
                    "transformation": hop.transformation,
                    "subtype": hop.subtype,
                    "masking": hop.masking,
                    "derived": hop.derived,
                }
            )
            current = hop.source if down else hop.target
        path.reverse()
        i = info[fid]
        hidden = not sight.sees(i.namespace, i.dataset)
        entry = datasets.setdefault(
            i.dataset_id,
            {
                "nodeId": sight.restricted_id("dataset", i.dataset_id)
                if hidden
                else dataset_node_id(i.namespace, i.dataset),
                "namespace": None if hidden else i.namespace,
                "name": None if hidden else i.dataset,
                "distance": distance,
                "fields": [],
                "wholeDataset": False,
                "restricted": hidden,
            },
        )
        if i.path == WHOLE_DATASET:
            entry["wholeDataset"] = True
            continue
        if not hidden:
            entry["fields"].append(i.path)
        columns.append(
            {
                "nodeId": describe(fid),
                "namespace": None if hidden else i.namespace,
                "dataset": None if hidden else i.dataset,
                "field": None if hidden else i.path,
                "restricted": hidden,
                "distance": distance,
                "transformation": "DIRECT"
                if all(h["transformation"] == "DIRECT" for h in path)
                else "INDIRECT",
                "masked": any(h["masking"] for h in path),
                "derived": any(h["derived"] for h in path),
                "path": path,
            }
        )
    job_ids = {h.job_id for fid, h in walk.reached_by.items()}
    return {
        "nodeId": node_id,
        "direction": direction,
        "depth": depth,
        "columns": columns,
        "datasets": sorted(datasets.values(), key=lambda d: (d["distance"], d["nodeId"])),
        "jobs": sorted((_impact_job(jobs, j, sight) for j in job_ids), key=lambda j: j["nodeId"]),
        "truncated": walk.truncated,
    }
