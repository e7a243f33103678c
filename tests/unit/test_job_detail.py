"""Jobs and runs in the domain: the list, a job's runs, SQL, edges and disagreements, a run's error."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from governance.access import EVERYTHING, Grants
from governance.errors import NotFound
from governance.lineage.job_detail import JobDetail, job_detail
from governance.lineage.job_list import job_list
from governance.lineage.run_detail import run_detail
from tests.catalog_estate import (
    BROKEN,
    ERROR_MESSAGE,
    FAILED_RUN,
    LIMITED,
    LOAD,
    MARKUP,
    MART,
    MART_RUN,
    ORCHESTRATOR,
    ORDERS,
    PAYROLL,
    SECRET_COPY,
    SECRET_JOBS,
    SECRET_RUN,
    STACK_TRACE,
    WAREHOUSE,
)


def _job(session: Session, name: str, grants: Grants = EVERYTHING, offset: int = 0) -> JobDetail:
    return job_detail(session, ORCHESTRATOR, name, grants=grants, runs_limit=2, runs_offset=offset)


def test_the_list_shows_each_jobs_latest_run_newest_first(estate: Session) -> None:
    """Six jobs; the load's latest run is its failed one, with its duration; namespaces are counted."""
    listed = job_list(estate, grants=EVERYTHING, namespace=None, limit=10, offset=0)
    assert listed.total == 6
    assert listed.jobs[0].name == LOAD
    latest = listed.jobs[0].latest
    assert latest is not None and (latest.run_id, latest.state, latest.duration_seconds) == (
        FAILED_RUN,
        "FAILED",
        120,
    )
    assert {(n.value, n.count) for n in listed.namespaces} == {(ORCHESTRATOR, 5), (SECRET_JOBS, 1)}
    times = [j.updated_at for j in listed.jobs]
    assert times == sorted(times, reverse=True)


def test_the_list_narrows_to_a_namespace_pages_and_hides_what_grants_hide(estate: Session) -> None:
    """By namespace, by page, and a limited caller neither lists nor counts the hidden job."""
    secret = job_list(estate, grants=EVERYTHING, namespace=SECRET_JOBS, limit=10, offset=0)
    assert [j.name for j in secret.jobs] == [SECRET_COPY] and secret.total == 1
    assert job_list(estate, grants=EVERYTHING, namespace="nowhere", limit=10, offset=0).total == 0
    limited = job_list(estate, grants=LIMITED, namespace=None, limit=2, offset=2)
    assert limited.total == 5 and len(limited.jobs) == 2
    assert {n.value for n in limited.namespaces} == {ORCHESTRATOR}
    assert job_list(estate, grants=LIMITED, namespace=SECRET_JOBS, limit=10, offset=0).jobs == ()


def test_a_jobs_runs_are_paged_newest_first(estate: Session) -> None:
    """Three runs of the load, two a page; the latest run's SQL is none (the load sent none)."""
    first, second = _job(estate, LOAD), _job(estate, LOAD, offset=2)
    assert first.runs_total == 3
    assert [r.state for r in first.runs] == ["FAILED", "COMPLETED"]
    assert len(second.runs) == 1 and second.runs[0].state == "COMPLETED"
    assert first.sql is None and first.edges == ()
    assert first.outputs == ((WAREHOUSE, ORDERS),)


def test_the_sql_its_edges_declared_and_derived_and_where_they_disagree(estate: Session) -> None:
    """The mart's SQL, its declared edges (current) and derived ones (overridden), one disagreement."""
    mart = _job(estate, MART)
    assert mart.sql is not None and mart.sql.startswith("INSERT INTO") and mart.sql_unparsed is None
    assert mart.edge_run_id == MART_RUN
    edges = {
        (e.target.field, e.source.field, e.transformation, e.masking, e.derived, e.current)
        for e in mart.edges
    }
    assert edges == {
        ("order_id", "id", "DIRECT", False, False, True),
        ("order_id", "id", "DIRECT", False, True, False),
        ("country", "address.city", "DIRECT", True, False, True),
        ("country", "country", "DIRECT", False, True, False),
    }
    assert [
        (d.target.field, [s.field for s in d.declared], [s.field for s in d.derived])
        for d in mart.disagreements
    ] == [("country", ["address.city"], ["country"])]
    assert mart.owners == (("team:analytics", None),)


def test_sql_that_could_not_be_parsed_says_why(estate: Session) -> None:
    """The broken job's SQL is shown with the parser's reason, and it has no edges."""
    broken = _job(estate, BROKEN)
    assert broken.sql == "SELEC * FROM WHERE ((("
    assert broken.sql_unparsed and "could be parsed" in broken.sql_unparsed
    assert broken.edges == ()


def test_a_job_touching_a_hidden_dataset_withholds_its_sql_and_names(estate: Session) -> None:
    """The payroll job reads the vault: its SQL is withheld and the vault's field shows without a name."""
    seen = _job(estate, PAYROLL)
    assert seen.sql is not None and "secret" in seen.sql
    payroll = _job(estate, PAYROLL, LIMITED)
    assert payroll.sql is None and payroll.sql_withheld and "sql" not in payroll.facets
    assert payroll.inputs == () and payroll.outputs == ((WAREHOUSE, MARKUP),)
    (edge,) = payroll.edges
    assert edge.source.restricted and edge.source.field is None and edge.source.dataset is None
    assert (edge.target.dataset, edge.target.field) == (MARKUP, "total")
    assert "secret" not in repr(payroll)


def test_hidden_and_unknown_jobs_are_alike_not_found(estate: Session) -> None:
    """A limited caller asking for the vault's job gets what an unknown job gets."""
    messages = []
    for name in (SECRET_COPY, "secret_nothing"):
        with pytest.raises(NotFound) as caught:
            job_detail(estate, SECRET_JOBS, name, grants=LIMITED, runs_limit=5, runs_offset=0)
        messages.append(str(caught.value).replace(name, "X"))
    assert messages[0] == messages[1]


def test_a_failed_run_shows_its_transitions_in_order_and_its_error(estate: Session) -> None:
    """START then FAIL, the errorMessage facet's message, language and stack trace."""
    run = run_detail(estate, FAILED_RUN, grants=EVERYTHING)
    assert [t.event_type for t in run.transitions] == ["START", "FAIL"]
    assert run.run.state == "FAILED" and run.run.duration_seconds == 120
    assert run.error is not None
    assert (run.error.message, run.error.language, run.error.stack_trace) == (
        ERROR_MESSAGE,
        "PYTHON",
        STACK_TRACE,
    )
    assert run.outputs == ((WAREHOUSE, ORDERS),) and run.inputs == ()
    assert "errorMessage" in run.facets


def test_runs_of_hidden_jobs_are_not_found_and_hidden_datasets_left_out(estate: Session) -> None:
    """The vault job's run is unknown to a limited caller; the payroll run shows only its visible output."""
    assert run_detail(estate, SECRET_RUN, grants=EVERYTHING).run.job_name == SECRET_COPY
    for run_id in (SECRET_RUN, "00000000-0000-0000-0000-00000000ffff", "not-a-run"):
        with pytest.raises(NotFound):
            run_detail(estate, run_id, grants=LIMITED)
    payroll_run = job_detail(estate, ORCHESTRATOR, PAYROLL, grants=LIMITED, runs_limit=1, runs_offset=0).runs[
        0
    ]
    run = run_detail(estate, payroll_run.run_id, grants=LIMITED)
    assert run.withheld and run.inputs == () and run.outputs == ((WAREHOUSE, MARKUP),)
    assert "secret" not in repr(run)
