"""Upserts that keep a value a function of the set of events, not of their order."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from governance.lineage import tables as t
from governance.lineage.among import chunks


class Upserts:
    """Dialect-aware statements for one session (PostgreSQL or SQLite)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def insert(self, table: sa.Table) -> Any:
        """An INSERT that takes ``on_conflict_do_*``."""
        return (postgresql.insert if self.postgres else sqlite.insert)(table)

    def least(self, a: Any, b: Any) -> ColumnElement[Any]:
        """The smaller of two values (SQLite's two-argument min)."""
        return sa.func.least(a, b) if self.postgres else sa.func.min(a, b)

    def greatest(self, a: Any, b: Any) -> ColumnElement[Any]:
        """The larger of two values."""
        return sa.func.greatest(a, b) if self.postgres else sa.func.max(a, b)

    def spans(
        self,
        table: sa.Table,
        key: Sequence[str],
        rows: Sequence[Mapping[str, Any]],
        *,
        also: Mapping[str, Any] | None = None,
    ) -> None:
        """Insert rows keyed by ``key``, each with ``created_at``/``updated_at``; a row already there
        widens its span to cover both (and takes ``also``)."""
        if not rows:
            return
        stmt = self.insert(table)
        self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=list(key),
                set_={
                    "created_at": self.least(table.c.created_at, stmt.excluded.created_at),
                    "updated_at": self.greatest(table.c.updated_at, stmt.excluded.updated_at),
                    **(also or {}),
                },
            ),
            sorted(rows, key=lambda r: tuple(str(r[c]) for c in key)),
        )

    def facets(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Keep each (subject, name) facet from its newest event (by eventTime, then content hash)."""
        if not rows:
            return
        stmt = self.insert(t.facet)
        newer = sa.tuple_(stmt.excluded.event_time, stmt.excluded.content_hash) > sa.tuple_(
            t.facet.c.event_time, t.facet.c.content_hash
        )
        self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["subject", "name"],
                set_={
                    "event_time": stmt.excluded.event_time,
                    "content_hash": stmt.excluded.content_hash,
                    "payload": stmt.excluded.payload,
                },
                where=newer,
            ),
            sorted(rows, key=lambda r: (r["subject"], r["name"])),
        )

    def facet_payloads(self, subjects: Collection[str], names: Collection[str]) -> dict[tuple[str, str], Any]:
        """The winning payloads of the named facets of ``subjects``, by (subject, name)."""
        found: dict[tuple[str, str], Any] = {}
        for chunk in chunks(subjects):
            rows = self.session.execute(
                sa.select(t.facet.c.subject, t.facet.c.name, t.facet.c.payload).where(
                    t.facet.c.subject.in_(chunk), t.facet.c.name.in_(sorted(names))
                )
            )
            found.update({(subject, name): orjson.loads(payload) for subject, name, payload in rows})
        return found
