"""The catalog search's question and its SQL: what matches, and the counts and page of the matches.

One statement answers everything: the matches (within the caller's grants, as a SQL condition)
are computed once, a materialized common table expression, and read three ways: grouped by kind
and namespace, joined to their tags and owners, and the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from governance.errors import InvalidInput
from governance.lineage import tables as t
from governance.lineage.catalog_labels import DATASET, JOB, OWNER, TAG, has_label, label_rows
from governance.lineage.grant_sql import visible_condition
from governance.lineage.search import like_pattern
from governance.lineage.visibility import Sight
from governance.models import UTCDateTime

KINDS = (DATASET, JOB)
MAX_TEXT_CHARS = 200
MAX_VALUE_CHARS = 1000
_PLACE, _LABEL, _HIT = "place", "label", "hit"


@dataclass(frozen=True, slots=True)
class CatalogQuery:
    """What to look for: text anywhere (name, namespace, tag, owner, field) and exact filters."""

    text: str = ""
    kind: str | None = None
    namespace: str | None = None
    tag: str | None = None
    owner: str | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise InvalidInput(f"kind must be one of {list(KINDS)}, not {self.kind!r}")
        if len(self.text) > MAX_TEXT_CHARS:
            raise InvalidInput(f"the search text is longer than {MAX_TEXT_CHARS} characters")
        for label in ("namespace", "tag", "owner"):
            value = getattr(self, label)
            if value is not None and len(value) > MAX_VALUE_CHARS:
                raise InvalidInput(f"the {label} filter is longer than {MAX_VALUE_CHARS} characters")

    @property
    def is_empty(self) -> bool:
        """True when nothing narrows the catalog: the page shows what changed last."""
        return not (self.text or self.kind or self.namespace or self.tag or self.owner)


@dataclass(frozen=True, slots=True)
class HitRow:
    """A matching dataset or job as the statement returns it."""

    kind: str
    id: int
    namespace: str
    name: str
    updated_at: datetime
    rank: int

    @property
    def order(self) -> tuple[int, float, str, str, str]:
        """Its place in the result: names that match first, then the last changed."""
        return (self.rank, -self.updated_at.timestamp(), self.kind, self.namespace, self.name)


@dataclass(frozen=True, slots=True)
class RawAnswer:
    """The matches counted by (kind, namespace) and by (label kind, value), and one page of them."""

    places: list[tuple[str, str, int]]
    labels: list[tuple[str, str, int]]
    rows: list[HitRow]


def matches(query: CatalogQuery, sight: Sight, dialect: str) -> sa.Select[Any]:
    """The live datasets and jobs ``sight`` shows that match: kind, id, namespace, name, updated_at, rank."""
    parts = []
    for kind, table in ((DATASET, t.dataset), (JOB, t.job)):
        if query.kind not in (None, kind):
            continue
        conditions: list[ColumnElement[bool]] = [
            table.c.deleted.is_(False),
            visible_condition(sight.grants, table.c.namespace, table.c.name, dialect),
        ]
        if query.namespace is not None:
            conditions.append(table.c.namespace == query.namespace)
        for label, wanted in ((TAG, query.tag), (OWNER, query.owner)):
            if wanted is not None:
                conditions.append(has_label(kind, table.c.id, label, equals=wanted))
        rank: ColumnElement[int] = sa.literal(0)
        if query.text:
            pattern = like_pattern(query.text)
            name_matches = sa.func.lower(table.c.name).like(pattern, escape="\\")
            anywhere: list[ColumnElement[bool]] = [
                name_matches,
                sa.func.lower(table.c.namespace).like(pattern, escape="\\"),
            ]
            anywhere += [has_label(kind, table.c.id, label, like=pattern) for label in (TAG, OWNER)]
            if kind == DATASET:
                anywhere.append(_has_field(table.c.id, pattern))
            conditions.append(sa.or_(*anywhere))
            rank = sa.case((sa.func.lower(table.c.name) == query.text.lower(), 0), (name_matches, 1), else_=2)
        parts.append(
            sa.select(
                sa.literal(kind, sa.String(8)).label("kind"),
                table.c.id,
                table.c.namespace,
                table.c.name,
                table.c.updated_at,
                rank.label("rank"),
            ).where(*conditions)
        )
    return sa.select(sa.union_all(*parts).subquery("found"))


def _has_field(dataset_id: sa.ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
    f = t.dataset_field
    return sa.exists().where(
        f.c.dataset_id == dataset_id,
        f.c.ordinal.is_not(None),
        sa.func.lower(f.c.path).like(pattern, escape="\\"),
    )


def _same_node(labels: Any, hits: Any) -> ColumnElement[bool]:
    return sa.and_(labels.c.node == hits.c.kind, labels.c.node_id == hits.c.id)


def _order(hits: Any) -> tuple[Any, ...]:
    return (hits.c.rank, hits.c.updated_at.desc(), hits.c.kind, hits.c.namespace, hits.c.name)


def _hit(row: Any) -> HitRow:
    """A hit from a ``hit`` row of the answer (its namespace in ``value``)."""
    return HitRow(row.kind, int(row.id), row.value, row.name, row.updated_at, int(row.rank))


# The columns of the one-statement answer, in order, with the type each has in every part.
_ANSWER_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("kind", sa.Text),
    ("value", sa.Text),
    ("n", sa.BigInteger),
    ("id", sa.BigInteger),
    ("name", sa.Text),
    ("updated_at", UTCDateTime),
    ("rank", sa.Integer),
)


def _part(name: str, *columns: Any) -> sa.Select[Any]:
    """One kind of row of the answer, its columns as ``_ANSWER_COLUMNS`` (None stands for a typed NULL)."""
    typed: list[Any] = [sa.literal(name, sa.String(8)).label("part")]
    for (label, kind), column in zip(_ANSWER_COLUMNS, columns, strict=True):
        typed.append((sa.cast(sa.null(), kind) if column is None else column).label(label))
    return sa.select(*typed)


def answer(session: Session, query: CatalogQuery, sight: Sight, *, limit: int, offset: int) -> RawAnswer:
    """The counts and the page of the matches ``sight`` shows, in one statement."""
    dialect = session.get_bind().dialect.name
    hits = matches(query, sight, dialect).cte("hits")
    if dialect == "postgresql":
        # Read three ways below: matched once. (SQLite materializes a CTE read more than once.)
        hits = hits.prefix_with("MATERIALIZED")
        # Compiling these plans with the JIT takes longer than running them.
        session.execute(sa.text("SET LOCAL jit = off"))
    labels = label_rows()

    none = None  # a typed NULL in that column
    places = _part(_PLACE, hits.c.kind, hits.c.namespace, sa.func.count(), none, none, none, none).group_by(
        hits.c.kind, hits.c.namespace
    )
    label_counts = (
        _part(_LABEL, labels.c.kind, labels.c.value, sa.func.count(), none, none, none, none)
        .select_from(hits)
        .join(labels, _same_node(labels, hits))
        .group_by(labels.c.kind, labels.c.value)
    )
    page = (
        _part(
            _HIT, hits.c.kind, hits.c.namespace, none, hits.c.id, hits.c.name, hits.c.updated_at, hits.c.rank
        )
        .order_by(*_order(hits))
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    rows = session.execute(sa.union_all(places, label_counts, sa.select(page))).all()
    return RawAnswer(
        places=[(r.kind, r.value, int(r.n)) for r in rows if r.part == _PLACE],
        labels=[(r.kind, r.value, int(r.n)) for r in rows if r.part == _LABEL],
        # A union keeps no order: sort the page as its subquery did.
        rows=sorted((_hit(r) for r in rows if r.part == _HIT), key=lambda h: h.order),
    )
