"""Namespaces in the shape of Marquez's read API."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.errors import NotFound
from governance.lineage import tables as t
from governance.lineage import visibility
from governance.lineage.read_model import JSON, iso, page
from governance.lineage.visibility import Sight


def _namespace(row: Any) -> JSON:
    return {
        "name": row.name,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
        "ownerName": "anonymous",
        "description": None,
        "isHidden": False,
    }


def list_namespaces(session: Session, *, grants: Grants, limit: int, offset: int) -> JSON:
    """Every namespace the grants show, by name."""
    sight = Sight(grants)
    query = sa.select(t.namespace).order_by(t.namespace.c.name)
    if sight.sees_everything:
        rows, total = page(session, query, limit, offset)
    else:
        shown = [r for r in session.execute(query) if sight.sees_namespace(r.name)]
        rows, total = visibility.page(shown, limit, offset)
    return {"namespaces": [_namespace(r) for r in rows], "totalCount": total}


def get_namespace(session: Session, name: str, *, grants: Grants) -> JSON:
    """One namespace; a hidden one is answered exactly as an unknown one."""
    row = session.execute(sa.select(t.namespace).where(t.namespace.c.name == name)).first()
    if row is None or not Sight(grants).sees_namespace(name):
        raise NotFound(f"no namespace {name!r}")
    return _namespace(row)
