"""Tags as reads show them: those of OpenLineage ``tags`` facets merged with those stewards added.

A producer's tags live in its newest ``tags`` facet; a steward's in ``dataset_tag``,
``dataset_field_tag`` and ``job_tag`` (``governance.lineage.tagging`` writes them). Reads show
the union, by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.lineage import tables as t
from governance.lineage.among import among, chunks
from governance.lineage.read_model import JSON


def list_tags(session: Session) -> JSON:
    """Every tag seen in a dataset's ``tags`` facet or made through the API, by name."""
    rows = session.execute(sa.select(t.tag).order_by(t.tag.c.name)).all()
    return {"tags": [{"name": r.name, "description": r.description} for r in rows]}


def _label(tag: Mapping[str, Any]) -> str:
    """A facet tag's name: its key, or ``key:value`` when it has a value (as the tag list names it)."""
    return str(tag["key"] if not tag.get("value") else f"{tag['key']}:{tag['value']}")


def _facet_entries(facets: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    tags = (facets.get("tags") or {}).get("tags") or []
    return [tag for tag in tags if isinstance(tag, dict) and isinstance(tag.get("key"), str)]


def facet_tag_names(facets: Mapping[str, Any]) -> set[str]:
    """Every tag of a ``tags`` facet, field-level ones included, by name (the tag list's names)."""
    return {_label(tag) for tag in _facet_entries(facets)}


def facet_tags(facets: Mapping[str, Any]) -> list[str]:
    """The dataset- or job-level tags of a ``tags`` facet, by name."""
    return sorted({_label(tag) for tag in _facet_entries(facets) if not tag.get("field")})


def facet_field_tags(facets: Mapping[str, Any]) -> dict[str, list[str]]:
    """The field-level tags of a ``tags`` facet (those naming a ``field``), by field path."""
    found: dict[str, set[str]] = {}
    for tag in _facet_entries(facets):
        if isinstance(tag.get("field"), str):
            found.setdefault(tag["field"], set()).add(_label(tag))
    return {field: sorted(names) for field, names in found.items()}


def steward_tags(session: Session, subject: sa.Column[Any], ids: Iterable[int]) -> dict[int, list[str]]:
    """The tags stewards added, by id, for a tagging table's subject column (say ``job_tag.c.job_id``)."""
    found: dict[int, list[str]] = {}
    for chunk in chunks(set(ids)):
        rows = session.execute(
            sa.select(subject, subject.table.c.tag)
            .where(among(session, subject, chunk))
            .order_by(subject, subject.table.c.tag)
        )
        for subject_id, tag in rows:
            found.setdefault(int(subject_id), []).append(tag)
    return found


def steward_field_tags(session: Session, dataset_ids: Iterable[int]) -> dict[int, list[str]]:
    """The tags stewards added to the fields of these datasets, by field id."""
    ft, f = t.dataset_field_tag, t.dataset_field
    found: dict[int, list[str]] = {}
    for chunk in chunks(set(dataset_ids)):
        rows = session.execute(
            sa.select(ft.c.field_id, ft.c.tag)
            .join(f, f.c.id == ft.c.field_id)
            .where(among(session, f.c.dataset_id, chunk))
            .order_by(ft.c.field_id, ft.c.tag)
        )
        for field_id, tag in rows:
            found.setdefault(int(field_id), []).append(tag)
    return found


def merged(*groups: Iterable[str]) -> list[str]:
    """The union of tag names, sorted.

    >>> merged(["pii:true", "gold"], ["gold", "finance"])
    ['finance', 'gold', 'pii:true']
    """
    if not any(groups):  # most fields carry no tag at all
        return []
    return sorted(set().union(*groups))
