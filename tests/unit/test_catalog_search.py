"""The catalog search: what matches, the counts offered beside the result, paging, grants."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from governance.access import EVERYTHING, Grants
from governance.clock import utcnow
from governance.errors import InvalidInput
from governance.lineage.catalog_query import CatalogQuery
from governance.lineage.catalog_search import CatalogPage, search_catalog
from governance.lineage.soft_delete import delete_dataset, delete_job
from governance.lineage.tagging import tag_dataset, tag_job
from tests.catalog_estate import (
    BROKEN,
    CHECK,
    DAILY,
    LIMITED,
    LOAD,
    MARKUP,
    MART,
    ORCHESTRATOR,
    ORDERS,
    SECRET_COPY,
    SECRET_DATASET,
    WAREHOUSE,
)


def _find(
    session: Session, grants: Grants = EVERYTHING, limit: int = 50, offset: int = 0, **query: str
) -> CatalogPage:
    return search_catalog(session, CatalogQuery(**query), grants=grants, limit=limit, offset=offset)


def _names(page: CatalogPage) -> list[str]:
    return [hit.name for hit in page.hits]


def _counts(values: tuple[object, ...]) -> dict[str, int]:
    return {v.value: v.count for v in values}  # type: ignore[attr-defined]


def test_without_a_query_every_live_dataset_and_job_comes_newest_change_first(estate: Session) -> None:
    """Four datasets and six jobs, the last changed first, with the counts by kind, namespace, tag, owner."""
    page = _find(estate)
    assert page.total == 10 and page.query.is_empty
    times = [hit.updated_at for hit in page.hits]
    assert times == sorted(times, reverse=True)
    assert _names(page)[:2] == [ORDERS, LOAD]  # both changed by the failed run, last of all
    assert _counts(page.facets.kinds) == {"dataset": 4, "job": 6}
    assert _counts(page.facets.namespaces) == {
        WAREHOUSE: 3,
        ORCHESTRATOR: 5,
        "s3://secret-vault": 1,
        "secret-jobs": 1,
    }
    assert _counts(page.facets.tags) == {"pii:true": 1}
    assert _counts(page.facets.owners) == {"team:analytics": 2, "team:sales": 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ORDERS", {ORDERS, DAILY, LOAD, CHECK}),  # any case, any part of a name
        ("zip", {ORDERS}),  # a nested field's name
        ("analytics", {DAILY, MART}),  # an owner, of a dataset and of a job
        ("pii", {ORDERS}),  # a tag
        ("secret-vault", {SECRET_DATASET}),  # a namespace
        ("%", set()),  # LIKE's wildcards are only characters here
        ("_", {LOAD, CHECK, MART, BROKEN, SECRET_COPY, DAILY, SECRET_DATASET}),  # names and fields
    ],
)
def test_text_matches_names_namespaces_fields_owners_and_tags(
    estate: Session, text: str, expected: set[str]
) -> None:
    """``q`` is looked for in every one of those, and nothing else."""
    assert set(_names(_find(estate, text=text))) == expected


def test_a_matching_field_is_named_and_exact_names_come_first(estate: Session) -> None:
    """The fields that matched are shown with the dataset; an exact name outranks a longer one."""
    zip_hit = _find(estate, text="zip").hits[0]
    assert zip_hit.matched_fields == ("address.zip",)
    assert _names(_find(estate, text=DAILY.upper()))[0] == DAILY
    names = _names(_find(estate, text="e"))
    in_name = ["e" in name for name in names]
    assert True in in_name and False in in_name  # some match by name, others by owner or namespace
    assert in_name == sorted(in_name, reverse=True)


def test_each_offered_value_narrows_to_exactly_its_count(estate: Session) -> None:
    """Clicking any kind, namespace, tag or owner gives a result as large as its count said."""
    everything = _find(estate)
    for key, values in (
        ("kind", everything.facets.kinds),
        ("namespace", everything.facets.namespaces),
        ("tag", everything.facets.tags),
        ("owner", everything.facets.owners),
    ):
        for value in values:
            narrowed = _find(estate, **{key: value.value})
            assert narrowed.total == value.count, (key, value)
            assert all(hit.kind == value.value for hit in narrowed.hits) or key != "kind"


def test_filters_combine_and_the_counts_follow_the_result(estate: Session) -> None:
    """An owner and a kind together keep what has both; the counts beside are those of that result."""
    page = _find(estate, owner="team:analytics", kind="job")
    assert _names(page) == [MART]
    assert _counts(page.facets.kinds) == {"job": 1}
    assert _counts(page.facets.owners) == {"team:analytics": 1}
    assert _find(estate, namespace=WAREHOUSE, tag="pii:true").total == 1
    assert _find(estate, namespace=ORCHESTRATOR, tag="pii:true").total == 0
    assert _find(estate, text="orders", namespace=WAREHOUSE).total == 2


def test_stewards_tags_are_found_and_counted_once_beside_the_producers(estate: Session) -> None:
    """A tag added through the API is a tag like a facet's; the same tag from both counts once."""
    now = utcnow()
    tag_dataset(estate, grants=EVERYTHING, namespace=WAREHOUSE, name=ORDERS, tag="pii:true", now=now)
    tag_dataset(estate, grants=EVERYTHING, namespace=WAREHOUSE, name=DAILY, tag="gold", now=now)
    tag_job(estate, grants=EVERYTHING, namespace=ORCHESTRATOR, name=MART, tag="gold", now=now)
    page = _find(estate)
    assert _counts(page.facets.tags) == {"pii:true": 1, "gold": 2}
    assert set(_names(_find(estate, tag="gold"))) == {DAILY, MART}
    assert set(_names(_find(estate, text="GOLD"))) == {DAILY, MART}
    assert next(h for h in page.hits if h.name == ORDERS).tags == ("pii:true",)


def test_deleted_datasets_and_jobs_are_not_found(estate: Session) -> None:
    """A soft-deleted dataset or job leaves the result and the counts."""
    delete_dataset(estate, grants=EVERYTHING, namespace=WAREHOUSE, name=DAILY)
    delete_job(estate, grants=EVERYTHING, namespace=ORCHESTRATOR, name=MART)
    page = _find(estate, text="analytics")
    assert page.total == 0 and page.facets.owners == ()
    assert _find(estate).total == 8


def test_pages_cover_the_result_once_in_order(estate: Session) -> None:
    """Pages of three, put together, are the whole result in its order; past the end is empty."""
    whole = _names(_find(estate))
    pages = [_names(_find(estate, limit=3, offset=offset)) for offset in range(0, 12, 3)]
    assert [name for names in pages for name in names] == whole
    assert _find(estate, limit=3, offset=3).total == 10
    assert _find(estate, offset=40).hits == ()


def test_grants_hide_datasets_jobs_and_their_counts(estate: Session) -> None:
    """A limited caller neither finds nor counts what its grants hide, and pages what it sees."""
    page = _find(estate, LIMITED)
    assert page.total == 8
    assert SECRET_DATASET not in _names(page) and SECRET_COPY not in _names(page)
    assert _counts(page.facets.namespaces) == {WAREHOUSE: 3, ORCHESTRATOR: 5}
    assert _find(estate, LIMITED, text="secret").total == 0
    assert _names(_find(estate, LIMITED, limit=2, offset=2)) == _names(page)[2:4]
    assert set(_names(_find(estate, LIMITED, text="salar"))) == set()  # the hidden field is not found either
    assert MARKUP in _names(_find(estate, LIMITED, text="img"))


@pytest.mark.parametrize(
    "query",
    [{"kind": "table"}, {"text": "x" * 201}, {"tag": "t" * 1001}],
)
def test_bad_queries_are_refused(query: dict[str, str]) -> None:
    """An unknown kind or an overlong text or filter is invalid input."""
    with pytest.raises(InvalidInput):
        CatalogQuery(**query)  # type: ignore[arg-type]
