"""Console job pages: the list of jobs, a job's page and a run's page.

Each view parses its arguments, calls one governance read within the caller's grants and renders;
a hidden job or a run of one is the same 404 page as an unknown one.
"""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from governance.access import Permission
from governance.lineage.job_detail import job_detail
from governance.lineage.job_list import job_list
from governance.lineage.run_detail import run_detail
from web.auth import current_caller, requires
from web.console.page_args import offset_arg, text_arg
from web.console.pages import bp
from web.runtime import runtime

PAGE_SIZE = 25
RUNS_PAGE_SIZE = 25


@bp.get("/jobs")
@requires(Permission.CATALOG_READ)
def jobs() -> ResponseReturnValue:
    """Jobs, recently updated first, each with its latest run; optionally of one namespace."""
    namespace = text_arg("namespace")
    offset = offset_arg("page", PAGE_SIZE)
    with runtime().database.session() as session:
        listed = job_list(
            session, grants=current_caller().grants, namespace=namespace, limit=PAGE_SIZE, offset=offset
        )
    return render_template("console/jobs/list.html", listed=listed)


@bp.get("/jobs/<name:namespace>/<name:name>")
@requires(Permission.CATALOG_READ)
def job(namespace: str, name: str) -> ResponseReturnValue:
    """A job: run history, the SQL of its latest run, its column edges and lineage disagreements."""
    offset = offset_arg("page", RUNS_PAGE_SIZE)
    with runtime().database.session() as session:
        detail = job_detail(
            session,
            namespace,
            name,
            grants=current_caller().grants,
            runs_limit=RUNS_PAGE_SIZE,
            runs_offset=offset,
        )
    return render_template("console/jobs/job.html", job=detail)


@bp.get("/runs/<run_id>")
@requires(Permission.CATALOG_READ)
def run(run_id: str) -> ResponseReturnValue:
    """A run: its state transitions in order, facets, and a failed run's error."""
    with runtime().database.session() as session:
        detail = run_detail(session, run_id, grants=current_caller().grants)
    return render_template("console/jobs/run.html", run=detail)
