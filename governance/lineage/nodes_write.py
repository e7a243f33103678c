"""Write a batch's nodes: namespaces, jobs, datasets and their fields, facets, runs and versions.

Rows are written in key order, so that workers folding overlapping batches lock them in one
order. An event naming a soft-deleted dataset or job brings it back, as in Marquez.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from governance.ingest.envelope import run_uuid as parse_run_id
from governance.lineage import tables as t
from governance.lineage.among import chunks
from governance.lineage.batch import GraphBatch, JobRef, SubjectKey
from governance.lineage.derive import DatasetRef
from governance.lineage.facets import schema_fields
from governance.lineage.ids import as_uuid
from governance.lineage.upsert import Upserts
from governance.models import UTCDateTime


@dataclass(frozen=True, slots=True)
class NodeIds:
    """Row ids of the batch's jobs and datasets."""

    jobs: dict[JobRef, int]
    datasets: dict[DatasetRef, int]


def write_nodes(ups: Upserts, batch: GraphBatch) -> NodeIds:
    """Upsert namespaces, jobs (locked for the rest of the transaction) and datasets; their ids."""
    ups.spans(
        t.namespace,
        ["name"],
        [{"name": name, "created_at": a, "updated_at": b} for name, (a, b) in batch.namespaces.items()],
    )
    revive = {"deleted": sa.false()}
    ups.spans(
        t.job,
        ["namespace", "name"],
        [
            {"namespace": ns, "name": n, "created_at": a, "updated_at": b}
            for (ns, n), (a, b) in batch.jobs.items()
        ],
        also=revive,
    )
    jobs = _ids(ups, t.job, batch.jobs)
    if jobs and ups.postgres:
        # Events of one job take turns: its current lineage is rebuilt from its runs below.
        ups.session.execute(
            sa.select(t.job.c.id)
            .where(t.job.c.id.in_(sorted(jobs.values())))
            .order_by(t.job.c.id)
            .with_for_update()
        )
    ups.spans(
        t.dataset,
        ["namespace", "name"],
        [
            {"namespace": r.namespace, "name": r.name, "created_at": a, "updated_at": b}
            for r, (a, b) in batch.datasets.items()
        ],
        also=revive,
    )
    return NodeIds(jobs, dataset_ids(ups, batch.datasets))


def dataset_ids(ups: Upserts, refs: Collection[DatasetRef]) -> dict[DatasetRef, int]:
    """Ids of datasets that exist, by name."""
    found = _ids(ups, t.dataset, [(r.namespace, r.name) for r in refs])
    return {DatasetRef(ns, n): i for (ns, n), i in found.items()}


def _ids(ups: Upserts, table: sa.Table, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for chunk in chunks(keys):
        rows = ups.session.execute(
            sa.select(table.c.namespace, table.c.name, table.c.id).where(
                sa.tuple_(table.c.namespace, table.c.name).in_(list(chunk))
            )
        )
        found.update({(ns, n): int(i) for ns, n, i in rows})
    return found


def subject_of(key: SubjectKey, ids: NodeIds) -> str:
    """The facet subject of a node: ``dataset:<id>``, ``job:<id>``, ``run:<uuid>``, ..."""
    kind, value = key
    if kind == "dataset":
        return f"dataset:{ids.datasets[value]}"
    if kind == "job":
        return f"job:{ids.jobs[value]}"
    return f"{kind}:{value}"


def write_facets(ups: Upserts, batch: GraphBatch, ids: NodeIds) -> None:
    """Keep every facet of the batch where it is newer than the one stored."""
    ups.facets(
        [
            {
                "subject": subject_of(subject, ids),
                "name": name,
                "event_time": value.at,
                "content_hash": value.digest,
                "payload": value.payload,
            }
            for (subject, name), value in batch.facets.items()
        ]
    )


def refresh_fields(ups: Upserts, datasets: Collection[int]) -> set[int]:
    """Make each dataset's fields those of its winning schema facet; old fields stay, unplaced.

    Returns the datasets whose fields changed.
    """
    if not datasets:
        return set()
    schemas = ups.facet_payloads([f"dataset:{i}" for i in datasets], ["schema"])
    f = t.dataset_field
    before: dict[int, list[tuple[Any, ...]]] = {}
    for chunk in chunks(datasets):
        rows = ups.session.execute(
            sa.select(f.c.dataset_id, f.c.path, f.c.type, f.c.description, f.c.ordinal)
            .where(f.c.dataset_id.in_(chunk), f.c.ordinal.is_not(None))
            .order_by(f.c.dataset_id, f.c.ordinal)
        )
        for dataset_id, *rest in rows:
            before.setdefault(int(dataset_id), []).append(tuple(rest))
    changed: set[int] = set()
    new_rows: list[dict[str, Any]] = []
    for dataset_id in sorted(datasets):
        fields = schema_fields(schemas.get((f"dataset:{dataset_id}", "schema")))
        if before.get(dataset_id, []) == [(x.path, x.type, x.description, x.ordinal) for x in fields]:
            continue
        changed.add(dataset_id)
        new_rows += [
            {
                "dataset_id": dataset_id,
                "path": x.path,
                "type": x.type,
                "description": x.description,
                "ordinal": x.ordinal,
            }
            for x in fields
        ]
    for chunk in chunks(changed):
        ups.session.execute(
            sa.update(f).where(f.c.dataset_id.in_(chunk), f.c.ordinal.is_not(None)).values(ordinal=None)
        )
    if new_rows:
        stmt = ups.insert(f)
        ups.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["dataset_id", "path"],
                set_={
                    "type": stmt.excluded.type,
                    "description": stmt.excluded.description,
                    "ordinal": stmt.excluded.ordinal,
                },
            ),
            new_rows,
        )
    return changed


def write_tags(ups: Upserts, batch: GraphBatch) -> None:
    """Known tag names, each created when first seen."""
    if not batch.tags:
        return
    stmt = ups.insert(t.tag)
    ups.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"created_at": ups.least(t.tag.c.created_at, stmt.excluded.created_at)},
        ),
        [{"name": name, "created_at": at} for name, at in sorted(batch.tags.items())],
    )


def write_runs(ups: Upserts, batch: GraphBatch, ids: NodeIds) -> None:
    """Runs with their job and first time seen, their parents, versions, inputs and outputs, SQL."""
    session = ups.session
    rl = t.run_lineage
    if batch.runs:
        stmt = ups.insert(rl)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["run_uuid"],
                set_={"first_event_at": ups.least(rl.c.first_event_at, stmt.excluded.first_event_at)},
            ),
            [
                {"run_uuid": run_uuid, "job_id": ids.jobs[row.job], "first_event_at": row.first_at}
                for run_uuid, row in sorted(batch.runs.items())
            ],
        )
    _write_parents(ups, batch.runs_with_parent)
    if batch.versions:
        v = t.dataset_version
        stmt = ups.insert(v)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["uuid"],
                set_={
                    "created_at": ups.least(v.c.created_at, stmt.excluded.created_at),
                    "updated_at": ups.greatest(v.c.updated_at, stmt.excluded.updated_at),
                },
            ),
            [
                {
                    "uuid": version,
                    "dataset_id": ids.datasets[row.dataset],
                    "run_uuid": row.run_uuid,
                    "created_at": row.span[0],
                    "updated_at": row.span[1],
                }
                for version, row in sorted(batch.versions.items())
            ],
        )
    if batch.run_io:
        session.execute(
            ups.insert(t.run_io).on_conflict_do_nothing(),
            [
                {"run_uuid": run_uuid, "direction": direction, "dataset_id": ids.datasets[ref]}
                for run_uuid, direction, ref in sorted(
                    batch.run_io, key=lambda r: (str(r[0]), r[1], r[2].namespace, r[2].name)
                )
            ],
        )
    _keep_materials(ups, batch)


def _write_parents(ups: Upserts, runs: Collection[uuid.UUID]) -> None:
    if not runs:
        return
    won = ups.facet_payloads([f"run:{r}" for r in runs], ["parent", "parentRun"])
    rows = []
    for run_uuid in sorted(runs):
        facet = won.get((f"run:{run_uuid}", "parent")) or won.get((f"run:{run_uuid}", "parentRun")) or {}
        run_id = (facet.get("run") or {}).get("runId") if isinstance(facet, dict) else None
        parent = parse_run_id(run_id) if isinstance(run_id, str) and run_id else None
        rows.append({"b_run": run_uuid, "b_parent": parent})
    rl = t.run_lineage
    ups.session.execute(
        sa.update(rl)
        .where(rl.c.run_uuid == sa.bindparam("b_run"))
        .values(parent_run_uuid=sa.bindparam("b_parent")),
        rows,
    )


def _keep_materials(ups: Upserts, batch: GraphBatch) -> None:
    """Keep each run's newest SQL (by eventTime, then content hash)."""
    if not batch.materials:
        return
    rl = t.run_lineage
    newer = sa.or_(
        rl.c.sql_event_time.is_(None),
        sa.tuple_(rl.c.sql_event_time, rl.c.sql_content_hash)
        < sa.tuple_(sa.bindparam("b_at", type_=UTCDateTime()), sa.bindparam("b_hash")),
    )
    ups.session.execute(
        sa.update(rl)
        .where(rl.c.run_uuid == sa.bindparam("b_run"), newer)
        .values(
            sql_material=sa.bindparam("b_material"),
            sql_event_time=sa.bindparam("b_at", type_=UTCDateTime()),
            sql_content_hash=sa.bindparam("b_hash"),
        ),
        [
            {
                "b_run": run_uuid,
                "b_at": material.newest[0],
                "b_hash": material.newest[1],
                "b_material": orjson.dumps(material.body, option=orjson.OPT_SORT_KEYS).decode(),
            }
            for run_uuid, material in sorted(batch.materials.items())
        ],
    )


def materials_of(ups: Upserts, runs: Collection[uuid.UUID]) -> dict[uuid.UUID, tuple[int, dict[str, Any]]]:
    """The kept SQL of the runs that have one, with the run's job id."""
    rl = t.run_lineage
    found: dict[uuid.UUID, tuple[int, dict[str, Any]]] = {}
    for chunk in chunks(runs):
        rows = ups.session.execute(
            sa.select(rl.c.run_uuid, rl.c.job_id, rl.c.sql_material).where(
                rl.c.run_uuid.in_(chunk), rl.c.sql_material.is_not(None)
            )
        )
        found.update({as_uuid(r): (int(j), orjson.loads(m)) for r, j, m in rows})
    return found


def readers_of(ups: Upserts, datasets: Collection[int]) -> set[uuid.UUID]:
    """Runs with SQL that read or wrote any of ``datasets``."""
    rl, io = t.run_lineage, t.run_io
    found: set[uuid.UUID] = set()
    for chunk in chunks(datasets):
        rows = ups.session.execute(
            sa.select(rl.c.run_uuid)
            .join(io, io.c.run_uuid == rl.c.run_uuid)
            .where(io.c.dataset_id.in_(chunk), rl.c.sql_material.is_not(None))
            .distinct()
        )
        found.update(as_uuid(r) for (r,) in rows)
    return found
