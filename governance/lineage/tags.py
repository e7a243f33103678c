"""Tags: those of OpenLineage ``tags`` facets, and every known tag."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.lineage import tables as t
from governance.lineage.read_model import JSON


def list_tags(session: Session) -> JSON:
    """Every tag seen in a ``tags`` facet or created through the API."""
    rows = session.execute(sa.select(t.tag).order_by(t.tag.c.name)).all()
    return {"tags": [{"name": r.name, "description": r.description} for r in rows]}


def facet_tags(facets: Mapping[str, Any]) -> list[str]:
    """The dataset- or job-level tags of a ``tags`` facet, by name; a tag with a value is ``key:value``."""
    tags = (facets.get("tags") or {}).get("tags") or []
    return sorted(
        {
            str(tag["key"] if not tag.get("value") else f"{tag['key']}:{tag['value']}")
            for tag in tags
            if isinstance(tag, dict) and isinstance(tag.get("key"), str) and not tag.get("field")
        }
    )


def facet_field_tags(facets: Mapping[str, Any]) -> dict[str, list[str]]:
    """The field-level tags of a ``tags`` facet (those naming a ``field``), by field path."""
    found: dict[str, list[str]] = {}
    for tag in (facets.get("tags") or {}).get("tags") or []:
        if isinstance(tag, dict) and isinstance(tag.get("field"), str) and isinstance(tag.get("key"), str):
            found.setdefault(tag["field"], []).append(tag["key"])
    return found
