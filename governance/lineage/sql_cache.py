"""Column edges derived from an event's SQL, parsed once per distinct (SQL, datasets, schemas).

Jobs re-run the same statement; parsing costs milliseconds, a lookup far less. The outcome is
kept, unparsable SQL included, so a hostile statement is screened once and never again.
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
    """The cache key of the event's SQL and the edges derived from it."""

    key: str | None
    edges: list[EdgeSpec]
    unparsed_reason: str | None = None


def derived_edges(
    session: Session,
    event: Mapping[str, Any],
    inputs: Sequence[Mapping[str, Any]],
    outputs: Sequence[Mapping[str, Any]],
    at: datetime,
) -> SqlOutcome:
    """The edges the event's ``sql`` job facet implies, from the cache or parsed now."""
    sql_facet = ((event.get("job") or {}).get("facets") or {}).get("sql") or {}
    query = sql_facet.get("query") if isinstance(sql_facet, dict) else None
    if not isinstance(query, str) or not query.strip():
        return SqlOutcome(None, [])
    known = _known_fields(session, [d for d in (*inputs, *outputs) if not _schema_of(d)])
    material = [
        query,
        sql_facet.get("dialect"),
        [_describe(d, known) for d in inputs],
        [_describe(d, known) for d in outputs],
    ]
    key = hashlib.sha256(orjson.dumps(material, option=orjson.OPT_SORT_KEYS)).hexdigest()
    row = session.execute(
        sa.select(t.sql_parse.c.edges, t.sql_parse.c.unparsed_reason).where(t.sql_parse.c.key == key)
    ).first()
    if row is not None:
        return SqlOutcome(key, [_edge(e) for e in orjson.loads(row[0])], row[1])
    derivation = derive_column_edges(
        {"job": event.get("job"), "inputs": list(inputs), "outputs": list(outputs)}, known_fields=known
    )
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
    dialect = sql_facet.get("dialect")
    stmt = Upserts(session).insert(t.sql_parse)
    session.execute(
        stmt.values(
            key=key,
            dialect=dialect if isinstance(dialect, str) else None,
            unparsed_reason=derivation.unparsed_reason,
            edges=orjson.dumps([_row(e) for e in edges]).decode(),
            created_at=at,
        ).on_conflict_do_nothing()
    )
    return SqlOutcome(key, edges, derivation.unparsed_reason)


def _schema_of(raw: Mapping[str, Any]) -> Any:
    return ((raw.get("facets") or {}).get("schema") or {}).get("fields")


def _describe(raw: Mapping[str, Any], known: Mapping[DatasetRef, Mapping[str, str | None]]) -> list[Any]:
    facets = raw.get("facets") or {}
    symlinks = (facets.get("symlinks") or {}).get("identifiers") or []
    fields = _schema_of(raw) or sorted(known.get(DatasetRef(raw["namespace"], raw["name"]), {}).items())
    return [raw["namespace"], raw["name"], symlinks, fields]


def _known_fields(
    session: Session, datasets: Sequence[Mapping[str, Any]]
) -> dict[DatasetRef, dict[str, str | None]]:
    """The current schemas of datasets the event names without one."""
    known: dict[DatasetRef, dict[str, str | None]] = {}
    for raw in datasets:
        ref = DatasetRef(raw["namespace"], raw["name"])
        rows = session.execute(
            sa.select(t.dataset_field.c.path, t.dataset_field.c.type)
            .join(t.dataset, t.dataset.c.id == t.dataset_field.c.dataset_id)
            .where(
                t.dataset.c.namespace == ref.namespace,
                t.dataset.c.name == ref.name,
                t.dataset_field.c.ordinal.is_not(None),
                # Nested fields are not columns SQL can name directly.
                ~t.dataset_field.c.path.contains("."),
            )
            .order_by(t.dataset_field.c.ordinal)
        ).all()
        if rows:
            known[ref] = {str(path): kind for path, kind in rows}
    return known


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
