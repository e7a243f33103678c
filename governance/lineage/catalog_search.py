"""The catalog search: datasets and jobs by name, namespace, tag, owner or field name, with counts.

Filters narrow the result (a kind, a namespace, a tag, an owner); the counts by kind, namespace,
tag and owner are of the result as it stands, so each value offered narrows it further. Without
text the newest changes come first; with text, names that match come before the rest. All of it
is filtered, counted and paged in SQL for a caller without grants; a caller with grants gets the
same answer computed over the matches its grants show (grants are globs judged in Python).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from governance.access import Grants
from governance.errors import InvalidInput
from governance.lineage import tables as t
from governance.lineage.catalog_labels import DATASET, JOB, OWNER, TAG, label_rows, owner_names, subject_of
from governance.lineage.read_model import facets_of, text_of
from governance.lineage.search import like_pattern
from governance.lineage.tags import facet_tags, merged, steward_tags
from governance.lineage.visibility import Sight

KINDS = (DATASET, JOB)
MAX_TEXT_CHARS = 200
MAX_VALUE_CHARS = 1000
# Values offered per facet, the most frequent first.
FACET_VALUES = 25
MATCHED_FIELDS_SHOWN = 3


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
class ValueCount:
    """One value of a facet and how many results carry it."""

    value: str
    count: int


@dataclass(frozen=True, slots=True)
class CatalogFacets:
    """The result's counts by kind, namespace, tag and owner, most frequent first."""

    kinds: tuple[ValueCount, ...] = ()
    namespaces: tuple[ValueCount, ...] = ()
    tags: tuple[ValueCount, ...] = ()
    owners: tuple[ValueCount, ...] = ()


@dataclass(frozen=True, slots=True)
class CatalogHit:
    """A dataset or job found, with what the result list shows of it."""

    kind: str
    namespace: str
    name: str
    updated_at: datetime
    description: str | None = None
    tags: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    matched_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CatalogPage:
    """One page of results, how many there are in all, and the facets of all of them."""

    query: CatalogQuery
    hits: tuple[CatalogHit, ...]
    total: int
    limit: int
    offset: int
    facets: CatalogFacets = field(default_factory=CatalogFacets)


def search_catalog(
    session: Session, query: CatalogQuery, *, grants: Grants, limit: int, offset: int
) -> CatalogPage:
    """The page of datasets and jobs the grants show that match ``query``, and the result's facets."""
    dialect = session.get_bind().dialect.name
    hits = _matches(query, dialect)
    ordered = sa.select(hits).order_by(
        hits.c.rank, hits.c.updated_at.desc(), hits.c.kind, hits.c.namespace, hits.c.name
    )
    sight = Sight(grants)
    places: list[tuple[str, str, int]]
    label_counts: list[tuple[str, str, int]]
    if sight.sees_everything:
        places = [
            (kind, namespace, int(count))
            for kind, namespace, count in session.execute(
                sa.select(hits.c.kind, hits.c.namespace, sa.func.count()).group_by(
                    hits.c.kind, hits.c.namespace
                )
            )
        ]
        labels = label_rows(dialect)
        label_counts = [
            (kind, value, int(count))
            for kind, value, count in session.execute(
                sa.select(labels.c.kind, labels.c.value, sa.func.count(sa.distinct(hits.c.subject)))
                .join(labels, labels.c.subject == hits.c.subject)
                .group_by(labels.c.kind, labels.c.value)
            )
        ]
        rows = session.execute(ordered.limit(limit).offset(offset)).all()
    else:
        shown = sight.keep(session.execute(ordered).all(), lambda r: (r.namespace, r.name))
        counted = Counter((r.kind, r.namespace) for r in shown)
        places = [(kind, namespace, count) for (kind, namespace), count in counted.items()]
        label_counts = _label_counts_within(session, hits, dialect, sight)
        rows = shown[offset : offset + limit]
    return CatalogPage(
        query=query,
        hits=tuple(_hits(session, rows, query)),
        total=sum(count for _, _, count in places),
        limit=limit,
        offset=offset,
        facets=_facets(places, label_counts),
    )


def _matches(query: CatalogQuery, dialect: str) -> sa.Subquery:
    """Every live dataset and job matching ``query``: kind, id, namespace, name, updated_at, subject, rank."""
    parts = []
    for kind, table in ((DATASET, t.dataset), (JOB, t.job)):
        if query.kind not in (None, kind):
            continue
        subject = subject_of(kind, table.c.id)
        conditions: list[ColumnElement[bool]] = [table.c.deleted.is_(False)]
        if query.namespace is not None:
            conditions.append(table.c.namespace == query.namespace)
        if query.tag is not None:
            conditions.append(_has_label(dialect, subject, TAG, query.tag))
        if query.owner is not None:
            conditions.append(_has_label(dialect, subject, OWNER, query.owner))
        rank: ColumnElement[int] = sa.literal(0)
        if query.text:
            pattern = like_pattern(query.text)
            name_matches = sa.func.lower(table.c.name).like(pattern, escape="\\")
            anywhere = [
                name_matches,
                sa.func.lower(table.c.namespace).like(pattern, escape="\\"),
                _has_label_like(dialect, subject, pattern),
            ]
            if kind == DATASET:
                anywhere.append(_has_field(table.c.id, pattern))
            conditions.append(sa.or_(*anywhere))
            rank = sa.case((sa.func.lower(table.c.name) == query.text.lower(), 0), (name_matches, 1), else_=2)
        parts.append(
            sa.select(
                sa.literal(kind, sa.Text).label("kind"),
                table.c.id,
                table.c.namespace,
                table.c.name,
                table.c.updated_at,
                subject.label("subject"),
                rank.label("rank"),
            ).where(*conditions)
        )
    return sa.union_all(*parts).subquery("hits")


def _has_label(dialect: str, subject: ColumnElement[str], kind: str, value: str) -> ColumnElement[bool]:
    """The subject carries the tag or owner ``value``."""
    labels = label_rows(dialect)
    return sa.exists().where(labels.c.subject == subject, labels.c.kind == kind, labels.c.value == value)


def _has_label_like(dialect: str, subject: ColumnElement[str], pattern: str) -> ColumnElement[bool]:
    """The subject carries a tag or owner matching the LIKE ``pattern`` in lower case."""
    labels = label_rows(dialect)
    return sa.exists().where(
        labels.c.subject == subject, sa.func.lower(labels.c.value).like(pattern, escape="\\")
    )


def _has_field(dataset_id: sa.ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
    f = t.dataset_field
    return sa.exists().where(
        f.c.dataset_id == dataset_id,
        f.c.ordinal.is_not(None),
        sa.func.lower(f.c.path).like(pattern, escape="\\"),
    )


def _label_counts_within(
    session: Session, hits: sa.Subquery, dialect: str, sight: Sight
) -> list[tuple[str, str, int]]:
    """Label counts over the matches ``sight`` shows (one query, judged in Python)."""
    labels = label_rows(dialect)
    rows = session.execute(
        sa.select(hits.c.namespace, hits.c.name, labels.c.subject, labels.c.kind, labels.c.value).join(
            labels, labels.c.subject == hits.c.subject
        )
    )
    carriers: dict[tuple[str, str], set[str]] = {}
    for namespace, name, subject, kind, value in rows:
        if sight.sees(namespace, name):
            carriers.setdefault((kind, value), set()).add(subject)
    return [(kind, value, len(subjects)) for (kind, value), subjects in carriers.items()]


def _top(pairs: Iterable[tuple[str, int]]) -> tuple[ValueCount, ...]:
    ranked = sorted(pairs, key=lambda p: (-p[1], p[0]))
    return tuple(ValueCount(value, count) for value, count in ranked[:FACET_VALUES])


def _facets(
    places: Sequence[tuple[str, str, int]], label_counts: Sequence[tuple[str, str, int]]
) -> CatalogFacets:
    kinds: Counter[str] = Counter()
    namespaces: Counter[str] = Counter()
    for kind, namespace, count in places:
        kinds[kind] += count
        namespaces[namespace] += count
    return CatalogFacets(
        kinds=_top(kinds.items()),
        namespaces=_top(namespaces.items()),
        tags=_top((value, count) for kind, value, count in label_counts if kind == TAG),
        owners=_top((value, count) for kind, value, count in label_counts if kind == OWNER),
    )


def _hits(session: Session, rows: Sequence[Any], query: CatalogQuery) -> list[CatalogHit]:
    """The page's rows with their descriptions, tags, owners and matching fields, in a few batches."""
    facets = facets_of(session, (r.subject for r in rows))
    dataset_ids = [int(r.id) for r in rows if r.kind == DATASET]
    job_ids = [int(r.id) for r in rows if r.kind == JOB]
    stewards = {
        DATASET: steward_tags(session, t.dataset_tag.c.dataset_id, dataset_ids),
        JOB: steward_tags(session, t.job_tag.c.job_id, job_ids),
    }
    fields = _matched_fields(session, dataset_ids, query.text) if query.text else {}
    return [
        CatalogHit(
            kind=r.kind,
            namespace=r.namespace,
            name=r.name,
            updated_at=r.updated_at,
            description=text_of(facets[r.subject], "documentation", "description"),
            tags=tuple(merged(facet_tags(facets[r.subject]), stewards[r.kind].get(int(r.id), []))),
            owners=tuple(owner_names(facets[r.subject])),
            matched_fields=tuple(fields.get(int(r.id), [])) if r.kind == DATASET else (),
        )
        for r in rows
    ]


def _matched_fields(session: Session, dataset_ids: Sequence[int], text: str) -> dict[int, list[str]]:
    if not dataset_ids:
        return {}
    f = t.dataset_field
    rows = session.execute(
        sa.select(f.c.dataset_id, f.c.path)
        .where(
            f.c.dataset_id.in_(dataset_ids),
            f.c.ordinal.is_not(None),
            sa.func.lower(f.c.path).like(like_pattern(text), escape="\\"),
        )
        .order_by(f.c.dataset_id, f.c.ordinal)
    )
    found: dict[int, list[str]] = {}
    for dataset_id, path in rows:
        paths = found.setdefault(int(dataset_id), [])
        if len(paths) < MATCHED_FIELDS_SHOWN:
            paths.append(path)
    return found
