"""Column edges between an event's datasets, derived from its ``sql`` job facet.

SQL names tables (``analytics.public.orders``, ``t1``); OpenLineage names datasets in
namespaces (``postgres://h:5432`` / ``db.public.orders``, ``hdfs://nn`` / ``/warehouse/t1``,
with a ``symlinks`` facet naming the table). A table is matched to the event's dataset whose
name, or one of its symlink names, ends with the table's name parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlglot.errors import SqlglotError

from governance.errors import InvalidInput
from governance.lineage.dialects import dialect_for
from governance.lineage.edges import Transformation
from governance.lineage.sql import column_lineage
from governance.lineage.sql_guard import DEFAULT_LIMITS, SqlLimits, screen_sql, time_limit

Parts = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """A dataset as OpenLineage names it."""

    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class FieldEdge:
    """``source.source_field`` feeds ``target.target_field``; ``source`` is None when the SQL
    names a table that is none of the event's datasets."""

    target: DatasetRef
    target_field: str
    source: DatasetRef | None
    source_field: str
    transformation: Transformation


@dataclass(frozen=True)
class Derivation:
    """The derived edges, or why none could be derived (stored as ``sql_unparsed``)."""

    edges: list[FieldEdge] = field(default_factory=list)
    unparsed_reason: str | None = None


@dataclass(frozen=True)
class _Dataset:
    ref: DatasetRef
    names: tuple[Parts, ...]
    fields: dict[str, str | None]


def derive_column_edges(
    event: Mapping[str, Any],
    *,
    known_fields: Mapping[DatasetRef, Mapping[str, str | None]] | None = None,
    limits: SqlLimits = DEFAULT_LIMITS,
) -> Derivation:
    """Column edges from the event's SQL between its input and output datasets.

    Args:
        event: an accepted OpenLineage RunEvent or JobEvent, parsed.
        known_fields: dataset schemas already known (from earlier events), used where the
            event's own ``schema`` facets are missing.
        limits: the screening and time limits for the SQL.
    """
    sql_facet = ((event.get("job") or {}).get("facets") or {}).get("sql") or {}
    query = sql_facet.get("query")
    if not isinstance(query, str) or not query.strip():
        return Derivation()
    inputs = [_dataset(d, known_fields or {}) for d in event.get("inputs") or [] if is_named_dataset(d)]
    outputs = [_dataset(d, known_fields or {}) for d in event.get("outputs") or [] if is_named_dataset(d)]
    declared = sql_facet.get("dialect") if isinstance(sql_facet.get("dialect"), str) else None
    dialect = dialect_for(declared, [d.ref.namespace for d in (*inputs, *outputs)])
    # One name per dataset (its symlink, the table name SQL uses, when it has one): two names of
    # one dataset would make the table ambiguous to the schema lookup.
    schema: dict[str, object] = {
        ".".join(d.names[-1]): d.fields for d in (*inputs, *outputs) if d.fields and d.names
    }
    try:
        screen_sql(query, limits)
        with time_limit(limits.time_limit_seconds):
            edges = column_lineage(query, dialect=dialect, schema=schema or None)
    except (InvalidInput, SqlglotError, RecursionError) as err:
        return Derivation(unparsed_reason=f"{type(err).__name__}: {err}"[:500])
    return Derivation(edges=list(_field_edges(edges, inputs, outputs)))


def is_named_dataset(dataset: Any) -> bool:
    """True for a dataset object with a string namespace and name."""
    return (
        isinstance(dataset, dict)
        and isinstance(dataset.get("namespace"), str)
        and isinstance(dataset.get("name"), str)
    )


def _parts(name: str) -> Parts:
    return tuple(part.lower() for part in re.split(r"[./]", name.strip("/")) if part)


def _dataset(raw: Mapping[str, Any], known: Mapping[DatasetRef, Mapping[str, str | None]]) -> _Dataset:
    ref = DatasetRef(raw["namespace"], raw["name"])
    facets = raw.get("facets") or {}
    symlinks = [
        s.get("name") for s in (facets.get("symlinks") or {}).get("identifiers") or [] if isinstance(s, dict)
    ]
    names = tuple(_parts(n) for n in [ref.name, *symlinks] if isinstance(n, str) and _parts(n))
    fields = {
        f["name"]: f.get("type")
        for f in (facets.get("schema") or {}).get("fields") or []
        if isinstance(f, dict) and isinstance(f.get("name"), str)
    } or dict(known.get(ref, {}))
    return _Dataset(ref, names, fields)


def _match(table: str, datasets: Iterable[_Dataset]) -> DatasetRef | None:
    """The one dataset whose name (or a symlink name) ends with the table's parts."""
    wanted = _parts(table)
    if not wanted:
        return None
    found = {d.ref for d in datasets for name in d.names if name[-len(wanted) :] == wanted}
    return found.pop() if len(found) == 1 else None


def _field_edges(
    edges: Iterable[Any], inputs: list[_Dataset], outputs: list[_Dataset]
) -> Iterator[FieldEdge]:
    for edge in edges:
        table, _, target_field = edge.target.rpartition(".")
        target = _match(table, outputs) if table else (outputs[0].ref if len(outputs) == 1 else None)
        if target is None:
            continue
        for source, transformation in edge.by_source.items():
            source_table, _, source_field = source.rpartition(".")
            resolved = _match(source_table, inputs) if source_table else None
            if resolved is None and not source_table and len(inputs) == 1:
                resolved = inputs[0].ref
            yield FieldEdge(target, target_field, resolved, source_field, transformation)
