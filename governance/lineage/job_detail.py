"""A job as its console page shows it: run history, the SQL of its latest run, the column edges
its latest run with edges declared or derived, and where declared and derived lineage disagree.

Within a caller's grants: a hidden dataset an edge touches is shown without its name, and the
SQL text and its parse failure are withheld when the job or its edges touch one, since the text
may name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.lineage import tables as t
from governance.lineage.catalog_labels import owners_with_types
from governance.lineage.ids import IN, OUT
from governance.lineage.jobs import job_row
from governance.lineage.nodes import job_node_id
from governance.lineage.read_model import facets_of, page, text_of
from governance.lineage.run_summary import RunSummary, run_summary
from governance.lineage.runs import run_query, sql_unparsed
from governance.lineage.tags import facet_tags, merged, steward_tags
from governance.lineage.visibility import Sight, shown_facets

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A field of a dataset, or for a dataset the caller may not see only a per-page stand-in id."""

    namespace: str | None
    dataset: str | None
    field: str | None
    restricted_id: str | None = None

    @property
    def restricted(self) -> bool:
        """True when the dataset is hidden from the caller (no name, no field name)."""
        return self.restricted_id is not None


@dataclass(frozen=True, slots=True)
class EdgeView:
    """A column edge: how the target field is made from the source field, and where the edge comes from.

    ``current`` is False for a derived edge that a declared edge of the same target overrides.
    """

    source: FieldRef
    target: FieldRef
    transformation: str
    subtype: str
    masking: bool
    derived: bool
    current: bool


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A target field whose declared sources differ from those derived from the SQL."""

    target: FieldRef
    declared: tuple[FieldRef, ...]
    derived: tuple[FieldRef, ...]


@dataclass(frozen=True, slots=True)
class JobDetail:
    """Everything the job page shows, within the caller's grants."""

    namespace: str
    name: str
    node_id: str
    created_at: datetime
    updated_at: datetime
    description: str | None
    location: str | None
    tags: tuple[str, ...]
    owners: tuple[tuple[str, str | None], ...]
    inputs: tuple[tuple[str, str], ...]
    outputs: tuple[tuple[str, str], ...]
    facets: JsonObject
    runs: tuple[RunSummary, ...]
    runs_total: int
    runs_offset: int
    runs_limit: int
    sql: str | None
    sql_dialect: str | None
    sql_unparsed: str | None
    sql_withheld: bool
    edge_run_id: str | None
    edges: tuple[EdgeView, ...]
    disagreements: tuple[Disagreement, ...]


def _io(
    session: Session, job_id: int, sight: Sight
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], bool]:
    """The job's current live inputs and outputs the grants show, and whether any it has is hidden."""
    rows = session.execute(
        sa.select(t.job_io.c.direction, t.dataset.c.namespace, t.dataset.c.name, t.dataset.c.deleted)
        .join(t.dataset, t.dataset.c.id == t.job_io.c.dataset_id)
        .where(t.job_io.c.job_id == job_id)
        .order_by(t.dataset.c.namespace, t.dataset.c.name)
    ).all()
    shown = [r for r in rows if sight.sees(r.namespace, r.name)]
    inputs = [(r.namespace, r.name) for r in shown if r.direction == IN and not r.deleted]
    outputs = [(r.namespace, r.name) for r in shown if r.direction == OUT and not r.deleted]
    return inputs, outputs, len(shown) < len(rows)


def _edges(session: Session, job: Any, sight: Sight) -> list[EdgeView]:
    """Every edge the job's latest run with edges reported, declared and derived, by target then source."""
    if job.edge_run_uuid is None:
        return []
    ce, rce = t.column_edge, t.run_column_edge
    src, tgt = t.dataset_field.alias("src"), t.dataset_field.alias("tgt")
    src_d, tgt_d = t.dataset.alias("src_d"), t.dataset.alias("tgt_d")
    rows = session.execute(
        sa.select(
            src_d.c.id.label("src_id"),
            src.c.id.label("src_field_id"),
            src_d.c.namespace.label("src_ns"),
            src_d.c.name.label("src_name"),
            src.c.path.label("src_path"),
            tgt_d.c.id.label("tgt_id"),
            tgt.c.id.label("tgt_field_id"),
            tgt_d.c.namespace.label("tgt_ns"),
            tgt_d.c.name.label("tgt_name"),
            tgt.c.path.label("tgt_path"),
            ce.c.transformation,
            ce.c.subtype,
            ce.c.masking,
            ce.c.derived,
            ce.c.is_current,
        )
        .join(rce, rce.c.edge_id == ce.c.id)
        .join(src, src.c.id == ce.c.source_field_id)
        .join(src_d, src_d.c.id == src.c.dataset_id)
        .join(tgt, tgt.c.id == ce.c.target_field_id)
        .join(tgt_d, tgt_d.c.id == tgt.c.dataset_id)
        .where(rce.c.run_uuid == job.edge_run_uuid, ce.c.job_id == job.id)
        .order_by(tgt_d.c.namespace, tgt_d.c.name, tgt.c.path, src_d.c.namespace, src_d.c.name, src.c.path)
    )

    def ref(dataset_id: int, field_id: int, namespace: str, name: str, path: str) -> FieldRef:
        if sight.sees(namespace, name):
            return FieldRef(namespace, name, path)
        return FieldRef(None, None, None, sight.restricted_field_id(dataset_id, field_id))

    return [
        EdgeView(
            source=ref(r.src_id, r.src_field_id, r.src_ns, r.src_name, r.src_path),
            target=ref(r.tgt_id, r.tgt_field_id, r.tgt_ns, r.tgt_name, r.tgt_path),
            transformation=r.transformation,
            subtype=r.subtype,
            masking=bool(r.masking),
            derived=bool(r.derived),
            current=bool(r.is_current),
        )
        for r in rows
    ]


def disagreements(edges: list[EdgeView]) -> tuple[Disagreement, ...]:
    """Targets whose declared sources and derived sources are both known and not the same.

    The same rule the fold records (``lineage_disagreement``), over the edges as the caller sees them.
    """
    sources: dict[FieldRef, tuple[dict[FieldRef, None], dict[FieldRef, None]]] = {}
    for edge in edges:
        sources.setdefault(edge.target, ({}, {}))[1 if edge.derived else 0][edge.source] = None
    return tuple(
        Disagreement(target, tuple(declared), tuple(derived))
        for target, (declared, derived) in sources.items()
        if declared and derived and set(declared) != set(derived)
    )


def job_detail(
    session: Session, namespace: str, name: str, *, grants: Grants, runs_limit: int, runs_offset: int
) -> JobDetail:
    """The job page's contents, with one page of its runs, newest first.

    Raises:
        NotFound: no such job, a deleted one or one the grants hide.
    """
    sight = Sight(grants)
    job = job_row(session, namespace, name, sight)
    rl = t.run_lineage
    newest_first = (
        run_query().where(rl.c.job_id == job.id).order_by(rl.c.first_event_at.desc(), rl.c.run_uuid.desc())
    )
    runs, runs_total = page(session, newest_first, runs_limit, runs_offset)
    latest = runs[0] if runs and runs_offset == 0 else session.execute(newest_first.limit(1)).first()
    subjects = [f"job:{job.id}", *([f"run-job:{latest.run_uuid}"] if latest else [])]
    facets = facets_of(session, subjects)
    own = facets[f"job:{job.id}"]
    inputs, outputs, touches_hidden = _io(session, int(job.id), sight)
    edges = _edges(session, job, sight)
    withheld = touches_hidden or any(e.source.restricted or e.target.restricted for e in edges)
    # The latest run's own SQL, else the newest any run of the job sent.
    sql = (facets[f"run-job:{latest.run_uuid}"] if latest else {}).get("sql") or own.get("sql") or {}
    unparsed = sql_unparsed(session, latest.sql_key) if latest and not withheld else None
    stewards = steward_tags(session, t.job_tag.c.job_id, [int(job.id)])
    return JobDetail(
        namespace=job.namespace,
        name=job.name,
        node_id=job_node_id(job.namespace, job.name),
        created_at=job.created_at,
        updated_at=job.updated_at,
        description=text_of(own, "documentation", "description"),
        location=text_of(own, "sourceCodeLocation", "url"),
        tags=tuple(merged(facet_tags(own), stewards.get(int(job.id), []))),
        owners=tuple(owners_with_types(own)),
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        facets=shown_facets(sight, own, touches_hidden=withheld),
        runs=tuple(run_summary(r) for r in runs),
        runs_total=runs_total,
        runs_offset=runs_offset,
        runs_limit=runs_limit,
        sql=None if withheld else text_of({"sql": sql}, "sql", "query"),
        sql_dialect=None if withheld else text_of({"sql": sql}, "sql", "dialect"),
        sql_unparsed=unparsed["reason"] if unparsed else None,
        sql_withheld=withheld and bool(sql),
        edge_run_id=str(job.edge_run_uuid) if job.edge_run_uuid else None,
        edges=tuple(edges),
        disagreements=disagreements(edges),
    )
