"""Column edges derived from a run's SQL, parsed once per distinct (SQL, datasets, schemas).

A run keeps the newest SQL it reported with the datasets it named (its *material*). Where the
event carried no schema for a dataset, the schema known now is used, and the run is derived
again when that schema changes, so the edges do not depend on which event arrived first.
Jobs re-run the same statement; the outcome is cached by content, unparsable SQL included,
so a hostile statement is screened once.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa

from governance.lineage import tables as t
from governance.lineage.among import chunks
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


def derive_materials(
    ups: Upserts, materials: Mapping[uuid.UUID, Mapping[str, Any]], at: datetime
) -> dict[uuid.UUID, SqlOutcome]:
    """The edges of each run's SQL, with the schemas known now where its event had none."""
    known = _known_fields(
        ups,
        {
            (d["namespace"], d["name"])
            for m in materials.values()
            for d in _described(m)
            if not d.get("fields")
        },
    )
    filled = {run_uuid: _filled(material, known) for run_uuid, material in materials.items()}
    keys = {
        run_uuid: hashlib.sha256(orjson.dumps(f, option=orjson.OPT_SORT_KEYS)).hexdigest()
        for run_uuid, f in filled.items()
    }
    cached: dict[str, SqlOutcome] = {}
    for chunk in chunks(sorted(set(keys.values()))):
        rows = ups.session.execute(
            sa.select(t.sql_parse.c.key, t.sql_parse.c.edges, t.sql_parse.c.unparsed_reason).where(
                t.sql_parse.c.key.in_(chunk)
            )
        )
        cached.update(
            {
                key: SqlOutcome(key, [_edge(e) for e in orjson.loads(edges)], reason)
                for key, edges, reason in rows
            }
        )
    parsed: list[dict[str, Any]] = []
    for run_uuid, key in sorted(keys.items()):
        if key not in cached:
            cached[key] = _parse(key, filled[run_uuid])
            parsed.append(
                {
                    "key": key,
                    "dialect": filled[run_uuid]["dialect"],
                    "unparsed_reason": cached[key].unparsed_reason,
                    "edges": orjson.dumps([_row(e) for e in cached[key].edges]).decode(),
                    "created_at": at,
                }
            )
    if parsed:
        ups.session.execute(ups.insert(t.sql_parse).on_conflict_do_nothing(), parsed)
    return {run_uuid: cached[key] for run_uuid, key in keys.items()}


def _described(material: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [*material["inputs"], *material["outputs"]]


def _parse(key: str, filled: Mapping[str, Any]) -> SqlOutcome:
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
    return SqlOutcome(key, edges, derivation.unparsed_reason)


def _known_fields(ups: Upserts, refs: set[tuple[str, str]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Placed top-level fields of the named datasets, in schema order."""
    d, f = t.dataset, t.dataset_field
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for chunk in chunks(refs):
        rows = ups.session.execute(
            sa.select(d.c.namespace, d.c.name, f.c.path, f.c.type)
            .join(d, d.c.id == f.c.dataset_id)
            .where(
                sa.tuple_(d.c.namespace, d.c.name).in_(list(chunk)),
                f.c.ordinal.is_not(None),
                # Nested fields are not columns SQL can name directly.
                ~f.c.path.contains("."),
            )
            .order_by(d.c.namespace, d.c.name, f.c.ordinal)
        )
        for namespace, name, path, kind in rows:
            found.setdefault((namespace, name), []).append({"name": path, "type": kind})
    return found


def _filled(
    material: Mapping[str, Any], known: Mapping[tuple[str, str], list[dict[str, Any]]]
) -> dict[str, Any]:
    def fill(described: Mapping[str, Any]) -> dict[str, Any]:
        if described.get("fields"):
            return dict(described)
        return {**described, "fields": known.get((described["namespace"], described["name"])) or None}

    return {
        **material,
        "inputs": [fill(d) for d in material["inputs"]],
        "outputs": [fill(d) for d in material["outputs"]],
    }


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
