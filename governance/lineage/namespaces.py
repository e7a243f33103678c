"""Namespaces in the shape of Marquez's read API."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.errors import NotFound
from governance.lineage import tables as t
from governance.lineage.read_model import JSON, iso, page


def _namespace(row: Any) -> JSON:
    return {
        "name": row.name,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
        "ownerName": "anonymous",
        "description": None,
        "isHidden": False,
    }


def list_namespaces(session: Session, *, limit: int, offset: int) -> JSON:
    """Every namespace, by name."""
    rows, total = page(session, sa.select(t.namespace).order_by(t.namespace.c.name), limit, offset)
    return {"namespaces": [_namespace(r) for r in rows], "totalCount": total}


def get_namespace(session: Session, name: str) -> JSON:
    """One namespace."""
    row = session.execute(sa.select(t.namespace).where(t.namespace.c.name == name)).first()
    if row is None:
        raise NotFound(f"no namespace {name!r}")
    return _namespace(row)
