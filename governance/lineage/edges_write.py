"""Write column edges: declared by ``columnLineage`` facets, or derived from a run's SQL."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from governance.lineage import tables as t
from governance.lineage.among import chunks
from governance.lineage.derive import DatasetRef
from governance.lineage.edge_spec import EdgeSpec
from governance.lineage.nodes_write import dataset_ids, materials_of
from governance.lineage.sql_cache import derive_materials
from governance.lineage.upsert import Upserts

RunEdge = tuple[uuid.UUID, int, EdgeSpec]  # (run, its job id, edge)
_IDENTITY = (
    "job_id",
    "target_field_id",
    "source_field_id",
    "transformation",
    "subtype",
    "masking",
    "derived",
)


def record_edges(ups: Upserts, edges: Sequence[RunEdge], known: Mapping[DatasetRef, int]) -> None:
    """Record each edge once per job and link it to the runs that reported it.

    Every dataset an edge names exists: declared ones were written with the batch's nodes, and a
    derived edge names only its run's own inputs and outputs.
    """
    if not edges:
        return
    session = ups.session
    refs = {e.source for _, _, e in edges} | {e.target for _, _, e in edges}
    ids = {**known, **dataset_ids(ups, refs - set(known))}
    missing = refs - set(ids)
    if missing:
        raise LookupError(f"column edges name datasets that do not exist: {sorted(missing, key=str)[:5]}")
    field_ids = _field_ids(
        ups,
        {(ids[e.source], e.source_field) for _, _, e in edges}
        | {(ids[e.target], e.target_field) for _, _, e in edges},
    )
    identities = sorted({_identity(job_id, e, ids, field_ids) for _, job_id, e in edges})
    session.execute(
        ups.insert(t.column_edge).on_conflict_do_nothing(index_elements=list(_IDENTITY)),
        [dict(zip(_IDENTITY, identity, strict=True)) for identity in identities],
    )
    edge_ids = _edge_ids(ups, set(identities))
    links = sorted(
        {(run_uuid, edge_ids[_identity(job_id, e, ids, field_ids)]) for run_uuid, job_id, e in edges},
        key=lambda link: (str(link[0]), link[1]),
    )
    session.execute(
        ups.insert(t.run_column_edge).on_conflict_do_nothing(),
        [{"run_uuid": run_uuid, "edge_id": edge_id} for run_uuid, edge_id in links],
    )


def rederive(ups: Upserts, runs: Collection[uuid.UUID], at: datetime) -> set[int]:
    """Replace the runs' derived edges with those of their SQL as the schemas are known now.

    Returns the jobs whose runs were derived again.
    """
    materials = materials_of(ups, runs)
    if not materials:
        return set()
    outcomes = derive_materials(ups, {run_uuid: m for run_uuid, (_, m) in materials.items()}, at)
    session = ups.session
    rl, ce, rce = t.run_lineage, t.column_edge, t.run_column_edge
    session.execute(
        sa.update(rl).where(rl.c.run_uuid == sa.bindparam("b_run")).values(sql_key=sa.bindparam("b_key")),
        [{"b_run": run_uuid, "b_key": outcome.key} for run_uuid, outcome in sorted(outcomes.items())],
    )
    derived_ids = sa.select(ce.c.id).where(ce.c.derived.is_(True))
    for chunk in chunks(outcomes):
        session.execute(sa.delete(rce).where(rce.c.run_uuid.in_(chunk), rce.c.edge_id.in_(derived_ids)))
    record_edges(
        ups,
        [
            (run_uuid, materials[run_uuid][0], edge)
            for run_uuid, outcome in outcomes.items()
            for edge in outcome.edges
        ],
        {},
    )
    return {job_id for job_id, _ in materials.values()}


def _identity(
    job_id: int, e: EdgeSpec, ids: Mapping[DatasetRef, int], field_ids: Mapping[tuple[int, str], int]
) -> tuple[Any, ...]:
    return (
        job_id,
        field_ids[(ids[e.target], e.target_field)],
        field_ids[(ids[e.source], e.source_field)],
        e.transformation,
        e.subtype,
        e.masking,
        e.derived,
    )


def _field_ids(ups: Upserts, wanted: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    f = t.dataset_field
    ups.session.execute(
        ups.insert(f).on_conflict_do_nothing(index_elements=["dataset_id", "path"]),
        [{"dataset_id": d, "path": p} for d, p in sorted(wanted)],
    )
    found: dict[tuple[int, str], int] = {}
    for chunk in chunks(wanted):
        rows = ups.session.execute(
            sa.select(f.c.dataset_id, f.c.path, f.c.id).where(
                sa.tuple_(f.c.dataset_id, f.c.path).in_(list(chunk))
            )
        )
        found.update({(int(d), p): int(i) for d, p, i in rows})
    return found


def _edge_ids(ups: Upserts, identities: set[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    ce = t.column_edge
    jobs = sorted({i[0] for i in identities})
    targets = sorted({i[1] for i in identities})
    found: dict[tuple[Any, ...], int] = {}
    for chunk in chunks(targets):
        rows = ups.session.execute(
            sa.select(ce.c.id, *(ce.c[c] for c in _IDENTITY)).where(
                ce.c.job_id.in_(jobs), ce.c.target_field_id.in_(chunk)
            )
        )
        for edge_id, *identity in rows:
            key = tuple(identity)
            if key in identities:
                found[key] = int(edge_id)
    return found
