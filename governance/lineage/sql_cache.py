"""Column edges derived from a run's SQL, parsed once per distinct (SQL, datasets, schemas).

A run keeps the newest SQL it reported with the datasets it named (its *material*). Where the
event carried no schema for a dataset, the schema known now is used, and the run is derived
again when that schema changes, so the edges do not depend on which event arrived first.
Jobs re-run the same statement; the outcome is cached by content, unparsable SQL included,
so a hostile statement is screened once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session

from governance.lineage import tables as t
from governance.lineage.derive import DatasetRef, derive_column_edges
from governance.lineage.edge_spec import EdgeSpec
from governance.lineage.upsert import Upserts


@dataclass(frozen=True)
class SqlOutcome:
    """The cache key of the SQL and the edges derived from it."""

    key: str
    edges: list[EdgeSpec]
    unparsed_reason: str | None = None


def sql_material(
    event: Mapping[str, Any], inputs: Sequence[Mapping[str, Any]], outputs: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The SQL of the event's ``sql`` job facet with its datasets, or None when there is none."""
    sql_facet = ((event.get("job") or {}).get("facets") or {}).get("sql") or {}
    query = sql_facet.get("query") if isinstance(sql_facet, dict) else None
    if not isinstance(query, str) or not query.strip():
        return None
    dialect = sql_facet.get("dialect")
    return {
        "query": query,
        "dialect": dialect if isinstance(dialect, str) else None,
        "inputs": [_describe(d) for d in inputs],
        "outputs": [_describe(d) for d in outputs],
    }


def _describe(raw: Mapping[str, Any]) -> dict[str, Any]:
    facets = raw.get("facets") or {}
    symlinks = [s for s in (facets.get("symlinks") or {}).get("identifiers") or [] if isinstance(s, dict)]
    fields = ((facets.get("schema") or {}).get("fields")) or None
    return {"namespace": raw["namespace"], "name": raw["name"], "symlinks": symlinks, "fields": fields}


def derive_material(session: Session, material: Mapping[str, Any], at: datetime) -> SqlOutcome:
    """The edges of a run's SQL, with the schemas known now where the event had none."""
    filled = {
        **material,
        "inputs": [_fill(session, d) for d in material["inputs"]],
        "outputs": [_fill(session, d) for d in material["outputs"]],
    }
    key = hashlib.sha256(orjson.dumps(filled, option=orjson.OPT_SORT_KEYS)).hexdigest()
    row = session.execute(
        sa.select(t.sql_parse.c.edges, t.sql_parse.c.unparsed_reason).where(t.sql_parse.c.key == key)
    ).first()
    if row is not None:
        return SqlOutcome(key, [_edge(e) for e in orjson.loads(row[0])], row[1])
    event = {
        "job": {"facets": {"sql": {"query": filled["query"], "dialect": filled["dialect"]}}},
        "inputs": [_as_dataset(d) for d in filled["inputs"]],
        "outputs": [_as_dataset(d) for d in filled["outputs"]],
    }
    derivation = derive_column_edges(event)
    edges = [
        EdgeSpec(
            e.source,
            e.source_field,
            e.target,
            e.target_field,
            e.transformation.value,
            "",
            False,
            derived=True,
        )
        for e in derivation.edges
        if e.source is not None
    ]
    session.execute(
        Upserts(session)
        .insert(t.sql_parse)
        .values(
            key=key,
            dialect=filled["dialect"],
            unparsed_reason=derivation.unparsed_reason,
            edges=orjson.dumps([_row(e) for e in edges]).decode(),
            created_at=at,
        )
        .on_conflict_do_nothing()
    )
    return SqlOutcome(key, edges, derivation.unparsed_reason)


def _fill(session: Session, described: Mapping[str, Any]) -> dict[str, Any]:
    if described.get("fields"):
        return dict(described)
    rows = session.execute(
        sa.select(t.dataset_field.c.path, t.dataset_field.c.type)
        .join(t.dataset, t.dataset.c.id == t.dataset_field.c.dataset_id)
        .where(
            t.dataset.c.namespace == described["namespace"],
            t.dataset.c.name == described["name"],
            t.dataset_field.c.ordinal.is_not(None),
            # Nested fields are not columns SQL can name directly.
            ~t.dataset_field.c.path.contains("."),
        )
        .order_by(t.dataset_field.c.ordinal)
    ).all()
    return {**described, "fields": [{"name": path, "type": kind} for path, kind in rows] or None}


def _as_dataset(described: Mapping[str, Any]) -> dict[str, Any]:
    facets: dict[str, Any] = {"symlinks": {"identifiers": described["symlinks"]}}
    if described.get("fields"):
        facets["schema"] = {"fields": described["fields"]}
    return {"namespace": described["namespace"], "name": described["name"], "facets": facets}


def _row(edge: EdgeSpec) -> list[Any]:
    return [
        edge.source.namespace,
        edge.source.name,
        edge.source_field,
        edge.target.namespace,
        edge.target.name,
        edge.target_field,
        edge.transformation,
    ]


def _edge(row: list[Any]) -> EdgeSpec:
    return EdgeSpec(
        DatasetRef(row[0], row[1]),
        row[2],
        DatasetRef(row[3], row[4]),
        row[5],
        row[6],
        "",
        False,
        derived=True,
    )
