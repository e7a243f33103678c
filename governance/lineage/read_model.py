"""Building blocks of the read API's answers: times, facets, pages and the rows names point at.

Each read module (namespaces, datasets, jobs, runs, tags) takes a session and returns plain
JSON-ready data in Marquez's shapes, so the same answers serve the API, the console and the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session

from governance.errors import NotFound
from governance.lineage import tables as t
from governance.lineage import visibility
from governance.lineage.among import among, chunks
from governance.lineage.visibility import Sight

JSON = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    """An ISO 8601 UTC time with a ``Z``, as Marquez writes them."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def text_of(facets: Mapping[str, Any], facet: str, key: str) -> str | None:
    """A string field of a facet; None when the facet or field is absent or not a string."""
    value = (facets.get(facet) or {}).get(key)
    return value if isinstance(value, str) else None


def facets_of(session: Session, subjects: Iterable[str]) -> dict[str, JSON]:
    """The winning facets of each subject, by subject."""
    wanted = set(subjects)
    found: dict[str, JSON] = {s: {} for s in sorted(wanted)}
    for chunk in chunks(wanted):
        rows = session.execute(
            sa.select(t.facet.c.subject, t.facet.c.name, t.facet.c.payload).where(
                among(session, t.facet.c.subject, chunk)
            )
        )
        for subject, name, payload in rows:
            value = orjson.loads(payload)
            # A producer removes a facet by sending it with "_deleted": true (newest wins).
            if not (isinstance(value, dict) and value.get("_deleted") is True):
                found[subject][name] = value
    return found


def page(
    session: Session, query: sa.Select[Any], limit: int, offset: int, sight: Sight | None = None
) -> tuple[list[Any], int]:
    """One page of ``query``'s rows (those ``sight`` shows, if given) and how many it has in all."""
    if sight is not None and not sight.sees_everything:
        # Grants are globs judged in Python: filter every candidate, then page what is left.
        shown = sight.keep(session.execute(query).all(), lambda r: (r.namespace, r.name))
        return visibility.page(shown, limit, offset)
    total = session.execute(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = session.execute(query.limit(limit).offset(offset)).all()
    return list(rows), int(total)


def named_row(session: Session, table: sa.Table, namespace: str, name: str, sight: Sight) -> Any:
    """The live dataset or job row of that name; NotFound otherwise, and for a hidden one alike."""
    row = session.execute(
        sa.select(table).where(
            table.c.namespace == namespace, table.c.name == name, table.c.deleted.is_(False)
        )
    ).first()
    if row is None or not sight.sees(namespace, name):
        raise NotFound(f"no {table.name} {name!r} in namespace {namespace!r}")
    return row
