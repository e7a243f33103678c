"""The catalog search: datasets and jobs by name, namespace, tag, owner or field name, with counts.

Filters narrow the result (a kind, a namespace, a tag, an owner); the counts by kind, namespace,
tag and owner are of the result as it stands, so each value offered narrows it further. Without
text the newest changes come first; with text, names that match come before the rest. All of it
is filtered, counted and paged in SQL, a caller's grants included (``governance.lineage.grant_sql``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.lineage import tables as t
from governance.lineage.catalog_labels import DATASET, JOB, OWNER, TAG, owner_names
from governance.lineage.catalog_query import CatalogQuery, HitRow, answer
from governance.lineage.read_model import facets_of, text_of
from governance.lineage.search import like_pattern
from governance.lineage.tags import facet_tags, merged, steward_tags
from governance.lineage.visibility import Sight

# Values offered per facet, the most frequent first.
FACET_VALUES = 25
MATCHED_FIELDS_SHOWN = 3


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
    sight = Sight(grants)
    raw = answer(session, query, sight, limit=limit, offset=offset)
    # The SQL condition already keeps only what the grants show; the glob judge has the last word.
    shown = sight.keep(raw.rows, lambda h: (h.namespace, h.name))
    return CatalogPage(
        query=query,
        hits=tuple(_hits(session, shown, query)),
        total=sum(count for _, _, count in raw.places),
        limit=limit,
        offset=offset,
        facets=_facets(raw.places, raw.labels),
    )


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


def _hits(session: Session, rows: Sequence[HitRow], query: CatalogQuery) -> list[CatalogHit]:
    """The page's rows with their descriptions, tags, owners and matching fields, in a few batches."""
    facets = facets_of(session, (f"{r.kind}:{r.id}" for r in rows))
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
            description=text_of(facets[f"{r.kind}:{r.id}"], "documentation", "description"),
            tags=tuple(merged(facet_tags(facets[f"{r.kind}:{r.id}"]), stewards[r.kind].get(int(r.id), []))),
            owners=tuple(owner_names(facets[f"{r.kind}:{r.id}"])),
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
