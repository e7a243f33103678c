"""Rebuild what traversals read: each job's current inputs, outputs and column edges, and the
job version of each run.

A job's current lineage is that of its latest run (by first event time, then run id) that has
any: a function of the set of runs, so any order of events rebuilds the same rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

import orjson
import sqlalchemy as sa

from governance.lineage import tables as t
from governance.lineage.among import chunks
from governance.lineage.ids import as_uuid, job_version_uuid
from governance.lineage.upsert import Upserts


def refresh_jobs(ups: Upserts, jobs: Collection[int]) -> None:
    """Rebuild the jobs' current IO and column edges from their latest runs that have them."""
    if not jobs:
        return
    session = ups.session
    job_ids = sorted(jobs)
    io_runs = _latest_runs(ups, job_ids, t.run_io)
    edge_runs = _latest_runs(ups, job_ids, t.run_column_edge)
    j, ce, rce = t.job, t.column_edge, t.run_column_edge
    session.execute(
        sa.update(j)
        .where(j.c.id == sa.bindparam("b_job"))
        .values(io_run_uuid=sa.bindparam("b_io"), edge_run_uuid=sa.bindparam("b_edge")),
        [{"b_job": i, "b_io": io_runs.get(i), "b_edge": edge_runs.get(i)} for i in job_ids],
    )
    for chunk in chunks(job_ids):
        session.execute(sa.delete(t.job_io).where(t.job_io.c.job_id.in_(chunk)))
        session.execute(
            t.job_io.insert().from_select(
                ["job_id", "direction", "dataset_id"],
                sa.select(j.c.id, t.run_io.c.direction, t.run_io.c.dataset_id)
                .join(t.run_io, t.run_io.c.run_uuid == j.c.io_run_uuid)
                .where(j.c.id.in_(chunk)),
            )
        )
        session.execute(
            sa.update(ce).where(ce.c.job_id.in_(chunk), ce.c.is_current.is_(True)).values(is_current=False)
        )
        session.execute(sa.delete(t.lineage_disagreement).where(t.lineage_disagreement.c.job_id.in_(chunk)))
        in_edge_run = (
            sa.select(rce.c.edge_id).join(j, j.c.edge_run_uuid == rce.c.run_uuid).where(j.c.id.in_(chunk))
        )
        ce2, rce2, j2 = ce.alias("declared_edge"), rce.alias("declared_link"), j.alias("declaring_job")
        declared_target = (
            sa.select(sa.literal(1))
            .select_from(rce2)
            .join(ce2, ce2.c.id == rce2.c.edge_id)
            .join(j2, j2.c.edge_run_uuid == rce2.c.run_uuid)
            .where(
                j2.c.id == ce.c.job_id,
                ce2.c.derived.is_(False),
                ce2.c.target_field_id == ce.c.target_field_id,
            )
        )
        # Declared edges win: a derived edge counts only for a target nobody declared.
        session.execute(
            sa.update(ce)
            .where(
                ce.c.job_id.in_(chunk),
                ce.c.id.in_(in_edge_run),
                sa.or_(ce.c.derived.is_(False), ~sa.exists(declared_target)),
            )
            .values(is_current=True)
        )
        _record_disagreements(ups, chunk)


def _latest_runs(ups: Upserts, job_ids: list[int], having: sa.Table) -> dict[int, uuid.UUID]:
    rl = t.run_lineage
    rank = (
        sa.func.row_number()
        .over(partition_by=rl.c.job_id, order_by=(rl.c.first_event_at.desc(), rl.c.run_uuid.desc()))
        .label("rank")
    )
    found: dict[int, uuid.UUID] = {}
    for chunk in chunks(job_ids):
        ranked = (
            sa.select(rl.c.job_id, rl.c.run_uuid, rank)
            .where(rl.c.job_id.in_(chunk), sa.exists().where(having.c.run_uuid == rl.c.run_uuid))
            .subquery()
        )
        rows = ups.session.execute(sa.select(ranked.c.job_id, ranked.c.run_uuid).where(ranked.c.rank == 1))
        found.update({int(job): as_uuid(run) for job, run in rows})
    return found


def _record_disagreements(ups: Upserts, job_ids: Collection[int]) -> None:
    ce, rce, f, d, j = t.column_edge, t.run_column_edge, t.dataset_field, t.dataset, t.job
    rows = ups.session.execute(
        sa.select(ce.c.job_id, ce.c.target_field_id, ce.c.derived, d.c.namespace, d.c.name, f.c.path)
        .join(rce, rce.c.edge_id == ce.c.id)
        .join(j, sa.and_(j.c.edge_run_uuid == rce.c.run_uuid, j.c.id == ce.c.job_id))
        .join(f, f.c.id == ce.c.source_field_id)
        .join(d, d.c.id == f.c.dataset_id)
        .where(j.c.id.in_(list(job_ids)))
    )
    sources: dict[tuple[int, int], tuple[set[str], set[str]]] = {}
    for job_id, target, derived, namespace, name, path in rows:
        pair = sources.setdefault((int(job_id), int(target)), (set(), set()))
        pair[1 if derived else 0].add(f"{namespace}:{name}:{path}")
    disagreements = [
        {
            "job_id": job_id,
            "target_field_id": target,
            "declared": orjson.dumps(sorted(declared)).decode(),
            "derived": orjson.dumps(sorted(derived)).decode(),
        }
        for (job_id, target), (declared, derived) in sorted(sources.items())
        if declared and derived and declared != derived
    ]
    if disagreements:
        ups.session.execute(t.lineage_disagreement.insert(), disagreements)


def refresh_job_versions(ups: Upserts, runs: Collection[uuid.UUID]) -> None:
    """A job version is the job's inputs, outputs, code location and SQL, as the run used them."""
    if not runs:
        return
    session = ups.session
    rl, j, io, d = t.run_lineage, t.job, t.run_io, t.dataset
    facets = ups.facet_payloads([f"run-job:{r}" for r in runs], ["sql", "sourceCodeLocation"])
    rows: list[dict[str, Any]] = []
    for chunk in chunks(runs):
        jobs = {
            as_uuid(r): (ns, n)
            for r, ns, n in session.execute(
                sa.select(rl.c.run_uuid, j.c.namespace, j.c.name)
                .join(j, j.c.id == rl.c.job_id)
                .where(rl.c.run_uuid.in_(chunk))
            )
        }
        used: dict[uuid.UUID, list[str]] = {}
        for r, direction, ns, n in session.execute(
            sa.select(io.c.run_uuid, io.c.direction, d.c.namespace, d.c.name)
            .join(d, d.c.id == io.c.dataset_id)
            .where(io.c.run_uuid.in_(chunk))
            .order_by(io.c.run_uuid, io.c.direction, d.c.namespace, d.c.name)
        ):
            used.setdefault(as_uuid(r), []).append(f"{direction}:{ns}:{n}")
        for run_uuid, (job_ns, job_name) in sorted(jobs.items()):
            sql = facets.get((f"run-job:{run_uuid}", "sql")) or {}
            location = facets.get((f"run-job:{run_uuid}", "sourceCodeLocation")) or {}
            material = "\0".join(
                [
                    job_ns,
                    job_name,
                    *used.get(run_uuid, []),
                    str(sql.get("query", "")),
                    str(location.get("url", "")),
                ]
            )
            rows.append({"b_run": run_uuid, "b_version": job_version_uuid(material)})
    if rows:
        session.execute(
            sa.update(rl)
            .where(rl.c.run_uuid == sa.bindparam("b_run"))
            .values(job_version_uuid=sa.bindparam("b_version")),
            rows,
        )
