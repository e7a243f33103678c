"""What the graph reads out of OpenLineage facets: schema fields and declared column lineage."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from governance.lineage.edges import Transformation

# A dataset-level entry of ``columnLineage.dataset``: the source decides the whole output.
WHOLE_DATASET = ""


@dataclass(frozen=True, slots=True)
class SchemaField:
    """One field of a ``schema`` facet; nested fields get a dotted path."""

    path: str
    type: str | None
    description: str | None
    ordinal: int


@dataclass(frozen=True, slots=True)
class DeclaredEdge:
    """An input field named by an output's ``columnLineage`` facet, with how it is used."""

    target_field: str
    source_namespace: str
    source_name: str
    source_field: str
    transformation: Transformation
    subtype: str
    masking: bool


def schema_fields(schema_facet: Mapping[str, Any] | None) -> list[SchemaField]:
    """Flatten a schema facet's fields, nested ones included, in their order."""
    found: list[SchemaField] = []

    def walk(fields: Any, prefix: str) -> None:
        for raw in fields if isinstance(fields, list) else []:
            if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
                continue
            path = prefix + raw["name"]
            kind, text = raw.get("type"), raw.get("description")
            found.append(
                SchemaField(
                    path,
                    kind if isinstance(kind, str) else None,
                    text if isinstance(text, str) else None,
                    len(found),
                )
            )
            walk(raw.get("fields"), path + ".")

    walk((schema_facet or {}).get("fields"), "")
    return found


def declared_edges(column_lineage: Mapping[str, Any] | None) -> Iterator[DeclaredEdge]:
    """Every (output field, input field, transformation) the facet declares.

    Reads the 1-2-0 shape (``transformations`` per input field, ``dataset`` for dataset-level
    indirect lineage) and the older one (``transformationType`` on the output field).
    """
    facet = column_lineage or {}
    fields = facet.get("fields")
    for target, spec in fields.items() if isinstance(fields, dict) else []:
        if not isinstance(spec, dict):
            continue
        legacy = spec.get("transformationType")
        for source in spec.get("inputFields") or []:
            yield from _edges(target, source, legacy if isinstance(legacy, str) else "")
    for source in facet.get("dataset") or [] if isinstance(facet.get("dataset"), list) else []:
        yield from _edges(WHOLE_DATASET, source, "")


def _edges(target: str, source: Any, legacy: str) -> Iterator[DeclaredEdge]:
    if not isinstance(source, dict):
        return
    namespace, name, field = source.get("namespace"), source.get("name"), source.get("field")
    if not (isinstance(namespace, str) and isinstance(name, str) and isinstance(field, str)):
        return
    transformations = [x for x in source.get("transformations") or [] if isinstance(x, dict)]
    if not transformations:
        # Before 1-2-0 a field's edges were all direct; IDENTITY/TRANSFORMATION was the subtype.
        yield DeclaredEdge(target, namespace, name, field, Transformation.DIRECT, legacy.upper(), False)
        return
    for spec in transformations:
        kind = str(spec.get("type") or "DIRECT").upper()
        yield DeclaredEdge(
            target,
            namespace,
            name,
            field,
            Transformation.INDIRECT if kind == "INDIRECT" else Transformation.DIRECT,
            str(spec.get("subtype") or "").upper(),
            spec.get("masking") is True,
        )
