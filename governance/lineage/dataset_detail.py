"""A dataset as its console page shows it: schema as a tree, owners, tags, documentation,
data quality, versions with a diff between two of them, and the runs that wrote it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.lineage import tables as t
from governance.lineage.catalog_labels import owners_with_types
from governance.lineage.data_quality import DataQuality, data_quality
from governance.lineage.datasets import dataset_row, dataset_views
from governance.lineage.facets import schema_fields
from governance.lineage.grant_sql import visible_condition
from governance.lineage.ids import OUT
from governance.lineage.nodes import dataset_node_id
from governance.lineage.read_model import facets_of, page
from governance.lineage.run_summary import RunSummary, run_summary
from governance.lineage.runs import run_query
from governance.lineage.version_diff import VersionDiff, compare_versions
from governance.lineage.visibility import Sight

JsonObject = dict[str, Any]
# How many of the newest versions the default comparison looks through for two with a schema.
DEFAULT_DIFF_WINDOW = 20


@dataclass(frozen=True, slots=True)
class FieldView:
    """A field of the current schema: its own name, its depth in the tree and what it carries."""

    path: str
    name: str
    depth: int
    type: str | None
    description: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VersionSummary:
    """A version in the list: when, by which run, how many fields (None: it carries no schema)."""

    version: str
    created_at: datetime
    run_id: str | None
    field_count: int | None


@dataclass(frozen=True, slots=True)
class DatasetDetail:
    """Everything the dataset page shows, within the caller's grants."""

    namespace: str
    name: str
    node_id: str
    type: str
    created_at: datetime | None
    updated_at: datetime | None
    current_version: str | None
    description: str | None
    lifecycle_state: str | None
    tags: tuple[str, ...]
    owners: tuple[tuple[str, str | None], ...]
    fields: tuple[FieldView, ...]
    quality: DataQuality | None
    facets: JsonObject
    versions: tuple[VersionSummary, ...]
    versions_total: int
    versions_offset: int
    versions_limit: int
    writers: tuple[RunSummary, ...]
    writers_total: int
    diff: VersionDiff | None


def _tree(schema: Any) -> Iterator[tuple[str, str, int]]:
    """(path, name, depth) of every field of a ``schema`` facet, in the order ``schema_fields`` gives."""

    def walk(fields: Any, prefix: str, depth: int) -> Iterator[tuple[str, str, int]]:
        for raw in fields if isinstance(fields, list) else []:
            if isinstance(raw, dict) and isinstance(raw.get("name"), str):
                yield prefix + raw["name"], raw["name"], depth
                yield from walk(raw.get("fields"), prefix + raw["name"] + ".", depth + 1)

    yield from walk((schema or {}).get("fields") if isinstance(schema, dict) else None, "", 0)


def field_views(schema: Any, fields: list[JsonObject]) -> tuple[FieldView, ...]:
    """The current fields (as the read API lists them) placed in the schema's tree.

    >>> schema = {"fields": [{"name": "a.b", "fields": [{"name": "c"}]}]}
    >>> [(f.name, f.depth) for f in field_views(schema, [{"name": "a.b"}, {"name": "a.b.c"}])]
    [('a.b', 0), ('c', 1)]
    """
    placed = {path: (name, depth) for path, name, depth in _tree(schema)}
    return tuple(
        FieldView(
            path=f["name"],
            name=placed.get(f["name"], (f["name"], 0))[0],
            depth=placed.get(f["name"], (f["name"], 0))[1],
            type=f.get("type"),
            description=f.get("description"),
            tags=tuple(f.get("tags") or ()),
        )
        for f in fields
    )


def _summary(row: Any, facets: Mapping[str, Any]) -> VersionSummary:
    schema = facets.get("schema")
    return VersionSummary(
        version=str(row.uuid),
        created_at=row.created_at,
        run_id=str(row.run_uuid) if row.run_uuid else None,
        field_count=len(schema_fields(schema)) if isinstance(schema, dict) else None,
    )


def _versions(session: Session, dataset_id: int, limit: int, offset: int) -> tuple[list[VersionSummary], int]:
    """A page of versions, newest first, and how many there are."""
    v = t.dataset_version
    query = sa.select(v).where(v.c.dataset_id == dataset_id).order_by(v.c.created_at.desc(), v.c.uuid.desc())
    rows, total = page(session, query, limit, offset)
    facets = facets_of(session, (f"version:{r.uuid}" for r in rows))
    return [_summary(r, facets[f"version:{r.uuid}"]) for r in rows], total


def _default_comparison(
    session: Session, dataset_id: int, first_page: list[VersionSummary], total: int
) -> tuple[str, str] | None:
    """The two newest versions that carry a schema (else the two newest), older first; None below two.

    ``first_page`` is the newest versions already read, if any; read again only when too few.
    """
    recent = first_page
    if len(recent) < min(DEFAULT_DIFF_WINDOW, total):
        recent = _versions(session, dataset_id, DEFAULT_DIFF_WINDOW, 0)[0]
    with_schema = [s for s in recent if s.field_count is not None]
    pair = with_schema[:2] if len(with_schema) >= 2 else recent[:2]
    return (pair[1].version, pair[0].version) if len(pair) == 2 else None


def _writers(session: Session, dataset_id: int, limit: int, sight: Sight) -> tuple[list[RunSummary], int]:
    """The newest runs that wrote the dataset, of live jobs the grants show, and how many there are."""
    rl, io = t.run_lineage, t.run_io
    query = (
        run_query()
        .add_columns(t.job.c.namespace, t.job.c.name)
        .join(
            io, sa.and_(io.c.run_uuid == rl.c.run_uuid, io.c.direction == OUT, io.c.dataset_id == dataset_id)
        )
        .join(t.job, t.job.c.id == rl.c.job_id)
        .where(
            t.job.c.deleted.is_(False),
            visible_condition(sight.grants, t.job.c.namespace, t.job.c.name, session.get_bind().dialect.name),
        )
        .order_by(rl.c.first_event_at.desc(), rl.c.run_uuid.desc())
    )
    rows, total = page(session, query, limit, 0)
    return [run_summary(r) for r in sight.keep(rows, lambda r: (r.namespace, r.name))], total


def dataset_detail(
    session: Session,
    namespace: str,
    name: str,
    *,
    grants: Grants,
    versions_limit: int,
    versions_offset: int,
    writers_limit: int,
    compare: tuple[str, str] | None = None,
) -> DatasetDetail:
    """The dataset page's contents; ``compare`` names two versions to diff (else the two newest).

    Raises:
        NotFound: no such dataset, a deleted one or one the grants hide; or a compared version
            is not one of the dataset's.
    """
    sight = Sight(grants)
    row = dataset_row(session, namespace, name, sight)
    view = dataset_views(session, [row], with_lineage=False, sight=sight)[0]
    facets: Mapping[str, Any] = view["facets"]
    versions, versions_total = _versions(session, int(row.id), versions_limit, versions_offset)
    writers, writers_total = _writers(session, int(row.id), writers_limit, sight)
    if compare is None:
        compare = _default_comparison(
            session, int(row.id), versions if versions_offset == 0 else [], versions_total
        )
    return DatasetDetail(
        namespace=row.namespace,
        name=row.name,
        node_id=dataset_node_id(row.namespace, row.name),
        type=view["type"],
        created_at=row.created_at,
        updated_at=row.updated_at,
        current_version=view["currentVersion"],
        description=view["description"],
        lifecycle_state=view["lastLifecycleState"],
        tags=tuple(view["tags"]),
        owners=tuple(owners_with_types(facets)),
        fields=field_views(facets.get("schema"), view["fields"]),
        quality=data_quality(facets),
        facets=dict(facets),
        versions=tuple(versions),
        versions_total=versions_total,
        versions_offset=versions_offset,
        versions_limit=versions_limit,
        writers=tuple(writers),
        writers_total=writers_total,
        diff=compare_versions(session, int(row.id), compare, sight) if compare else None,
    )
