"""Runs in the shape of Marquez's read API: a job's runs, one run, a run's facets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.errors import NotFound
from governance.lineage import tables as t
from governance.lineage.among import among, chunks
from governance.lineage.ids import IN, dataset_version_uuid
from governance.lineage.read_model import JSON, facets_of, iso, named_row, page, text_of
from governance.lineage.visibility import Sight, shown_facets
from governance.models import Run


def _duration_ms(started: datetime | None, ended: datetime | None) -> int | None:
    if started is None or ended is None:
        return None
    return int((ended - started).total_seconds() * 1000)


def run_views(session: Session, rows: Sequence[Any], sight: Sight) -> list[JSON]:
    """Runs (rows of run ⋈ run_lineage ⋈ job) in Marquez's shape, their hidden datasets left out."""
    uuids = [r.run_uuid for r in rows]
    facets = facets_of(session, (f"run:{u}" for u in uuids))
    v, io, rl = t.dataset_version, t.run_io, t.run_lineage
    # The version of each input current when its run began, else the input's first version.
    before = (
        sa.select(v.c.uuid)
        .where(v.c.dataset_id == io.c.dataset_id, v.c.created_at <= rl.c.first_event_at)
        .order_by(v.c.created_at.desc(), v.c.uuid.desc())
        .limit(1)
        .scalar_subquery()
    )
    first = (
        sa.select(v.c.uuid)
        .where(v.c.dataset_id == io.c.dataset_id)
        .order_by(v.c.created_at, v.c.uuid)
        .limit(1)
        .scalar_subquery()
    )
    used: dict[Any, tuple[list[tuple[str, str, Any]], list[tuple[str, str]]]] = {u: ([], []) for u in uuids}
    hidden_io: set[Any] = set()
    for chunk in chunks(uuids):
        for run_uuid, direction, ns, name, version in session.execute(
            sa.select(
                io.c.run_uuid,
                io.c.direction,
                t.dataset.c.namespace,
                t.dataset.c.name,
                sa.case((io.c.direction == IN, sa.func.coalesce(before, first)), else_=sa.null()),
            )
            .join(t.dataset, t.dataset.c.id == io.c.dataset_id)
            .join(rl, rl.c.run_uuid == io.c.run_uuid)
            .where(among(session, io.c.run_uuid, chunk))
            .order_by(t.dataset.c.namespace, t.dataset.c.name)
        ):
            if not sight.sees(ns, name):
                hidden_io.add(run_uuid)
            elif direction == IN:
                used[run_uuid][0].append((ns, name, version))
            else:
                used[run_uuid][1].append((ns, name))
    out = []
    for row in rows:
        own = facets[f"run:{row.run_uuid}"]
        inputs, outputs = used[row.run_uuid]
        out.append(
            {
                "id": str(row.run_uuid),
                "createdAt": iso(row.first_event_at),
                "updatedAt": iso(row.updated_at),
                "nominalStartTime": text_of(own, "nominalTime", "nominalStartTime"),
                "nominalEndTime": text_of(own, "nominalTime", "nominalEndTime"),
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
                    {
                        "datasetVersionId": {
                            "namespace": ns,
                            "name": name,
                            "version": str(version) if version else None,
                        },
                        "facets": {},
                    }
                    for ns, name, version in inputs
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
                "facets": shown_facets(sight, own, touches_hidden=row.run_uuid in hidden_io),
                "parentRunId": str(row.parent_run_uuid) if row.parent_run_uuid else None,
            }
        )
    return out


def run_query() -> sa.Select[Any]:
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
    job_id = named_row(session, t.job, namespace, job, sight).id
    rl = t.run_lineage
    query = (
        run_query().where(rl.c.job_id == job_id).order_by(rl.c.first_event_at.desc(), rl.c.run_uuid.desc())
    )
    rows, total = page(session, query, limit, offset)
    return {"runs": run_views(session, rows, sight), "totalCount": total}


def run_row(session: Session, run_id: str, sight: Sight) -> Any:
    """The run of that id; NotFound otherwise, and for a run of a job ``sight`` hides alike."""
    try:
        wanted = uuid.UUID(run_id)
    except ValueError:
        raise NotFound(f"no run {run_id!r}") from None
    row = session.execute(run_query().where(t.run_lineage.c.run_uuid == wanted)).first()
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


def get_run(session: Session, run_id: str, *, grants: Grants) -> JSON:
    """One run, with the dataset versions it read and wrote."""
    sight = Sight(grants)
    row = run_row(session, run_id, sight)
    run = run_views(session, [row], sight)[0]
    hides_sql = _touches_hidden(session, row.run_uuid, sight)
    run["sqlUnparsed"] = None if hides_sql else sql_unparsed(session, row.sql_key)
    return run


def get_run_facets(session: Session, run_id: str, *, of_job: bool, grants: Grants) -> JSON:
    """The run's facets, or (``of_job``) the job facets its events carried."""
    sight = Sight(grants)
    row = run_row(session, run_id, sight)
    subject = f"{'run-job' if of_job else 'run'}:{row.run_uuid}"
    facets = shown_facets(
        sight,
        facets_of(session, [subject])[subject],
        touches_hidden=_touches_hidden(session, row.run_uuid, sight),
    )
    return {"runId": str(row.run_uuid), "facets": facets}


def sql_unparsed(session: Session, sql_key: str | None) -> JSON | None:
    if sql_key is None:
        return None
    reason = session.execute(
        sa.select(t.sql_parse.c.unparsed_reason).where(t.sql_parse.c.key == sql_key)
    ).scalar_one_or_none()
    return {"reason": reason} if reason else None
