"""The lineage graph read in Marquez's shapes: namespaces, datasets, jobs, runs, lineage, search.

Names are path segments that may hold ``/`` and ``:`` (percent-encoded by clients); the
``name`` converter and ``web.raw_paths`` keep them whole.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from governance.access import Grants, Permission
from governance.clock import utcnow
from governance.errors import InvalidInput
from governance.lineage import (
    column_walk,
    datasets,
    impact,
    jobs,
    namespaces,
    runs,
    search,
    tags,
    traverse,
)
from web.api.query_args import bool_arg, int_arg, paging, required_arg, time_arg, zone_arg
from web.auth import current_caller, read_switch, requires
from web.runtime import runtime

bp = Blueprint("graph", __name__)
DEFAULT_DEPTH = 20
RUN_STATES = {"NEW", "RUNNING", "COMPLETED", "FAILED", "ABORTED"}


_reader = requires(Permission.CATALOG_READ, unless_off=read_switch)


def _grants() -> Grants:
    return current_caller().grants


@bp.get("/namespaces")
@_reader
def list_namespaces() -> ResponseReturnValue:
    """Every namespace."""
    limit, offset = paging()
    with runtime().database.session() as session:
        return jsonify(namespaces.list_namespaces(session, grants=_grants(), limit=limit, offset=offset))


@bp.get("/namespaces/<name:namespace>")
@_reader
def get_namespace(namespace: str) -> ResponseReturnValue:
    """One namespace."""
    with runtime().database.session() as session:
        return jsonify(namespaces.get_namespace(session, namespace, grants=_grants()))


@bp.get("/namespaces/<name:namespace>/datasets")
@_reader
def list_datasets(namespace: str) -> ResponseReturnValue:
    """A namespace's datasets."""
    limit, offset = paging()
    with runtime().database.session() as session:
        return jsonify(
            datasets.list_datasets(session, namespace, grants=_grants(), limit=limit, offset=offset)
        )


@bp.get("/namespaces/<name:namespace>/datasets/<name:dataset>")
@_reader
def get_dataset(namespace: str, dataset: str) -> ResponseReturnValue:
    """One dataset."""
    with runtime().database.session() as session:
        return jsonify(datasets.get_dataset(session, namespace, dataset, grants=_grants()))


@bp.get("/namespaces/<name:namespace>/datasets/<name:dataset>/versions")
@_reader
def list_dataset_versions(namespace: str, dataset: str) -> ResponseReturnValue:
    """A dataset's versions, newest first."""
    limit, offset = paging()
    with runtime().database.session() as session:
        return jsonify(
            datasets.list_dataset_versions(
                session, namespace, dataset, grants=_grants(), limit=limit, offset=offset
            )
        )


@bp.get("/namespaces/<name:namespace>/datasets/<name:dataset>/versions/<name:version>")
@_reader
def get_dataset_version(namespace: str, dataset: str, version: str) -> ResponseReturnValue:
    """One version of a dataset."""
    with runtime().database.session() as session:
        return jsonify(datasets.get_dataset_version(session, namespace, dataset, version, grants=_grants()))


@bp.get("/namespaces/<name:namespace>/jobs")
@_reader
def list_namespace_jobs(namespace: str) -> ResponseReturnValue:
    """A namespace's jobs."""
    limit, offset = paging()
    with runtime().database.session() as session:
        return jsonify(jobs.list_jobs(session, namespace, grants=_grants(), limit=limit, offset=offset))


@bp.get("/jobs")
@_reader
def list_jobs() -> ResponseReturnValue:
    """Jobs of every namespace, recently updated first, optionally by their latest run's state."""
    limit, offset = paging()
    states = request.args.getlist("lastRunStates")
    unknown = sorted(set(states) - RUN_STATES)
    if unknown:
        raise InvalidInput(f"lastRunStates must be among {sorted(RUN_STATES)}, not {unknown}")
    with runtime().database.session() as session:
        return jsonify(
            jobs.list_jobs(
                session, None, grants=_grants(), limit=limit, offset=offset, last_run_states=states
            )
        )


@bp.get("/namespaces/<name:namespace>/jobs/<name:job>")
@_reader
def get_job(namespace: str, job: str) -> ResponseReturnValue:
    """One job."""
    with runtime().database.session() as session:
        return jsonify(jobs.get_job(session, namespace, job, grants=_grants()))


@bp.get("/namespaces/<name:namespace>/jobs/<name:job>/versions")
@_reader
def list_job_versions(namespace: str, job: str) -> ResponseReturnValue:
    """A job's versions, newest first."""
    limit, offset = paging()
    with runtime().database.session() as session:
        return jsonify(
            jobs.list_job_versions(session, namespace, job, grants=_grants(), limit=limit, offset=offset)
        )


@bp.get("/namespaces/<name:namespace>/jobs/<name:job>/runs")
@_reader
def list_runs(namespace: str, job: str) -> ResponseReturnValue:
    """A job's runs, newest first."""
    limit, offset = paging()
    with runtime().database.session() as session:
        return jsonify(runs.list_runs(session, namespace, job, grants=_grants(), limit=limit, offset=offset))


@bp.get("/jobs/runs/<name:run_id>")
@_reader
def get_run(run_id: str) -> ResponseReturnValue:
    """One run."""
    with runtime().database.session() as session:
        return jsonify(runs.get_run(session, run_id, grants=_grants()))


@bp.get("/jobs/runs/<name:run_id>/facets")
@_reader
def get_run_facets(run_id: str) -> ResponseReturnValue:
    """A run's facets (``type=run``, the default) or its job's (``type=job``)."""
    kind = request.args.get("type", "run").lower()
    if kind not in {"run", "job"}:
        raise InvalidInput(f"type must be run or job, not {kind!r}")
    with runtime().database.session() as session:
        return jsonify(runs.get_run_facets(session, run_id, of_job=kind == "job", grants=_grants()))


@bp.get("/lineage")
@_reader
def get_lineage() -> ResponseReturnValue:
    """Datasets and jobs around a node, now or ``asOf`` a time."""
    node_id = required_arg("nodeId")
    depth = int_arg("depth", DEFAULT_DEPTH, high=traverse.MAX_DEPTH)
    as_of = time_arg("asOf")
    with runtime().database.session() as session:
        return jsonify(traverse.lineage(session, node_id, grants=_grants(), depth=depth, as_of=as_of))


@bp.get("/column-lineage")
@_reader
def get_column_lineage() -> ResponseReturnValue:
    """Fields upstream (and with ``withDownstream=true`` downstream) of a field or dataset."""
    node_id = required_arg("nodeId")
    depth = int_arg("depth", DEFAULT_DEPTH, high=traverse.MAX_DEPTH)
    with_downstream = bool_arg("withDownstream", default=False)
    as_of = time_arg("asOf")
    with runtime().database.session() as session:
        return jsonify(
            column_walk.column_lineage(
                session,
                node_id,
                grants=_grants(),
                depth=depth,
                with_downstream=with_downstream,
                as_of=as_of,
            )
        )


@bp.get("/impact")
@_reader
def get_impact() -> ResponseReturnValue:
    """Every column, dataset and job a field reaches, each with its path."""
    node_id = required_arg("nodeId")
    depth = int_arg("depth", DEFAULT_DEPTH, high=traverse.MAX_DEPTH)
    direction = request.args.get("direction", "downstream")
    as_of = time_arg("asOf")
    with runtime().database.session() as session:
        return jsonify(
            impact.impact(session, node_id, grants=_grants(), direction=direction, depth=depth, as_of=as_of)
        )


@bp.get("/search")
@_reader
def get_search() -> ResponseReturnValue:
    """Datasets and jobs by name, or datasets by a field's name."""
    q = required_arg("q")
    limit = int_arg("limit", 10, high=1000)
    with runtime().database.session() as session:
        return jsonify(
            search.search(
                session,
                q,
                grants=_grants(),
                kind=request.args.get("filter") or None,
                sort=request.args.get("sort", "UPDATE_AT"),
                limit=limit,
                namespace=request.args.get("namespace") or None,
            )
        )


@bp.get("/tags")
@_reader
def list_tags() -> ResponseReturnValue:
    """Every tag."""
    with runtime().database.session() as session:
        return jsonify(tags.list_tags(session))


@bp.get("/stats/lineage-events")
@_reader
def get_lineage_event_stats() -> ResponseReturnValue:
    """Run events per hour of the last day, or per day of the last week."""
    period, zone = request.args.get("period", "DAY"), zone_arg("timezone")
    with runtime().database.session() as session:
        return jsonify(
            search.lineage_event_stats(session, grants=_grants(), period=period, timezone=zone, now=utcnow())
        )


@bp.get("/stats/jobs", defaults={"what": "jobs"})
@bp.get("/stats/datasets", defaults={"what": "datasets"})
@bp.get("/stats/sources", defaults={"what": "sources"})
@_reader
def get_created_stats(what: str) -> ResponseReturnValue:
    """How many jobs, datasets or sources there were at the end of each interval."""
    period, zone = request.args.get("period", "DAY"), zone_arg("timezone")
    with runtime().database.session() as session:
        return jsonify(
            search.created_stats(session, what, grants=_grants(), period=period, timezone=zone, now=utcnow())
        )
