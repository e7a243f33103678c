"""Datasets, jobs, runs and namespaces in the shapes of Marquez's read API.

Each function takes a session and returns plain JSON-ready data, so the same answers serve
the API, the console and the CLI.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.errors import NotFound
from governance.lineage import tables as t
from governance.lineage.facets import WHOLE_DATASET, schema_fields
from governance.lineage.ids import IN, OUT, dataset_version_uuid
from governance.lineage.visibility import Sight, page, shown_facets
from governance.models import Run

JSON = dict[str, Any]
LATEST_RUNS = 10
STREAM_SCHEMES = ("kafka://", "pulsar://", "kinesis://", "pubsub://", "eventhubs://")


def iso(value: datetime | None) -> str | None:
    """An ISO 8601 UTC time with a ``Z``, as Marquez writes them."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _text(facets: Mapping[str, Any], facet: str, key: str) -> str | None:
    """A string field of a facet; None when the facet or field is absent or not a string."""
    value = (facets.get(facet) or {}).get(key)
    return value if isinstance(value, str) else None


def facets_of(session: Session, subjects: Iterable[str]) -> dict[str, JSON]:
    """The winning facets of each subject, by subject."""
    wanted = sorted(set(subjects))
    found: dict[str, JSON] = {s: {} for s in wanted}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            sa.select(t.facet.c.subject, t.facet.c.name, t.facet.c.payload).where(
                t.facet.c.subject.in_(wanted[start : start + 500])
            )
        )
        for subject, name, payload in rows:
            value = orjson.loads(payload)
            # A producer removes a facet by sending it with "_deleted": true (newest wins).
            if not (isinstance(value, dict) and value.get("_deleted") is True):
                found[subject][name] = value
    return found


def _page(
    session: Session, query: sa.Select[Any], limit: int, offset: int, sight: Sight | None = None
) -> tuple[list[Any], int]:
    if sight is not None and not sight.sees_everything:
        # Grants are globs judged in Python: filter every candidate, then page what is left.
        return page(sight.keep(session.execute(query).all(), lambda r: (r.namespace, r.name)), limit, offset)
    total = session.execute(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = session.execute(query.limit(limit).offset(offset)).all()
    return list(rows), int(total)


# --- namespaces and tags ------------------------------------------------------------------


def _namespace(row: Any) -> JSON:
    return {
        "name": row.name,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
        "ownerName": "anonymous",
        "description": None,
        "isHidden": False,
    }


def list_namespaces(session: Session, *, grants: Grants, limit: int, offset: int) -> JSON:
    """Every namespace the grants show, by name."""
    sight = Sight(grants)
    query = sa.select(t.namespace).order_by(t.namespace.c.name)
    if sight.sees_everything:
        rows, total = _page(session, query, limit, offset)
    else:
        rows, total = page([r for r in session.execute(query) if sight.sees_namespace(r.name)], limit, offset)
    return {"namespaces": [_namespace(r) for r in rows], "totalCount": total}


def get_namespace(session: Session, name: str, *, grants: Grants) -> JSON:
    """One namespace."""
    row = session.execute(sa.select(t.namespace).where(t.namespace.c.name == name)).first()
    if row is None or not Sight(grants).sees_namespace(name):
        raise NotFound(f"no namespace {name!r}")
    return _namespace(row)


def list_tags(session: Session) -> JSON:
    """Every tag seen in a ``tags`` facet or created through the API."""
    rows = session.execute(sa.select(t.tag).order_by(t.tag.c.name)).all()
    return {"tags": [{"name": r.name, "description": r.description} for r in rows]}


# --- datasets -----------------------------------------------------------------------------


def _tag_names(facets: Mapping[str, Any]) -> list[str]:
    tags = (facets.get("tags") or {}).get("tags") or []
    return sorted(
        {
            str(tag["key"] if not tag.get("value") else f"{tag['key']}:{tag['value']}")
            for tag in tags
            if isinstance(tag, dict) and isinstance(tag.get("key"), str) and not tag.get("field")
        }
    )


def _field_tags(facets: Mapping[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for tag in (facets.get("tags") or {}).get("tags") or []:
        if isinstance(tag, dict) and isinstance(tag.get("field"), str) and isinstance(tag.get("key"), str):
            found.setdefault(tag["field"], []).append(tag["key"])
    return found


def _dataset_type(namespace: str, facets: Mapping[str, Any]) -> str:
    declared = str(_text(facets, "datasetType", "datasetType") or "").upper()
    if declared in {"STREAM", "TOPIC"} or namespace.startswith(STREAM_SCHEMES):
        return "STREAM"
    return "DB_TABLE"


def _fields(session: Session, dataset_ids: Sequence[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {d: [] for d in dataset_ids}
    if dataset_ids:
        rows = session.execute(
            sa.select(t.dataset_field)
            .where(t.dataset_field.c.dataset_id.in_(dataset_ids), t.dataset_field.c.ordinal.is_not(None))
            .order_by(t.dataset_field.c.dataset_id, t.dataset_field.c.ordinal)
        )
        for row in rows:
            found[row.dataset_id].append(row)
    return found


def _current_versions(session: Session, dataset_ids: Sequence[int]) -> dict[int, Any]:
    if not dataset_ids:
        return {}
    v = t.dataset_version
    ranked = (
        sa.select(
            v.c.dataset_id,
            v.c.uuid,
            v.c.created_at,
            v.c.run_uuid,
            sa.func.row_number()
            .over(partition_by=v.c.dataset_id, order_by=(v.c.created_at.desc(), v.c.uuid.desc()))
            .label("rank"),
        )
        .where(v.c.dataset_id.in_(dataset_ids))
        .subquery()
    )
    rows = session.execute(sa.select(ranked).where(ranked.c.rank == 1))
    return {row.dataset_id: row for row in rows}


def _column_lineage(session: Session, dataset_id: int, sight: Sight) -> list[JSON]:
    """Marquez's ``columnLineage`` of a dataset: each field's current inputs."""
    target, source, src_ds = (
        t.dataset_field.alias("target"),
        t.dataset_field.alias("source"),
        t.dataset.alias(),
    )
    ce = t.column_edge
    rows = session.execute(
        sa.select(
            target.c.path, src_ds.c.namespace, src_ds.c.name, source.c.path, ce.c.transformation, ce.c.subtype
        )
        .join(target, target.c.id == ce.c.target_field_id)
        .join(source, source.c.id == ce.c.source_field_id)
        .join(src_ds, src_ds.c.id == source.c.dataset_id)
        .where(
            target.c.dataset_id == dataset_id,
            sa.text("column_edge.is_current"),
            target.c.path != WHOLE_DATASET,
        )
        .order_by(target.c.path, src_ds.c.namespace, src_ds.c.name, source.c.path)
    )
    by_field: dict[str, list[JSON]] = {}
    for field, namespace, name, path, transformation, subtype in rows:
        if not sight.sees(namespace, name):
            continue
        by_field.setdefault(field, []).append(
            {
                "namespace": namespace,
                "dataset": name,
                "field": path,
                "transformationType": transformation,
                "transformationDescription": subtype,
            }
        )
    return [{"name": field, "inputFields": inputs} for field, inputs in by_field.items()]


def dataset_views(session: Session, rows: Sequence[Any], *, with_lineage: bool, sight: Sight) -> list[JSON]:
    """Datasets in Marquez's shape, without what ``sight`` hides."""
    ids = [int(r.id) for r in rows]
    facets = facets_of(session, (f"dataset:{i}" for i in ids))
    fields = _fields(session, ids)
    versions = _current_versions(session, ids)
    out = []
    for row in rows:
        own = facets[f"dataset:{row.id}"]
        field_tags = _field_tags(own)
        version = versions.get(row.id)
        out.append(
            {
                "id": {"namespace": row.namespace, "name": row.name},
                "type": _dataset_type(row.namespace, own),
                "name": row.name,
                "physicalName": row.name,
                "createdAt": iso(row.created_at),
                "updatedAt": iso(row.updated_at),
                "namespace": row.namespace,
                "sourceName": _text(own, "dataSource", "name") or row.namespace,
                "fields": [
                    {
                        "name": f.path,
                        "type": f.type,
                        "tags": field_tags.get(f.path, []),
                        "description": f.description,
                    }
                    for f in fields[row.id]
                ],
                "tags": _tag_names(own),
                "lastModifiedAt": iso(version.created_at) if version else None,
                "lastLifecycleState": _text(own, "lifecycleStateChange", "lifecycleStateChange"),
                "description": _text(own, "documentation", "description"),
                "facets": shown_facets(sight, own, touches_hidden=False),
                "currentVersion": str(version.uuid) if version else None,
                "columnLineage": _column_lineage(session, row.id, sight) if with_lineage else None,
                "deleted": bool(row.deleted),
            }
        )
    return out


def list_datasets(session: Session, namespace: str, *, grants: Grants, limit: int, offset: int) -> JSON:
    """A namespace's datasets the grants show, by name, with their count."""
    sight = Sight(grants)
    get_namespace(session, namespace, grants=grants)
    query = (
        sa.select(t.dataset)
        .where(t.dataset.c.namespace == namespace, t.dataset.c.deleted.is_(False))
        .order_by(t.dataset.c.name)
    )
    rows, total = _page(session, query, limit, offset, sight)
    return {"datasets": dataset_views(session, rows, with_lineage=True, sight=sight), "totalCount": total}


def _named_row(session: Session, table: sa.Table, namespace: str, name: str, sight: Sight) -> Any:
    """The live dataset or job row of that name; NotFound otherwise, and for a hidden one alike."""
    row = session.execute(
        sa.select(table).where(
            table.c.namespace == namespace, table.c.name == name, table.c.deleted.is_(False)
        )
    ).first()
    if row is None or not sight.sees(namespace, name):
        raise NotFound(f"no {table.name} {name!r} in namespace {namespace!r}")
    return row


def _dataset_row(session: Session, namespace: str, name: str, sight: Sight) -> Any:
    return _named_row(session, t.dataset, namespace, name, sight)


def get_dataset(session: Session, namespace: str, name: str, *, grants: Grants) -> JSON:
    """One dataset with its current schema, facets and column lineage."""
    sight = Sight(grants)
    row = _dataset_row(session, namespace, name, sight)
    return dataset_views(session, [row], with_lineage=True, sight=sight)[0]


def _version(session: Session, dataset: Any, row: Any, facets: JSON, sight: Sight) -> JSON:
    schema = schema_fields(facets.get("schema"))
    return {
        "id": {"namespace": dataset.namespace, "name": dataset.name, "version": str(row.uuid)},
        "type": _dataset_type(dataset.namespace, facets),
        "name": dataset.name,
        "physicalName": dataset.name,
        "createdAt": iso(row.created_at),
        "version": str(row.uuid),
        "namespace": dataset.namespace,
        "sourceName": _text(facets, "dataSource", "name") or dataset.namespace,
        "fields": [
            {"name": f.path, "type": f.type, "tags": [], "description": f.description} for f in schema
        ],
        "tags": _tag_names(facets),
        "lifecycleState": _text(facets, "lifecycleStateChange", "lifecycleStateChange"),
        "description": _text(facets, "documentation", "description"),
        "createdByRun": {"id": str(row.run_uuid)} if row.run_uuid else None,
        "facets": shown_facets(sight, facets, touches_hidden=False),
    }


def list_dataset_versions(
    session: Session, namespace: str, name: str, *, grants: Grants, limit: int, offset: int
) -> JSON:
    """A dataset's versions, newest first."""
    sight = Sight(grants)
    dataset = _dataset_row(session, namespace, name, sight)
    v = t.dataset_version
    query = sa.select(v).where(v.c.dataset_id == dataset.id).order_by(v.c.created_at.desc(), v.c.uuid.desc())
    rows, total = _page(session, query, limit, offset)
    facets = facets_of(session, (f"version:{r.uuid}" for r in rows))
    return {
        "versions": [_version(session, dataset, r, facets[f"version:{r.uuid}"], sight) for r in rows],
        "totalCount": total,
    }


def get_dataset_version(session: Session, namespace: str, name: str, version: str, *, grants: Grants) -> JSON:
    """One version of a dataset."""
    sight = Sight(grants)
    dataset = _dataset_row(session, namespace, name, sight)
    try:
        wanted = uuid.UUID(version)
    except ValueError:
        raise NotFound(f"no version {version!r} of dataset {name!r}") from None
    v = t.dataset_version
    row = session.execute(sa.select(v).where(v.c.uuid == wanted, v.c.dataset_id == dataset.id)).first()
    if row is None:
        raise NotFound(f"no version {version!r} of dataset {name!r}")
    facets = facets_of(session, [f"version:{row.uuid}"])[f"version:{row.uuid}"]
    return _version(session, dataset, row, facets, sight)


# --- runs ---------------------------------------------------------------------------------


def _duration_ms(started: datetime | None, ended: datetime | None) -> int | None:
    if started is None or ended is None:
        return None
    return int((ended - started).total_seconds() * 1000)


def _runs(session: Session, rows: Sequence[Any], sight: Sight) -> list[JSON]:
    """Runs (rows of run ⋈ run_lineage ⋈ job) in Marquez's shape, their hidden datasets left out."""
    uuids = [r.run_uuid for r in rows]
    facets = facets_of(session, (f"run:{u}" for u in uuids))
    io = session.execute(
        sa.select(t.run_io.c.run_uuid, t.run_io.c.direction, t.dataset.c.namespace, t.dataset.c.name)
        .join(t.dataset, t.dataset.c.id == t.run_io.c.dataset_id)
        .where(t.run_io.c.run_uuid.in_(uuids))
        .order_by(t.dataset.c.namespace, t.dataset.c.name)
    ).all()
    out = []
    for row in rows:
        own = facets[f"run:{row.run_uuid}"]
        inputs = [
            (ns, name) for u, d, ns, name in io if u == row.run_uuid and d == IN and sight.sees(ns, name)
        ]
        outputs = [
            (ns, name) for u, d, ns, name in io if u == row.run_uuid and d == OUT and sight.sees(ns, name)
        ]
        out.append(
            {
                "id": str(row.run_uuid),
                "createdAt": iso(row.first_event_at),
                "updatedAt": iso(row.updated_at),
                "nominalStartTime": _text(own, "nominalTime", "nominalStartTime"),
                "nominalEndTime": _text(own, "nominalTime", "nominalEndTime"),
                "state": row.state,
                "startedAt": iso(row.started_at),
                "endedAt": iso(row.ended_at),
                "durationMs": _duration_ms(row.started_at, row.ended_at),
                "args": {},
                "jobVersion": {
                    "namespace": row.job_namespace,
                    "name": row.job_name,
                    "version": str(row.job_version_uuid) if row.job_version_uuid else None,
                },
                "inputDatasetVersions": [
                    {"datasetVersionId": _input_version(session, ns, name, row.first_event_at), "facets": {}}
                    for ns, name in inputs
                ],
                "outputDatasetVersions": [
                    {
                        "datasetVersionId": {
                            "namespace": ns,
                            "name": name,
                            "version": str(dataset_version_uuid(ns, name, str(row.run_uuid))),
                        },
                        "facets": {},
                    }
                    for ns, name in outputs
                ],
                "context": {},
                "facets": shown_facets(sight, own, touches_hidden=False),
                "parentRunId": str(row.parent_run_uuid) if row.parent_run_uuid else None,
            }
        )
    return out


def _input_version(session: Session, namespace: str, name: str, at: datetime) -> JSON:
    """The version of an input current when the run began (else its first one)."""
    v = t.dataset_version
    base = sa.select(v.c.uuid).join(t.dataset, t.dataset.c.id == v.c.dataset_id)
    base = base.where(t.dataset.c.namespace == namespace, t.dataset.c.name == name)
    found = (
        session.execute(
            base.where(v.c.created_at <= at).order_by(v.c.created_at.desc(), v.c.uuid.desc()).limit(1)
        ).scalar_one_or_none()
        or session.execute(base.order_by(v.c.created_at, v.c.uuid).limit(1)).scalar_one_or_none()
    )
    return {"namespace": namespace, "name": name, "version": str(found) if found else None}


def _run_query() -> sa.Select[Any]:
    run = Run.__table__  # type: ignore[attr-defined]  # SQLModel sets it at class creation
    rl = t.run_lineage
    return sa.select(
        run.c.run_uuid,
        run.c.state,
        run.c.started_at,
        run.c.ended_at,
        run.c.updated_at,
        run.c.job_namespace,
        run.c.job_name,
        rl.c.first_event_at,
        rl.c.job_version_uuid,
        rl.c.parent_run_uuid,
        rl.c.job_id,
        rl.c.sql_key,
    ).join(rl, rl.c.run_uuid == run.c.run_uuid)


def list_runs(session: Session, namespace: str, job: str, *, grants: Grants, limit: int, offset: int) -> JSON:
    """A job's runs, newest first."""
    sight = Sight(grants)
    job_id = _job_row(session, namespace, job, sight).id
    rl = t.run_lineage
    query = (
        _run_query().where(rl.c.job_id == job_id).order_by(rl.c.first_event_at.desc(), rl.c.run_uuid.desc())
    )
    rows, total = _page(session, query, limit, offset)
    return {"runs": _runs(session, rows, sight), "totalCount": total}


def _run_row(session: Session, run_id: str, sight: Sight) -> Any:
    try:
        wanted = uuid.UUID(run_id)
    except ValueError:
        raise NotFound(f"no run {run_id!r}") from None
    row = session.execute(_run_query().where(t.run_lineage.c.run_uuid == wanted)).first()
    if row is None or not sight.sees(row.job_namespace, row.job_name):
        raise NotFound(f"no run {run_id!r}")
    return row


def _touches_hidden(session: Session, run_uuid: Any, sight: Sight) -> bool:
    if sight.sees_everything:
        return False
    io = session.execute(
        sa.select(t.dataset.c.namespace, t.dataset.c.name)
        .join(t.run_io, t.run_io.c.dataset_id == t.dataset.c.id)
        .where(t.run_io.c.run_uuid == run_uuid)
    )
    return not all(sight.sees(ns, name) for ns, name in io)


def _job_touches_hidden(session: Session, job_id: int, sight: Sight) -> bool:
    if sight.sees_everything:
        return False
    io = session.execute(
        sa.select(t.dataset.c.namespace, t.dataset.c.name)
        .join(t.job_io, t.job_io.c.dataset_id == t.dataset.c.id)
        .where(t.job_io.c.job_id == job_id)
    )
    return not all(sight.sees(ns, name) for ns, name in io)


def get_run(session: Session, run_id: str, *, grants: Grants) -> JSON:
    """One run, with the dataset versions it read and wrote."""
    sight = Sight(grants)
    row = _run_row(session, run_id, sight)
    run = _runs(session, [row], sight)[0]
    hides_sql = _touches_hidden(session, row.run_uuid, sight)
    run["sqlUnparsed"] = None if hides_sql else _sql_unparsed(session, row.sql_key)
    return run


def get_run_facets(session: Session, run_id: str, *, of_job: bool, grants: Grants) -> JSON:
    """The run's facets, or (``of_job``) the job facets its events carried."""
    sight = Sight(grants)
    row = _run_row(session, run_id, sight)
    subject = f"{'run-job' if of_job else 'run'}:{row.run_uuid}"
    facets = shown_facets(
        sight,
        facets_of(session, [subject])[subject],
        touches_hidden=_touches_hidden(session, row.run_uuid, sight),
    )
    return {"runId": str(row.run_uuid), "facets": facets}


def _sql_unparsed(session: Session, sql_key: str | None) -> JSON | None:
    if sql_key is None:
        return None
    reason = session.execute(
        sa.select(t.sql_parse.c.unparsed_reason).where(t.sql_parse.c.key == sql_key)
    ).scalar_one_or_none()
    return {"reason": reason} if reason else None


# --- jobs ---------------------------------------------------------------------------------


def _job_row(session: Session, namespace: str, name: str, sight: Sight) -> Any:
    return _named_row(session, t.job, namespace, name, sight)


def _latest_runs(session: Session, job_ids: Sequence[int], count: int) -> dict[int, list[Any]]:
    if not job_ids:
        return {}
    rl = t.run_lineage
    ranked = (
        _run_query()
        .add_columns(
            sa.func.row_number()
            .over(partition_by=rl.c.job_id, order_by=(rl.c.first_event_at.desc(), rl.c.run_uuid.desc()))
            .label("rank")
        )
        .where(rl.c.job_id.in_(job_ids))
        .subquery()
    )
    rows = session.execute(sa.select(ranked).where(ranked.c.rank <= count).order_by(ranked.c.rank)).all()
    found: dict[int, list[Any]] = {j: [] for j in job_ids}
    for row in rows:
        found[row.job_id].append(row)
    return found


def job_views(session: Session, rows: Sequence[Any], *, sight: Sight) -> list[JSON]:
    """Jobs in Marquez's shape, without what ``sight`` hides."""
    ids = [int(r.id) for r in rows]
    facets = facets_of(session, (f"job:{i}" for i in ids))
    latest = _latest_runs(session, ids, LATEST_RUNS)
    # One batch for every job's runs, then split: a query per job would be N+1.
    all_runs = iter(_runs(session, [r for j in ids for r in latest[j]], sight))
    runs = {j: [next(all_runs) for _ in latest[j]] for j in ids}
    io_rows = session.execute(
        sa.select(t.job_io.c.job_id, t.job_io.c.direction, t.dataset.c.namespace, t.dataset.c.name)
        .join(t.dataset, t.dataset.c.id == t.job_io.c.dataset_id)
        .where(t.job_io.c.job_id.in_(ids))
        .order_by(t.dataset.c.namespace, t.dataset.c.name)
    ).all()
    io: dict[tuple[int, str], list[JSON]] = {}
    hidden_io: set[int] = set()
    for job_id, direction, namespace, name in io_rows:
        if not sight.sees(namespace, name):
            hidden_io.add(int(job_id))
            continue
        io.setdefault((int(job_id), direction), []).append({"namespace": namespace, "name": name})
    out = []
    for row in rows:
        own = facets[f"job:{row.id}"]
        job_runs = runs[row.id]
        latest_run = job_runs[0] if job_runs else None
        parent_job = ((latest_run or {}).get("facets", {}).get("parent") or {}).get("job") or {}
        processing = str(_text(own, "jobType", "processingType") or "BATCH").upper()
        out.append(
            {
                "id": {"namespace": row.namespace, "name": row.name},
                "type": "STREAM" if processing == "STREAMING" else "BATCH",
                "name": row.name,
                "simpleName": row.name.rsplit(".", 1)[-1],
                "parentJobName": parent_job.get("name"),
                "parentJobUuid": None,
                "createdAt": iso(row.created_at),
                "updatedAt": iso(row.updated_at),
                "namespace": row.namespace,
                "inputs": io.get((int(row.id), IN), []),
                "outputs": io.get((int(row.id), OUT), []),
                "location": _text(own, "sourceCodeLocation", "url"),
                "context": {},
                "description": _text(own, "documentation", "description"),
                "latestRun": latest_run,
                "latestRuns": job_runs,
                "facets": shown_facets(sight, own, touches_hidden=int(row.id) in hidden_io),
                "currentVersion": (latest_run or {}).get("jobVersion", {}).get("version"),
                "tags": _tag_names(own),
            }
        )
    return out


def _job_filter(query: sa.Select[Any], last_run_states: Sequence[str]) -> sa.Select[Any]:
    if not last_run_states:
        return query
    run = Run.__table__  # type: ignore[attr-defined]
    rl = t.run_lineage
    latest_state = (
        sa.select(run.c.state)
        .join(rl, rl.c.run_uuid == run.c.run_uuid)
        .where(rl.c.job_id == t.job.c.id)
        .order_by(rl.c.first_event_at.desc(), rl.c.run_uuid.desc())
        .limit(1)
        .scalar_subquery()
    )
    return query.where(latest_state.in_(list(last_run_states)))


def list_jobs(
    session: Session,
    namespace: str | None,
    *,
    grants: Grants,
    limit: int,
    offset: int,
    last_run_states: Sequence[str] = (),
) -> JSON:
    """Jobs the grants show of a namespace (or of all, newest first), with their count."""
    sight = Sight(grants)
    query = sa.select(t.job).where(t.job.c.deleted.is_(False))
    if namespace is not None:
        get_namespace(session, namespace, grants=grants)
        query = query.where(t.job.c.namespace == namespace).order_by(t.job.c.name)
    else:
        query = query.order_by(t.job.c.updated_at.desc(), t.job.c.id.desc())
    rows, total = _page(session, _job_filter(query, last_run_states), limit, offset, sight)
    return {"jobs": job_views(session, rows, sight=sight), "totalCount": total}


def get_job(session: Session, namespace: str, name: str, *, grants: Grants) -> JSON:
    """One job with its current inputs and outputs and its latest runs."""
    sight = Sight(grants)
    row = _job_row(session, namespace, name, sight)
    job = job_views(session, [row], sight=sight)[0]
    latest = job["latestRun"]
    hides_sql = _job_touches_hidden(session, int(row.id), sight)
    latest_row = _run_row(session, latest["id"], sight) if latest else None
    job["sqlUnparsed"] = (
        None if latest_row is None or hides_sql else _sql_unparsed(session, latest_row.sql_key)
    )
    job["lineageDisagreements"] = [] if hides_sql else _disagreements(session, int(row.id), sight)
    return job


def _disagreements(session: Session, job_id: int, sight: Sight) -> list[JSON]:
    d, f, ds = t.lineage_disagreement, t.dataset_field, t.dataset
    rows = session.execute(
        sa.select(ds.c.namespace, ds.c.name, f.c.path, d.c.declared, d.c.derived)
        .join(f, f.c.id == d.c.target_field_id)
        .join(ds, ds.c.id == f.c.dataset_id)
        .where(d.c.job_id == job_id)
        .order_by(ds.c.namespace, ds.c.name, f.c.path)
    )
    return [
        {
            "target": {"namespace": ns, "dataset": name, "field": path},
            "declaredSources": orjson.loads(declared),
            "derivedSources": orjson.loads(derived),
        }
        for ns, name, path, declared, derived in rows
        if sight.sees(ns, name)
    ]


def list_job_versions(
    session: Session, namespace: str, name: str, *, grants: Grants, limit: int, offset: int
) -> JSON:
    """A job's versions (distinct inputs, outputs, location and SQL), newest first."""
    sight = Sight(grants)
    row = _job_row(session, namespace, name, sight)
    rl = t.run_lineage
    query = (
        sa.select(
            rl.c.job_version_uuid,
            sa.func.min(rl.c.first_event_at).label("created_at"),
            sa.func.max(rl.c.first_event_at).label("updated_at"),
        )
        .where(rl.c.job_id == row.id, rl.c.job_version_uuid.is_not(None))
        .group_by(rl.c.job_version_uuid)
        .order_by(sa.desc("updated_at"), rl.c.job_version_uuid.desc())
    )
    rows, total = _page(session, query, limit, offset)
    versions = []
    for version in rows:
        latest = session.execute(
            _run_query()
            .where(rl.c.job_version_uuid == version.job_version_uuid)
            .order_by(rl.c.first_event_at.desc())
            .limit(1)
        ).first()
        run = _runs(session, [latest], sight)[0] if latest else None
        versions.append(
            {
                "id": {"namespace": namespace, "name": name, "version": str(version.job_version_uuid)},
                "name": name,
                "version": str(version.job_version_uuid),
                "createdAt": iso(version.created_at),
                "updatedAt": iso(version.updated_at),
                "namespace": namespace,
                "inputs": [v["datasetVersionId"] for v in (run or {}).get("inputDatasetVersions", [])],
                "outputs": [v["datasetVersionId"] for v in (run or {}).get("outputDatasetVersions", [])],
                "latestRun": run,
            }
        )
    return {"versions": versions, "totalCount": total}
