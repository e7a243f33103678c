"""Jobs and their versions in the shapes of Marquez's read API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.lineage import tables as t
from governance.lineage.among import among
from governance.lineage.ids import IN, OUT
from governance.lineage.namespaces import get_namespace
from governance.lineage.read_model import JSON, facets_of, iso, named_row, page, text_of
from governance.lineage.runs import run_query, run_row, run_views, sql_unparsed
from governance.lineage.tags import facet_tags, merged, steward_tags
from governance.lineage.visibility import RESTRICTED_NAMESPACE, Sight, shown_facets
from governance.models import Run

LATEST_RUNS = 10


def job_row(session: Session, namespace: str, name: str, sight: Sight) -> Any:
    """The live job row of that name; NotFound otherwise, and for one ``sight`` hides alike."""
    return named_row(session, t.job, namespace, name, sight)


def latest_runs(session: Session, job_ids: Sequence[int], count: int) -> dict[int, list[Any]]:
    """Each job's newest ``count`` runs (rows of ``run_query``), newest first, in one query."""
    if not job_ids:
        return {}
    rl = t.run_lineage
    ranked = (
        run_query()
        .add_columns(
            sa.func.row_number()
            .over(partition_by=rl.c.job_id, order_by=(rl.c.first_event_at.desc(), rl.c.run_uuid.desc()))
            .label("rank")
        )
        .where(among(session, rl.c.job_id, job_ids))
        .subquery()
    )
    rows = session.execute(sa.select(ranked).where(ranked.c.rank <= count).order_by(ranked.c.rank)).all()
    found: dict[int, list[Any]] = {j: [] for j in job_ids}
    for row in rows:
        found[row.job_id].append(row)
    return found


def job_views(session: Session, rows: Sequence[Any], *, sight: Sight) -> list[JSON]:
    """Job rows in Marquez's shape, each with its latest runs and current inputs and outputs.

    What ``sight`` hides is left out: hidden inputs and outputs, and the SQL facet of a job that
    touches one (its text may name it).
    """
    ids = [int(r.id) for r in rows]
    stewards = steward_tags(session, t.job_tag.c.job_id, ids)
    facets = facets_of(session, (f"job:{i}" for i in ids))
    latest = latest_runs(session, ids, LATEST_RUNS)
    # One batch for every job's runs, then split: a query per job would be N+1.
    all_runs = iter(run_views(session, [r for j in ids for r in latest[j]], sight))
    runs = {j: [next(all_runs) for _ in latest[j]] for j in ids}
    io_rows = session.execute(
        sa.select(
            t.job_io.c.job_id,
            t.job_io.c.direction,
            t.dataset.c.namespace,
            t.dataset.c.name,
            t.dataset.c.deleted,
        )
        .join(t.dataset, t.dataset.c.id == t.job_io.c.dataset_id)
        .where(among(session, t.job_io.c.job_id, ids))
        .order_by(t.dataset.c.namespace, t.dataset.c.name)
    ).all()
    io: dict[tuple[int, str], list[JSON]] = {}
    hidden_io: set[int] = set()
    for job_id, direction, namespace, name, deleted in io_rows:
        if not sight.sees(namespace, name):
            # Even a deleted hidden dataset may be named by the job's SQL.
            hidden_io.add(int(job_id))
            continue
        if deleted:
            continue
        io.setdefault((int(job_id), direction), []).append({"namespace": namespace, "name": name})
    out = []
    for row in rows:
        own = facets[f"job:{row.id}"]
        job_runs = runs[row.id]
        latest_run = job_runs[0] if job_runs else None
        parent_job = ((latest_run or {}).get("facets", {}).get("parent") or {}).get("job") or {}
        processing = str(text_of(own, "jobType", "processingType") or "BATCH").upper()
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
                "location": text_of(own, "sourceCodeLocation", "url"),
                "context": {},
                "description": text_of(own, "documentation", "description"),
                "latestRun": latest_run,
                "latestRuns": job_runs,
                "facets": shown_facets(sight, own, touches_hidden=int(row.id) in hidden_io),
                "currentVersion": (latest_run or {}).get("jobVersion", {}).get("version"),
                "tags": merged(facet_tags(own), stewards.get(int(row.id), [])),
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
    rows, total = page(session, _job_filter(query, last_run_states), limit, offset, sight)
    return {"jobs": job_views(session, rows, sight=sight), "totalCount": total}


def _job_touches_hidden(session: Session, job_id: int, sight: Sight) -> bool:
    if sight.sees_everything:
        return False
    io = session.execute(
        sa.select(t.dataset.c.namespace, t.dataset.c.name)
        .join(t.job_io, t.job_io.c.dataset_id == t.dataset.c.id)
        .where(t.job_io.c.job_id == job_id)
    )
    return not all(sight.sees(ns, name) for ns, name in io)


def get_job(session: Session, namespace: str, name: str, *, grants: Grants) -> JSON:
    """One job with its current inputs and outputs and its latest runs."""
    sight = Sight(grants)
    row = job_row(session, namespace, name, sight)
    job = job_views(session, [row], sight=sight)[0]
    latest = job["latestRun"]
    hides_sql = _job_touches_hidden(session, int(row.id), sight)
    latest_row = run_row(session, latest["id"], sight) if latest else None
    job["sqlUnparsed"] = (
        None if latest_row is None or hides_sql else sql_unparsed(session, latest_row.sql_key)
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
    hidden = _hidden_sources(session, job_id, sight)

    def shown(sources: str) -> list[str]:
        # A source is "<namespace>:<dataset>:<field>"; one of a hidden dataset keeps its place, nameless.
        return [
            RESTRICTED_NAMESPACE if any(s.startswith(prefix) for prefix in hidden) else s
            for s in orjson.loads(sources)
        ]

    return [
        {
            "target": {"namespace": ns, "dataset": name, "field": path},
            "declaredSources": shown(declared),
            "derivedSources": shown(derived),
        }
        for ns, name, path, declared, derived in rows
        if sight.sees(ns, name)
    ]


def _hidden_sources(session: Session, job_id: int, sight: Sight) -> list[str]:
    """The ``<namespace>:<dataset>:`` prefixes of the job's edge sources that ``sight`` hides."""
    if sight.sees_everything:
        return []
    ce, f, ds = t.column_edge, t.dataset_field, t.dataset
    rows = session.execute(
        sa.select(ds.c.namespace, ds.c.name)
        .join(f, f.c.dataset_id == ds.c.id)
        .join(ce, ce.c.source_field_id == f.c.id)
        .where(ce.c.job_id == job_id)
        .distinct()
    )
    return [f"{ns}:{name}:" for ns, name in rows if not sight.sees(ns, name)]


def list_job_versions(
    session: Session, namespace: str, name: str, *, grants: Grants, limit: int, offset: int
) -> JSON:
    """A job's versions (distinct inputs, outputs, location and SQL), newest first."""
    sight = Sight(grants)
    row = job_row(session, namespace, name, sight)
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
    rows, total = page(session, query, limit, offset)
    versions = []
    for version in rows:
        latest = session.execute(
            run_query()
            .where(rl.c.job_version_uuid == version.job_version_uuid)
            .order_by(rl.c.first_event_at.desc())
            .limit(1)
        ).first()
        run = run_views(session, [latest], sight)[0] if latest else None
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
