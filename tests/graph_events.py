"""Events that build a small streaming estate, and folding them as a worker does."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from governance.clock import utcnow
from governance.ingest.accept import accept_event
from governance.ingest.process import process_events
from governance.lineage import tables as t
from governance.models import Outbox, Run

LEASE = timedelta(seconds=60)
KAFKA = "kafka://prod-cluster:9092"
WAREHOUSE = "postgres://warehouse:5432"


def schema(*fields: str | tuple[str, str]) -> dict[str, Any]:
    """A ``schema`` facet; a field is a name or (name, type)."""
    return {
        "fields": [
            {"name": f, "type": "STRING"} if isinstance(f, str) else {"name": f[0], "type": f[1]}
            for f in fields
        ]
    }


def column_lineage(fields: dict[str, list[tuple[str, str, str, str]]]) -> dict[str, Any]:
    """A ``columnLineage`` facet: target -> [(namespace, dataset, field, "TYPE[/subtype][/masked]")]."""

    def transformation(spec: str) -> dict[str, Any]:
        kind, _, rest = spec.partition("/")
        subtype, _, masked = rest.partition("/")
        return {"type": kind, "subtype": subtype or "IDENTITY", "masking": masked == "masked"}

    return {
        "fields": {
            target: {
                "inputFields": [
                    {"namespace": ns, "name": name, "field": field, "transformations": [transformation(spec)]}
                    for ns, name, field, spec in sources
                ]
            }
            for target, sources in fields.items()
        }
    }


def dataset(namespace: str, name: str, **facets: Any) -> dict[str, Any]:
    """A dataset with the given facets."""
    return {"namespace": namespace, "name": name, "facets": facets}


def accept_all(session: Session, events: Iterable[dict[str, Any] | bytes]) -> list[int]:
    """Accept events as the ingest path does; the ids of the newly stored ones."""
    ids: list[int] = []
    for event in events:
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        accept_event(
            session,
            body,
            max_depth=1000,
            now=utcnow(),
            publish_grace=timedelta(seconds=30),
            enqueue=ids.append,
        )
    return ids


def process_all(session: Session, event_ids: Sequence[int], *, batches: Sequence[int] = ()) -> None:
    """Process events in the given order, each once, and check none failed.

    ``batches`` gives the sizes of the batches the events are folded in (one by one when empty;
    what remains after the listed sizes forms a last batch).
    """
    groups: list[Sequence[int]] = []
    start = 0
    for size in batches:
        groups.append(event_ids[start : start + size])
        start += size
    groups += [event_ids[start:]] if batches else [[event_id] for event_id in event_ids[start:]]
    for group in groups:
        if group:
            process_events(session, event_ids=group, now=utcnow(), processing_lease=LEASE, max_attempts=1)
    failed = session.execute(
        sa.select(Outbox.event_id, Outbox.last_error).where(Outbox.status != "done")
    ).all()  # type: ignore[arg-type]
    session.rollback()  # end the read: SQLite's BEGIN IMMEDIATE would keep the write lock
    assert not failed, failed


def fold(session: Session, events: Iterable[dict[str, Any] | bytes], *, batches: Sequence[int] = ()) -> None:
    """Accept then process events, in order (in batches of the given sizes, see ``process_all``)."""
    process_all(session, accept_all(session, events), batches=batches)


def graph_snapshot(session: Session) -> dict[str, set[tuple[Any, ...]]]:
    """The graph as sets of rows keyed by names, not by surrogate ids (which depend on order)."""
    d, f, j = t.dataset, t.dataset_field, t.job
    src, tgt, src_d, tgt_d = f.alias("src"), f.alias("tgt"), d.alias("src_d"), d.alias("tgt_d")
    ce = t.column_edge

    def rows(query: sa.Select[Any]) -> set[tuple[Any, ...]]:
        return {tuple(r) for r in session.execute(query)}

    return {
        "namespaces": rows(sa.select(t.namespace)),
        "datasets": rows(sa.select(d.c.namespace, d.c.name, d.c.created_at, d.c.updated_at)),
        "fields": rows(
            sa.select(d.c.namespace, d.c.name, f.c.path, f.c.type, f.c.description, f.c.ordinal).join(
                d, d.c.id == f.c.dataset_id
            )
        ),
        "versions": rows(
            sa.select(
                t.dataset_version.c.uuid,
                d.c.name,
                t.dataset_version.c.run_uuid,
                t.dataset_version.c.created_at,
                t.dataset_version.c.updated_at,
            ).join(d, d.c.id == t.dataset_version.c.dataset_id)
        ),
        "jobs": rows(
            sa.select(
                j.c.namespace, j.c.name, j.c.created_at, j.c.updated_at, j.c.io_run_uuid, j.c.edge_run_uuid
            )
        ),
        "runs": rows(
            sa.select(
                t.run_lineage.c.run_uuid,
                j.c.name,
                t.run_lineage.c.first_event_at,
                t.run_lineage.c.parent_run_uuid,
                t.run_lineage.c.job_version_uuid,
                t.run_lineage.c.sql_key,
            ).join(j, j.c.id == t.run_lineage.c.job_id)
        ),
        "run_io": rows(
            sa.select(t.run_io.c.run_uuid, t.run_io.c.direction, d.c.name).join(
                d, d.c.id == t.run_io.c.dataset_id
            )
        ),
        "job_io": rows(
            sa.select(j.c.name, t.job_io.c.direction, d.c.name)
            .join(j, j.c.id == t.job_io.c.job_id)
            .join(d, d.c.id == t.job_io.c.dataset_id)
        ),
        "edges": rows(
            sa.select(
                j.c.name,
                src_d.c.name,
                src.c.path,
                tgt_d.c.name,
                tgt.c.path,
                ce.c.transformation,
                ce.c.subtype,
                ce.c.masking,
                ce.c.derived,
                ce.c.is_current,
            )
            .join(j, j.c.id == ce.c.job_id)
            .join(src, src.c.id == ce.c.source_field_id)
            .join(src_d, src_d.c.id == src.c.dataset_id)
            .join(tgt, tgt.c.id == ce.c.target_field_id)
            .join(tgt_d, tgt_d.c.id == tgt.c.dataset_id)
        ),
        "facets": rows(sa.select(t.facet.c.name, t.facet.c.content_hash, t.facet.c.payload)),
        "disagreements": rows(sa.select(t.lineage_disagreement.c.declared, t.lineage_disagreement.c.derived)),
        "run_edges": rows(
            sa.select(t.run_column_edge.c.run_uuid, src.c.path, tgt.c.path, ce.c.derived)
            .join(ce, ce.c.id == t.run_column_edge.c.edge_id)
            .join(src, src.c.id == ce.c.source_field_id)
            .join(tgt, tgt.c.id == ce.c.target_field_id)
        ),
        "run_states": rows(
            sa.select(
                col(Run.run_uuid),
                col(Run.state),
                col(Run.state_event_time),
                col(Run.started_at),
                col(Run.ended_at),
            )
        ),
        "tags": rows(sa.select(t.tag.c.name, t.tag.c.created_at)),
        "labels": rows(
            sa.select(t.facet_label.c.kind, t.facet_label.c.value, d.c.name).join(
                d, sa.and_(t.facet_label.c.node == "dataset", t.facet_label.c.node_id == d.c.id)
            )
        )
        | rows(
            sa.select(t.facet_label.c.kind, t.facet_label.c.value, j.c.name).join(
                j, sa.and_(t.facet_label.c.node == "job", t.facet_label.c.node_id == j.c.id)
            )
        ),
    }
