"""Datasets and their versions in the shapes of Marquez's read API."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.errors import NotFound
from governance.lineage import tables as t
from governance.lineage.among import among
from governance.lineage.facets import WHOLE_DATASET, schema_fields
from governance.lineage.namespaces import get_namespace
from governance.lineage.read_model import JSON, facets_of, iso, named_row, page, text_of
from governance.lineage.tags import facet_field_tags, facet_tags, merged, steward_field_tags, steward_tags
from governance.lineage.visibility import Sight, shown_facets

STREAM_SCHEMES = ("kafka://", "pulsar://", "kinesis://", "pubsub://", "eventhubs://")


def _dataset_type(namespace: str, facets: Mapping[str, Any]) -> str:
    declared = str(text_of(facets, "datasetType", "datasetType") or "").upper()
    if declared in {"STREAM", "TOPIC"} or namespace.startswith(STREAM_SCHEMES):
        return "STREAM"
    return "DB_TABLE"


def _fields(session: Session, dataset_ids: Sequence[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {d: [] for d in dataset_ids}
    if dataset_ids:
        f = t.dataset_field
        rows = session.execute(
            sa.select(f.c.id, f.c.dataset_id, f.c.path, f.c.type, f.c.description)
            .where(
                among(session, t.dataset_field.c.dataset_id, dataset_ids),
                t.dataset_field.c.ordinal.is_not(None),
            )
            .order_by(t.dataset_field.c.dataset_id, t.dataset_field.c.ordinal)
        )
        for row in rows:
            found[row.dataset_id].append(row)
    return found


def _current_versions(session: Session, dataset_ids: Sequence[int]) -> dict[int, Any]:
    if not dataset_ids:
        return {}
    v = t.dataset_version
    ranked = (
        sa.select(
            v.c.dataset_id,
            v.c.uuid,
            v.c.created_at,
            v.c.run_uuid,
            sa.func.row_number()
            .over(partition_by=v.c.dataset_id, order_by=(v.c.created_at.desc(), v.c.uuid.desc()))
            .label("rank"),
        )
        .where(among(session, v.c.dataset_id, dataset_ids))
        .subquery()
    )
    rows = session.execute(sa.select(ranked).where(ranked.c.rank == 1))
    return {row.dataset_id: row for row in rows}


def _column_lineage(session: Session, dataset_id: int, sight: Sight) -> list[JSON] | None:
    """Marquez's ``columnLineage`` of a dataset: each field's current inputs; None when it has none.

    Marquez leaves the field null for a dataset without column lineage, and its web UI offers the
    column-lineage view whenever the field is truthy, which an empty list is.
    """
    target, source, src_ds = (
        t.dataset_field.alias("target"),
        t.dataset_field.alias("source"),
        t.dataset.alias(),
    )
    ce = t.column_edge
    rows = session.execute(
        sa.select(
            target.c.path, src_ds.c.namespace, src_ds.c.name, source.c.path, ce.c.transformation, ce.c.subtype
        )
        .join(target, target.c.id == ce.c.target_field_id)
        .join(source, source.c.id == ce.c.source_field_id)
        .join(src_ds, src_ds.c.id == source.c.dataset_id)
        .join(t.job, t.job.c.id == ce.c.job_id)
        .where(
            target.c.dataset_id == dataset_id,
            sa.text("column_edge.is_current"),
            target.c.path != WHOLE_DATASET,
            # A deleted dataset or job is hidden everywhere, its edges too.
            src_ds.c.deleted.is_(False),
            t.job.c.deleted.is_(False),
        )
        .order_by(target.c.path, src_ds.c.namespace, src_ds.c.name, source.c.path)
    )
    by_field: dict[str, list[JSON]] = {}
    for field, namespace, name, path, transformation, subtype in rows:
        if not sight.sees(namespace, name):
            continue
        by_field.setdefault(field, []).append(
            {
                "namespace": namespace,
                "dataset": name,
                "field": path,
                "transformationType": transformation,
                "transformationDescription": subtype,
            }
        )
    return [{"name": field, "inputFields": inputs} for field, inputs in by_field.items()] or None


def dataset_views(session: Session, rows: Sequence[Any], *, with_lineage: bool, sight: Sight) -> list[JSON]:
    """Dataset rows in Marquez's shape, without what ``sight`` hides.

    ``columnLineage`` is left null unless ``with_lineage``.
    """
    ids = [int(r.id) for r in rows]
    facets = facets_of(session, (f"dataset:{i}" for i in ids))
    fields = _fields(session, ids)
    versions = _current_versions(session, ids)
    stewards = steward_tags(session, t.dataset_tag.c.dataset_id, ids)
    field_stewards = steward_field_tags(session, ids)
    out = []
    for row in rows:
        own = facets[f"dataset:{row.id}"]
        field_tags = facet_field_tags(own)
        version = versions.get(row.id)
        out.append(
            {
                "id": {"namespace": row.namespace, "name": row.name},
                "type": _dataset_type(row.namespace, own),
                "name": row.name,
                "physicalName": row.name,
                "createdAt": iso(row.created_at),
                "updatedAt": iso(row.updated_at),
                "namespace": row.namespace,
                "sourceName": text_of(own, "dataSource", "name") or row.namespace,
                "fields": [
                    {
                        "name": f.path,
                        "type": f.type,
                        "tags": merged(field_tags.get(f.path, []), field_stewards.get(int(f.id), [])),
                        "description": f.description,
                    }
                    for f in fields[row.id]
                ],
                "tags": merged(facet_tags(own), stewards.get(int(row.id), [])),
                "lastModifiedAt": iso(version.created_at) if version else None,
                "lastLifecycleState": text_of(own, "lifecycleStateChange", "lifecycleStateChange"),
                "description": text_of(own, "documentation", "description"),
                "facets": shown_facets(sight, own, touches_hidden=False),
                "currentVersion": str(version.uuid) if version else None,
                "columnLineage": _column_lineage(session, row.id, sight) if with_lineage else None,
                "deleted": bool(row.deleted),
            }
        )
    return out


def list_datasets(session: Session, namespace: str, *, grants: Grants, limit: int, offset: int) -> JSON:
    """A namespace's datasets the grants show, by name, with their count."""
    sight = Sight(grants)
    get_namespace(session, namespace, grants=grants)
    query = (
        sa.select(t.dataset)
        .where(t.dataset.c.namespace == namespace, t.dataset.c.deleted.is_(False))
        .order_by(t.dataset.c.name)
    )
    rows, total = page(session, query, limit, offset, sight)
    return {"datasets": dataset_views(session, rows, with_lineage=True, sight=sight), "totalCount": total}


def dataset_row(session: Session, namespace: str, name: str, sight: Sight) -> Any:
    """The live dataset row of that name; NotFound otherwise, and for one ``sight`` hides alike."""
    return named_row(session, t.dataset, namespace, name, sight)


def get_dataset(session: Session, namespace: str, name: str, *, grants: Grants) -> JSON:
    """One dataset with its current schema, facets and column lineage."""
    sight = Sight(grants)
    row = dataset_row(session, namespace, name, sight)
    return dataset_views(session, [row], with_lineage=True, sight=sight)[0]


def _version(session: Session, dataset: Any, row: Any, facets: JSON, sight: Sight) -> JSON:
    schema = schema_fields(facets.get("schema"))
    return {
        "id": {"namespace": dataset.namespace, "name": dataset.name, "version": str(row.uuid)},
        "type": _dataset_type(dataset.namespace, facets),
        "name": dataset.name,
        "physicalName": dataset.name,
        "createdAt": iso(row.created_at),
        "version": str(row.uuid),
        "namespace": dataset.namespace,
        "sourceName": text_of(facets, "dataSource", "name") or dataset.namespace,
        "fields": [
            {"name": f.path, "type": f.type, "tags": [], "description": f.description} for f in schema
        ],
        "tags": facet_tags(facets),
        "lifecycleState": text_of(facets, "lifecycleStateChange", "lifecycleStateChange"),
        "description": text_of(facets, "documentation", "description"),
        "createdByRun": {"id": str(row.run_uuid)} if row.run_uuid else None,
        "facets": shown_facets(sight, facets, touches_hidden=False),
    }


def list_dataset_versions(
    session: Session, namespace: str, name: str, *, grants: Grants, limit: int, offset: int
) -> JSON:
    """A dataset's versions, newest first."""
    sight = Sight(grants)
    dataset = dataset_row(session, namespace, name, sight)
    v = t.dataset_version
    query = sa.select(v).where(v.c.dataset_id == dataset.id).order_by(v.c.created_at.desc(), v.c.uuid.desc())
    rows, total = page(session, query, limit, offset)
    facets = facets_of(session, (f"version:{r.uuid}" for r in rows))
    return {
        "versions": [_version(session, dataset, r, facets[f"version:{r.uuid}"], sight) for r in rows],
        "totalCount": total,
    }


def get_dataset_version(session: Session, namespace: str, name: str, version: str, *, grants: Grants) -> JSON:
    """One version of a dataset."""
    sight = Sight(grants)
    dataset = dataset_row(session, namespace, name, sight)
    try:
        wanted = uuid.UUID(version)
    except ValueError:
        raise NotFound(f"no version {version!r} of dataset {name!r}") from None
    v = t.dataset_version
    row = session.execute(sa.select(v).where(v.c.uuid == wanted, v.c.dataset_id == dataset.id)).first()
    if row is None:
        raise NotFound(f"no version {version!r} of dataset {name!r}")
    facets = facets_of(session, [f"version:{row.uuid}"])[f"version:{row.uuid}"]
    return _version(session, dataset, row, facets, sight)
