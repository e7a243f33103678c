"""Upserts that keep a value a function of the set of events, not of their order."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from governance.lineage import tables as t


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

    def span(
        self, table: sa.Table, key: Mapping[str, Any], at: datetime, *, returning: str | None = None
    ) -> Any:
        """Insert a row keyed by ``key`` seen at ``at``, widening its created/updated span."""
        stmt = (
            self.insert(table)
            .values(**key, created_at=at, updated_at=at)
            .on_conflict_do_update(
                index_elements=list(key),
                set_={
                    "created_at": self.least(table.c.created_at, at),
                    "updated_at": self.greatest(table.c.updated_at, at),
                },
            )
        )
        if returning is None:
            self.session.execute(stmt)
            return None
        return self.session.execute(stmt.returning(table.c[returning])).scalar_one()

    def facets(self, subject: str, facets: Mapping[str, Any] | None, at: datetime, content_hash: str) -> None:
        """Keep each facet of ``subject`` from its newest event (by eventTime, then content hash)."""
        rows = [
            {
                "subject": subject,
                "name": name,
                "event_time": at,
                "content_hash": content_hash,
                "payload": orjson.dumps(value).decode(),
            }
            for name, value in sorted((facets or {}).items())
            if isinstance(value, dict)
        ]
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
            rows,
        )

    def facet(self, subject: str, name: str) -> tuple[str, dict[str, Any]] | None:
        """The winning facet and the content hash of the event it came from."""
        row = self.session.execute(
            sa.select(t.facet.c.content_hash, t.facet.c.payload).where(
                t.facet.c.subject == subject, t.facet.c.name == name
            )
        ).first()
        if row is None:
            return None
        payload: dict[str, Any] = orjson.loads(row[1])
        return str(row[0]), payload
