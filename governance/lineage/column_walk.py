"""The column-level walk and Marquez's column lineage graph (``/column-lineage``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.errors import InvalidInput
from governance.lineage import tables as t
from governance.lineage.among import among, chunks
from governance.lineage.facets import WHOLE_DATASET
from governance.lineage.nodes import NodeRef, field_node_id, job_node_id
from governance.lineage.read_model import JSON
from governance.lineage.visibility import RESTRICTED_NAMESPACE, Sight
from governance.lineage.walks import (
    MAX_NODES,
    WALK_CHUNK,
    check_depth,
    deleted_nodes,
    edge_view,
    visible_root,
)


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


@dataclass
class ColumnWalk:
    fields: dict[int, int] = field(default_factory=dict)  # field id -> distance from the start
    hops: dict[tuple[int, int, int, str, str, bool, bool], Hop] = field(default_factory=dict)
    # field id -> the hop that first reached it (for impact paths)
    reached_by: dict[int, Hop] = field(default_factory=dict)
    truncated: bool = False


def start_fields(session: Session, root: NodeRef) -> set[int]:
    if root.kind == "datasetField":
        assert root.field_id is not None
        return {root.field_id}
    if root.kind == "job":
        raise InvalidInput("column lineage starts from a dataset or a dataset field, not a job")
    rows = session.execute(sa.select(t.dataset_field.c.id).where(t.dataset_field.c.dataset_id == root.id))
    return {int(r[0]) for r in rows}


def column_walk(
    session: Session, start: set[int], depth: int, *, upstream: bool, downstream: bool, as_of: datetime | None
) -> ColumnWalk:
    edges = edge_view(as_of)
    deleted = deleted_nodes(session, with_fields=True)
    walk = ColumnWalk(fields=dict.fromkeys(start, 0))
    for going_down in (False, True):
        if (going_down and not downstream) or (not going_down and not upstream):
            continue
        near, far = (edges.c.source_field_id, "target") if going_down else (edges.c.target_field_id, "source")
        live = sa.select(edges)
        frontier = set(start)
        for distance in range(1, depth + 1):
            if not frontier:
                break
            found: set[int] = set()
            for chunk in chunks(frontier, WALK_CHUNK):
                rows = session.execute(live.where(among(session, near, chunk)))
                for row in rows:
                    # A deleted job or dataset is hidden, and with it the edges through it.
                    if (
                        int(row.job_id) in deleted.jobs
                        or int(row._mapping[f"{far}_field_id"]) in deleted.fields
                    ):
                        continue
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
class FieldInfo:
    namespace: str
    dataset: str
    path: str
    type: str | None
    dataset_id: int


def field_info(session: Session, field_ids: Iterable[int]) -> dict[int, FieldInfo]:
    f, d = t.dataset_field, t.dataset
    found: dict[int, FieldInfo] = {}
    for chunk in chunks(field_ids, WALK_CHUNK):
        rows = session.execute(
            sa.select(f.c.id, d.c.namespace, d.c.name, f.c.path, f.c.type, d.c.id)
            .join(d, d.c.id == f.c.dataset_id)
            .where(among(session, f.c.id, chunk))
        )
        found.update({int(r[0]): FieldInfo(r[1], r[2], r[3], r[4], int(r[5])) for r in rows})
    return found


def job_names(session: Session, job_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    found: dict[int, tuple[str, str]] = {}
    for chunk in chunks(job_ids, WALK_CHUNK):
        rows = session.execute(
            sa.select(t.job.c.id, t.job.c.namespace, t.job.c.name).where(among(session, t.job.c.id, chunk))
        )
        found.update({int(r[0]): (r[1], r[2]) for r in rows})
    return found


def job_ref(jobs: dict[int, tuple[str, str]], job_id: int, sight: Sight) -> str:
    """A job's node id, or the restricted id standing for it when ``sight`` hides it."""
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
    root = visible_root(session, node_id, sight)
    walk = column_walk(
        session,
        start_fields(session, root),
        check_depth(depth),
        upstream=True,
        downstream=with_downstream,
        as_of=as_of,
    )
    info = field_info(session, walk.fields)
    jobs = job_names(session, {h.job_id for h in walk.hops.values()})

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
                "job": job_ref(jobs, hop.job_id, sight),
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


def _unique(edges: list[JSON]) -> list[JSON]:
    seen: set[tuple[str, str]] = set()
    out = []
    for edge in edges:
        key = (edge["origin"], edge["destination"])
        if key not in seen:
            seen.add(key)
            out.append(edge)
    return out
