"""What changed between two versions of a dataset: fields added, removed or retyped, facets changed.

A version keeps the facets its event gave the dataset (``version:<uuid>``), its schema among
them, so two versions compare without the dataset's current state.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.errors import NotFound
from governance.lineage import tables as t
from governance.lineage.datasets import dataset_row
from governance.lineage.facets import SchemaField, schema_fields
from governance.lineage.read_model import facets_of
from governance.lineage.visibility import Sight, shown_facets

# Keys every facet carries that say who wrote it, not what it says.
_PROVENANCE = ("_producer", "_schemaURL")


@dataclass(frozen=True, slots=True)
class FieldChange:
    """A field in both versions whose type or description differs."""

    path: str
    old_type: str | None
    new_type: str | None
    old_description: str | None
    new_description: str | None

    @property
    def type_changed(self) -> bool:
        """True when the type differs (else only the description does)."""
        return self.old_type != self.new_type


@dataclass(frozen=True, slots=True)
class SchemaDiff:
    """Fields only in the new version, only in the old one, and in both but changed."""

    added: tuple[SchemaField, ...] = ()
    removed: tuple[SchemaField, ...] = ()
    changed: tuple[FieldChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the two schemas hold the same fields alike."""
        return not (self.added or self.removed or self.changed)


@dataclass(frozen=True, slots=True)
class FacetChange:
    """A facet added, removed or changed (its payloads before and after; None where absent)."""

    name: str
    change: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class VersionRef:
    """One side of a comparison."""

    version: str
    created_at: datetime
    run_id: str | None
    has_schema: bool


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """The older version, the newer one, and what changed from the first to the second."""

    old: VersionRef
    new: VersionRef
    schema: SchemaDiff
    facets: tuple[FacetChange, ...]


def diff_schemas(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> SchemaDiff:
    """Compare two ``schema`` facets field by field (nested fields by their dotted path).

    >>> d = diff_schemas(
    ...     {"fields": [{"name": "id", "type": "INT"}, {"name": "email", "type": "STRING"}]},
    ...     {"fields": [{"name": "id", "type": "BIGINT"}, {"name": "country", "type": "STRING"}]},
    ... )
    >>> [f.path for f in d.added], [f.path for f in d.removed], [(c.old_type, c.new_type) for c in d.changed]
    (['country'], ['email'], [('INT', 'BIGINT')])
    """
    before = {f.path: f for f in schema_fields(old)}
    after = {f.path: f for f in schema_fields(new)}
    changed = [
        FieldChange(path, before[path].type, f.type, before[path].description, f.description)
        for path, f in after.items()
        if path in before and (before[path].type, before[path].description) != (f.type, f.description)
    ]
    return SchemaDiff(
        added=tuple(f for path, f in after.items() if path not in before),
        removed=tuple(f for path, f in before.items() if path not in after),
        changed=tuple(changed),
    )


def _content(payload: Any) -> Any:
    if not isinstance(payload, dict):
        return payload
    return {k: v for k, v in payload.items() if k not in _PROVENANCE}


def diff_facets(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[FacetChange, ...]:
    """The facets other than ``schema`` that one version has and the other lacks, or has otherwise.

    Who wrote a facet (``_producer``, ``_schemaURL``) is not a change of what it says.

    >>> [(c.name, c.change) for c in diff_facets(
    ...     {"documentation": {"description": "a"}, "owner": {"x": 1}, "schema": {}},
    ...     {"documentation": {"description": "b"}, "tags": {"tags": []}, "schema": {"fields": []}},
    ... )]
    [('documentation', 'changed'), ('owner', 'removed'), ('tags', 'added')]
    """
    changes = []
    for name in sorted((set(old) | set(new)) - {"schema"}):
        if name not in new:
            changes.append(FacetChange(name, "removed", old[name], None))
        elif name not in old:
            changes.append(FacetChange(name, "added", None, new[name]))
        elif _content(old[name]) != _content(new[name]):
            changes.append(FacetChange(name, "changed", old[name], new[name]))
    return tuple(changes)


def compare_versions(
    session: Session, dataset_id: int, versions: tuple[str, str], sight: Sight
) -> VersionDiff:
    """The diff of two versions of one dataset, the older first whatever the order given.

    Raises:
        NotFound: either is not a version of the dataset.
    """
    wanted = []
    for version in versions:
        try:
            wanted.append(uuid.UUID(version))
        except ValueError:
            raise NotFound(f"no version {version!r} of this dataset") from None
    v = t.dataset_version
    rows = {
        row.uuid: row
        for row in session.execute(sa.select(v).where(v.c.dataset_id == dataset_id, v.c.uuid.in_(wanted)))
    }
    for version, found in zip(versions, wanted, strict=True):
        if found not in rows:
            raise NotFound(f"no version {version!r} of this dataset")
    chosen = sorted((rows[w] for w in dict.fromkeys(wanted)), key=lambda r: (r.created_at, str(r.uuid)))
    old, new = chosen[0], chosen[-1]
    facets = facets_of(session, (f"version:{w}" for w in wanted))
    before = shown_facets(sight, facets[f"version:{old.uuid}"], touches_hidden=False)
    after = shown_facets(sight, facets[f"version:{new.uuid}"], touches_hidden=False)
    old_ref, new_ref = _ref(old, before), _ref(new, after)
    both_known = old_ref.has_schema and new_ref.has_schema
    return VersionDiff(
        old=old_ref,
        new=new_ref,
        # A version without a schema facet says nothing of its fields, not that it has none.
        schema=diff_schemas(before.get("schema"), after.get("schema")) if both_known else SchemaDiff(),
        facets=diff_facets(before, after),
    )


def _ref(row: Any, facets: Mapping[str, Any]) -> VersionRef:
    return VersionRef(
        version=str(row.uuid),
        created_at=row.created_at,
        run_id=str(row.run_uuid) if row.run_uuid else None,
        has_schema=isinstance(facets.get("schema"), dict),
    )


def diff_versions(
    session: Session, namespace: str, name: str, *, grants: Grants, old: str, new: str
) -> VersionDiff:
    """What changed between two versions of a dataset the grants show.

    Raises:
        NotFound: no such dataset (or a hidden one), or either version is not one of it.
    """
    sight = Sight(grants)
    dataset = dataset_row(session, namespace, name, sight)
    return compare_versions(session, int(dataset.id), (old, new), sight)
