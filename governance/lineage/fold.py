"""Fold an accepted event into the lineage graph (the worker's graph handler).

The graph is a function of the set of events: replaying them in any order, or twice, gives
the same rows. Ids of versions are name-based UUIDs, so a replay gives the same ids too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session

from governance.ingest.envelope import run_uuid as parse_run_id
from governance.ingest.schema import EventKind
from governance.ingest.stored import StoredEvent
from governance.lineage import tables as t
from governance.lineage.derive import DatasetRef
from governance.lineage.edge_spec import EdgeSpec
from governance.lineage.facets import declared_edges, schema_fields
from governance.lineage.ids import IN, OUT, dataset_version_uuid, job_version_uuid
from governance.lineage.sql_cache import derive_material, sql_material
from governance.lineage.upsert import Upserts
from governance.models import UTCDateTime


@dataclass(frozen=True, slots=True)
class _Stamp:
    """The statements of one session and the event being folded (its time and content hash)."""

    ups: Upserts
    at: datetime
    digest: str


def fold_event(session: Session, event: StoredEvent) -> None:
    """Fold one event into namespaces, datasets, versions, jobs, run IO and column edges."""
    body = event.body
    ups = Upserts(session)
    at, digest = event.event_time, event.content_hash
    stamp = _Stamp(ups, at, digest)
    if event.kind == EventKind.DATASET.value:
        raw = body.get("dataset")
        if isinstance(raw, dict) and _named(raw):
            ids = _datasets(stamp, [raw], [])
            _version(stamp, ids[_ref(raw)], raw, origin=f"event:{digest}", run_uuid=None)
        return
    job_raw = body.get("job") or {}
    job_ns, job_name = job_raw.get("namespace"), job_raw.get("name")
    if not (isinstance(job_ns, str) and isinstance(job_name, str)):
        return
    inputs = [d for d in body.get("inputs") or [] if _named(d)]
    outputs = [d for d in body.get("outputs") or [] if _named(d)]
    _namespaces(ups, [job_ns, *(d["namespace"] for d in (*inputs, *outputs))], at)
    job_id = int(ups.span(t.job, {"namespace": job_ns, "name": job_name}, at, returning="id"))
    # Events of one job take turns: the job's current lineage is rebuilt from its runs below.
    session.execute(sa.select(t.job.c.id).where(t.job.c.id == job_id).with_for_update())
    ups.facets(f"job:{job_id}", job_raw.get("facets"), at, digest)
    ids = _datasets(stamp, inputs, outputs)
    run_uuid = event.run_uuid
    if event.kind != EventKind.RUN.value or run_uuid is None:
        return
    _run(stamp, run_uuid, job_id, body)
    for raw in outputs:
        _version(stamp, ids[_ref(raw)], raw, origin=str(run_uuid), run_uuid=run_uuid)
    io_rows = [{"run_uuid": run_uuid, "direction": IN, "dataset_id": ids[_ref(d)]} for d in inputs]
    io_rows += [{"run_uuid": run_uuid, "direction": OUT, "dataset_id": ids[_ref(d)]} for d in outputs]
    if io_rows:
        session.execute(ups.insert(t.run_io).on_conflict_do_nothing(), io_rows)
    material = sql_material(body, inputs, outputs)
    if material is not None:
        _keep_material(stamp, run_uuid, material)
    _record_edges(stamp, run_uuid, job_id, list(_declared(outputs)), ids)
    _rederive(stamp, run_uuid, job_id)
    _refresh_job(ups, job_id)
    _refresh_job_version(ups, run_uuid, job_ns, job_name)


def _named(raw: Any) -> bool:
    return (
        isinstance(raw, dict) and isinstance(raw.get("namespace"), str) and isinstance(raw.get("name"), str)
    )


def _ref(raw: Mapping[str, Any]) -> DatasetRef:
    return DatasetRef(raw["namespace"], raw["name"])


def _namespaces(ups: Upserts, names: Iterable[str], at: datetime) -> None:
    for name in sorted(set(names)):
        ups.span(t.namespace, {"name": name}, at)


def _datasets(
    stamp: _Stamp, inputs: Sequence[Mapping[str, Any]], outputs: Sequence[Mapping[str, Any]]
) -> dict[DatasetRef, int]:
    """Upsert the datasets in name order (one lock order for every worker) with their facets."""
    ups, at, digest = stamp.ups, stamp.at, stamp.digest
    facets: dict[DatasetRef, dict[str, Any]] = {}
    for raw in (*inputs, *outputs):
        merged = facets.setdefault(_ref(raw), {})
        merged.update(raw.get("facets") or {})
        merged.update(raw.get("inputFacets") or {})
        merged.update(raw.get("outputFacets") or {})
    ids: dict[DatasetRef, int] = {}
    for ref in sorted(facets, key=lambda r: (r.namespace, r.name)):
        dataset_id = int(
            ups.span(t.dataset, {"namespace": ref.namespace, "name": ref.name}, at, returning="id")
        )
        ids[ref] = dataset_id
        subject = f"dataset:{dataset_id}"
        ups.facets(subject, facets[ref], at, digest)
        if "schema" in facets[ref] and _refresh_fields(ups, dataset_id, subject):
            _rederive_readers(stamp, dataset_id)
        _record_tags(ups, facets[ref].get("tags"), at)
    return ids


def _refresh_fields(ups: Upserts, dataset_id: int, subject: str) -> bool:
    """Make the dataset's fields those of its winning schema facet; old fields stay, unplaced.

    Returns whether the fields changed.
    """
    won = ups.facet(subject, "schema")
    fields = schema_fields(won[1] if won else None)
    session = ups.session
    f = t.dataset_field
    before = session.execute(
        sa.select(f.c.path, f.c.type, f.c.description, f.c.ordinal)
        .where(f.c.dataset_id == dataset_id, f.c.ordinal.is_not(None))
        .order_by(f.c.ordinal)
    ).all()
    if [tuple(r) for r in before] == [(x.path, x.type, x.description, x.ordinal) for x in fields]:
        return False
    session.execute(
        sa.update(t.dataset_field)
        .where(t.dataset_field.c.dataset_id == dataset_id, t.dataset_field.c.ordinal.is_not(None))
        .values(ordinal=None)
    )
    if not fields:
        return True
    stmt = ups.insert(t.dataset_field)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["dataset_id", "path"],
            set_={
                "type": stmt.excluded.type,
                "description": stmt.excluded.description,
                "ordinal": stmt.excluded.ordinal,
            },
        ),
        [
            {
                "dataset_id": dataset_id,
                "path": f.path,
                "type": f.type,
                "description": f.description,
                "ordinal": f.ordinal,
            }
            for f in fields
        ],
    )
    return True


def _rederive_readers(stamp: _Stamp, dataset_id: int) -> None:
    """Derive again the SQL of every run that named the dataset: its known schema changed."""
    rl = t.run_lineage
    runs = stamp.ups.session.execute(
        sa.select(rl.c.run_uuid, rl.c.job_id)
        .join(t.run_io, t.run_io.c.run_uuid == rl.c.run_uuid)
        .where(t.run_io.c.dataset_id == dataset_id, rl.c.sql_material.is_not(None))
        .distinct()
        .order_by(rl.c.job_id, rl.c.run_uuid)
    ).all()
    for run_uuid, job_id in runs:
        _rederive(stamp, run_uuid, int(job_id))
    for job_id in sorted({int(j) for _, j in runs}):
        _refresh_job(stamp.ups, job_id)


def _keep_material(stamp: _Stamp, run_uuid: uuid.UUID, material: dict[str, Any]) -> None:
    """Keep the run's newest SQL (by eventTime, then content hash)."""
    rl = t.run_lineage
    newer = sa.or_(
        rl.c.sql_event_time.is_(None),
        sa.tuple_(rl.c.sql_event_time, rl.c.sql_content_hash)
        < sa.tuple_(sa.literal(stamp.at, UTCDateTime()), sa.literal(stamp.digest)),
    )
    stamp.ups.session.execute(
        sa.update(rl)
        .where(rl.c.run_uuid == run_uuid, newer)
        .values(
            sql_material=orjson.dumps(material, option=orjson.OPT_SORT_KEYS).decode(),
            sql_event_time=stamp.at,
            sql_content_hash=stamp.digest,
        )
    )


def _rederive(stamp: _Stamp, run_uuid: uuid.UUID, job_id: int) -> None:
    """Replace the run's derived edges with those of its SQL as the schemas are known now."""
    session = stamp.ups.session
    rl, ce, rce = t.run_lineage, t.column_edge, t.run_column_edge
    text = session.execute(sa.select(rl.c.sql_material).where(rl.c.run_uuid == run_uuid)).scalar_one_or_none()
    if text is None:
        return
    outcome = derive_material(session, orjson.loads(text), stamp.at)
    session.execute(sa.update(rl).where(rl.c.run_uuid == run_uuid).values(sql_key=outcome.key))
    derived_ids = sa.select(ce.c.id).where(ce.c.job_id == job_id, ce.c.derived.is_(True))
    session.execute(sa.delete(rce).where(rce.c.run_uuid == run_uuid, rce.c.edge_id.in_(derived_ids)))
    _record_edges(stamp, run_uuid, job_id, outcome.edges, {})


def _record_tags(ups: Upserts, tags_facet: Any, at: datetime) -> None:
    names = sorted(
        {
            str(tag["key"] if not tag.get("value") else f"{tag['key']}:{tag['value']}")
            for tag in (tags_facet or {}).get("tags") or []
            if isinstance(tag, dict) and isinstance(tag.get("key"), str)
        }
    )
    if names:
        ups.session.execute(
            ups.insert(t.tag).on_conflict_do_nothing(),
            [{"name": name, "created_at": at} for name in names],
        )


def _version(
    stamp: _Stamp, dataset_id: int, raw: Mapping[str, Any], *, origin: str, run_uuid: uuid.UUID | None
) -> None:
    ups, at, ref = stamp.ups, stamp.at, _ref(raw)
    version = dataset_version_uuid(ref.namespace, ref.name, origin)
    stmt = ups.insert(t.dataset_version).values(
        uuid=version, dataset_id=dataset_id, run_uuid=run_uuid, created_at=at, updated_at=at
    )
    ups.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["uuid"],
            set_={
                "created_at": ups.least(t.dataset_version.c.created_at, at),
                "updated_at": ups.greatest(t.dataset_version.c.updated_at, at),
            },
        )
    )
    facets = {**(raw.get("facets") or {}), **(raw.get("outputFacets") or {})}
    ups.facets(f"version:{version}", facets, at, stamp.digest)


def _run(stamp: _Stamp, run_uuid: uuid.UUID, job_id: int, body: Mapping[str, Any]) -> None:
    ups, at, digest = stamp.ups, stamp.at, stamp.digest
    session = ups.session
    stmt = ups.insert(t.run_lineage).values(run_uuid=run_uuid, job_id=job_id, first_event_at=at)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["run_uuid"],
            set_={"first_event_at": ups.least(t.run_lineage.c.first_event_at, at)},
        )
    )
    run_facets = (body.get("run") or {}).get("facets") or {}
    ups.facets(f"run:{run_uuid}", run_facets, at, digest)
    ups.facets(f"run-job:{run_uuid}", (body.get("job") or {}).get("facets"), at, digest)
    if "parent" in run_facets or "parentRun" in run_facets:
        won = ups.facet(f"run:{run_uuid}", "parent") or ups.facet(f"run:{run_uuid}", "parentRun")
        parent = _parent_run_uuid(won[1] if won else {})
        session.execute(
            sa.update(t.run_lineage)
            .where(t.run_lineage.c.run_uuid == run_uuid)
            .values(parent_run_uuid=parent)
        )


def _parent_run_uuid(parent_facet: Mapping[str, Any]) -> uuid.UUID | None:
    run_id = (parent_facet.get("run") or {}).get("runId")
    return parse_run_id(run_id) if isinstance(run_id, str) and run_id else None


def _declared(outputs: Sequence[Mapping[str, Any]]) -> Iterable[EdgeSpec]:
    for raw in outputs:
        facet = (raw.get("facets") or {}).get("columnLineage")
        for edge in declared_edges(facet if isinstance(facet, dict) else None):
            yield EdgeSpec(
                DatasetRef(edge.source_namespace, edge.source_name),
                edge.source_field,
                _ref(raw),
                edge.target_field,
                edge.transformation.value,
                edge.subtype,
                edge.masking,
                derived=False,
            )


def _record_edges(
    stamp: _Stamp, run_uuid: uuid.UUID, job_id: int, edges: Sequence[EdgeSpec], ids: dict[DatasetRef, int]
) -> None:
    ups, at = stamp.ups, stamp.at
    if not edges:
        return
    session = ups.session
    # A declared source may be a dataset this event does not list (an earlier step's table);
    # a derived edge's datasets are always the run's own, which exist.
    missing = {e.source for e in edges} | {e.target for e in edges}
    for ref in sorted(missing - set(ids), key=lambda r: (r.namespace, r.name)):
        found = session.execute(
            sa.select(t.dataset.c.id).where(
                t.dataset.c.namespace == ref.namespace, t.dataset.c.name == ref.name
            )
        ).scalar_one_or_none()
        if found is None:
            _namespaces(ups, [ref.namespace], at)
            found = ups.span(t.dataset, {"namespace": ref.namespace, "name": ref.name}, at, returning="id")
        ids[ref] = int(found)
    wanted = {(ids[e.source], e.source_field) for e in edges} | {
        (ids[e.target], e.target_field) for e in edges
    }
    field_ids = _field_ids(ups, wanted)
    rows = [
        {
            "job_id": job_id,
            "source_field_id": field_ids[(ids[e.source], e.source_field)],
            "target_field_id": field_ids[(ids[e.target], e.target_field)],
            "transformation": e.transformation,
            "subtype": e.subtype,
            "masking": e.masking,
            "derived": e.derived,
        }
        for e in edges
    ]
    identity = [
        "job_id",
        "target_field_id",
        "source_field_id",
        "transformation",
        "subtype",
        "masking",
        "derived",
    ]
    session.execute(ups.insert(t.column_edge).on_conflict_do_nothing(index_elements=identity), rows)
    keys = {tuple(r[c] for c in identity) for r in rows}
    found = session.execute(
        sa.select(t.column_edge.c.id, *(t.column_edge.c[c] for c in identity)).where(
            t.column_edge.c.job_id == job_id,
            t.column_edge.c.target_field_id.in_({r["target_field_id"] for r in rows}),
        )
    )
    edge_ids = [row[0] for row in found if tuple(row[1:]) in keys]
    session.execute(
        ups.insert(t.run_column_edge).on_conflict_do_nothing(),
        [{"run_uuid": run_uuid, "edge_id": edge_id} for edge_id in edge_ids],
    )


def _field_ids(ups: Upserts, wanted: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    session = ups.session
    session.execute(
        ups.insert(t.dataset_field).on_conflict_do_nothing(index_elements=["dataset_id", "path"]),
        [{"dataset_id": d, "path": p} for d, p in sorted(wanted)],
    )
    found: dict[tuple[int, str], int] = {}
    for dataset_id in {d for d, _ in wanted}:
        paths = {p for d, p in wanted if d == dataset_id}
        rows = session.execute(
            sa.select(t.dataset_field.c.id, t.dataset_field.c.path).where(
                t.dataset_field.c.dataset_id == dataset_id, t.dataset_field.c.path.in_(paths)
            )
        )
        found.update({(dataset_id, row[1]): int(row[0]) for row in rows})
    return found


def _latest_run(ups: Upserts, job_id: int, having: sa.Table) -> uuid.UUID | None:
    rl = t.run_lineage
    value = ups.session.execute(
        sa.select(rl.c.run_uuid)
        .where(rl.c.job_id == job_id, sa.exists().where(having.c.run_uuid == rl.c.run_uuid))
        .order_by(rl.c.first_event_at.desc(), rl.c.run_uuid.desc())
        .limit(1)
    ).scalar_one_or_none()
    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _refresh_job(ups: Upserts, job_id: int) -> None:
    """Rebuild the job's current IO and column edges from its latest runs that have them."""
    session = ups.session
    io_run = _latest_run(ups, job_id, t.run_io)
    edge_run = _latest_run(ups, job_id, t.run_column_edge)
    session.execute(sa.delete(t.job_io).where(t.job_io.c.job_id == job_id))
    if io_run is not None:
        session.execute(
            t.job_io.insert().from_select(
                ["job_id", "direction", "dataset_id"],
                sa.select(sa.literal(job_id), t.run_io.c.direction, t.run_io.c.dataset_id).where(
                    t.run_io.c.run_uuid == io_run
                ),
            )
        )
    session.execute(
        sa.update(t.job).where(t.job.c.id == job_id).values(io_run_uuid=io_run, edge_run_uuid=edge_run)
    )
    ce, rce = t.column_edge, t.run_column_edge
    session.execute(
        sa.update(ce).where(ce.c.job_id == job_id, ce.c.is_current.is_(True)).values(is_current=False)
    )
    session.execute(sa.delete(t.lineage_disagreement).where(t.lineage_disagreement.c.job_id == job_id))
    if edge_run is None:
        return
    in_run = sa.select(rce.c.edge_id).where(rce.c.run_uuid == edge_run)
    declared_targets = (
        sa.select(ce.c.target_field_id)
        .join(rce, rce.c.edge_id == ce.c.id)
        .where(rce.c.run_uuid == edge_run, ce.c.derived.is_(False))
    )
    # Declared edges win: a derived edge counts only for a target nobody declared.
    session.execute(
        sa.update(ce)
        .where(
            ce.c.id.in_(in_run),
            sa.or_(ce.c.derived.is_(False), ce.c.target_field_id.not_in(declared_targets)),
        )
        .values(is_current=True)
    )
    _record_disagreements(ups, job_id, edge_run)


def _record_disagreements(ups: Upserts, job_id: int, edge_run: uuid.UUID) -> None:
    ce, rce, f, d = t.column_edge, t.run_column_edge, t.dataset_field, t.dataset
    rows = ups.session.execute(
        sa.select(ce.c.target_field_id, ce.c.derived, d.c.namespace, d.c.name, f.c.path)
        .join(rce, rce.c.edge_id == ce.c.id)
        .join(f, f.c.id == ce.c.source_field_id)
        .join(d, d.c.id == f.c.dataset_id)
        .where(rce.c.run_uuid == edge_run)
    )
    sources: dict[int, tuple[set[str], set[str]]] = {}
    for target, derived, namespace, name, path in rows:
        pair = sources.setdefault(int(target), (set(), set()))
        pair[1 if derived else 0].add(f"{namespace}:{name}:{path}")
    disagreements = [
        {
            "job_id": job_id,
            "target_field_id": target,
            "declared": orjson.dumps(sorted(declared)).decode(),
            "derived": orjson.dumps(sorted(derived)).decode(),
        }
        for target, (declared, derived) in sorted(sources.items())
        if declared and derived and declared != derived
    ]
    if disagreements:
        ups.session.execute(t.lineage_disagreement.insert(), disagreements)


def _refresh_job_version(ups: Upserts, run_uuid: uuid.UUID, job_ns: str, job_name: str) -> None:
    """A job version is the job's inputs, outputs, code location and SQL, as this run used them."""
    session = ups.session
    io = session.execute(
        sa.select(t.run_io.c.direction, t.dataset.c.namespace, t.dataset.c.name)
        .join(t.dataset, t.dataset.c.id == t.run_io.c.dataset_id)
        .where(t.run_io.c.run_uuid == run_uuid)
        .order_by(t.run_io.c.direction, t.dataset.c.namespace, t.dataset.c.name)
    ).all()
    sql = ups.facet(f"run-job:{run_uuid}", "sql")
    location = ups.facet(f"run-job:{run_uuid}", "sourceCodeLocation")
    material = "\0".join(
        [
            job_ns,
            job_name,
            *(f"{d}:{ns}:{name}" for d, ns, name in io),
            str((sql[1] if sql else {}).get("query", "")),
            str((location[1] if location else {}).get("url", "")),
        ]
    )
    session.execute(
        sa.update(t.run_lineage)
        .where(t.run_lineage.c.run_uuid == run_uuid)
        .values(job_version_uuid=job_version_uuid(material))
    )


__all__ = ["fold_event"]
