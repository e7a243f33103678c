"""A dataset's page in the domain: schema tree, data quality, versions, their diff, writers, grants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session

from governance.access import EVERYTHING, Grants
from governance.errors import NotFound
from governance.lineage.dataset_detail import DatasetDetail, dataset_detail
from governance.lineage.version_diff import diff_facets, diff_versions
from tests.builders import run_event
from tests.catalog_estate import (
    DAILY,
    FAILED_RUN,
    FIRST_RUN,
    LIMITED,
    ORDERS,
    SECOND_RUN,
    SECRET_DATASET,
    WAREHOUSE,
)
from tests.graph_events import dataset, fold


def _orders(session: Session, compare: tuple[str, str] | None = None, **paging: int) -> DatasetDetail:
    return dataset_detail(
        session,
        WAREHOUSE,
        ORDERS,
        grants=EVERYTHING,
        versions_limit=paging.get("limit", 20),
        versions_offset=paging.get("offset", 0),
        writers_limit=20,
        compare=compare,
    )


def test_the_schema_is_a_tree_of_fields_with_their_types_descriptions_and_tags(estate: Session) -> None:
    """Nested fields follow their parent one level deeper, named by their own name."""
    fields = [(f.path, f.name, f.depth, f.type, f.description, f.tags) for f in _orders(estate).fields]
    assert fields == [
        ("id", "id", 0, "BIGINT", None, ()),
        ("country", "country", 0, "STRING", None, ()),
        ("address", "address", 0, "STRUCT", "where it ships", ()),
        ("address.city", "city", 1, "STRING", "the town", ()),
        ("address.zip", "zip", 1, None, None, ("zip-code",)),
    ]


def test_owners_tags_documentation_and_quality_per_column(estate: Session) -> None:
    """The facets' owners, tags and text, and the quality job's metrics and assertions by column."""
    orders = _orders(estate)
    assert orders.owners == (("team:sales", "MAINTAINER"),)
    assert orders.tags == ("pii:true",)
    assert orders.description == "Orders placed on the shop.\nOne row per order."
    quality = orders.quality
    assert quality is not None
    assert (quality.row_count, quality.bytes, quality.failed) == (1200, 4096, 1)
    assert [a.assertion for a in quality.assertions] == ["row_count_above"]
    by_column = {c.column: c for c in quality.columns}
    assert dict(by_column["id"].metrics) == {"nulls": 0, "distinct": 1200, "min": 1, "max": 1200}
    assert by_column["country"].quantiles == (("0.25", 1.0), ("0.5", 3.0))
    assert [(a.assertion, a.success, a.severity) for a in by_column["country"].assertions] == [
        ("accepted_values", False, "warn")
    ]


def test_versions_newest_first_and_the_runs_that_wrote_it(estate: Session) -> None:
    """Three versions (the failed run's without a schema), each with its run; the writers, newest first."""
    orders = _orders(estate)
    assert [(v.run_id, v.field_count) for v in orders.versions] == [
        (FAILED_RUN, None),
        (SECOND_RUN, 5),
        (FIRST_RUN, 5),
    ]
    assert orders.current_version == orders.versions[0].version
    assert [(r.run_id, r.state) for r in orders.writers] == [
        (FAILED_RUN, "FAILED"),
        (SECOND_RUN, "COMPLETED"),
        (FIRST_RUN, "COMPLETED"),
    ]
    assert orders.writers[1].duration_seconds == 240
    second_page = _orders(estate, limit=2, offset=2)
    assert [v.run_id for v in second_page.versions] == [FIRST_RUN] and second_page.versions_total == 3


def test_the_default_diff_is_of_the_two_newest_versions_with_a_schema(estate: Session) -> None:
    """The failed run's version says nothing of fields, so the comparison skips it."""
    diff = _orders(estate).diff
    assert diff is not None
    assert (diff.old.run_id, diff.new.run_id) == (FIRST_RUN, SECOND_RUN)
    assert [f.path for f in diff.schema.added] == ["country"]
    assert [f.path for f in diff.schema.removed] == ["email"]
    assert [(c.path, c.old_type, c.new_type) for c in diff.schema.changed if c.type_changed] == [
        ("id", "INT", "BIGINT")
    ]
    assert {c.path for c in diff.schema.changed if not c.type_changed} == {"address", "address.city"}
    assert diff.facets == ()  # the same owners, tags and documentation both times


def test_a_diff_names_its_versions_in_either_order_and_facets_that_changed(estate: Session) -> None:
    """Asked newest first, the diff reads from older to newer; a version without schema diffs no fields."""
    versions = [v.version for v in _orders(estate).versions]
    diff = _orders(estate, compare=(versions[0], versions[1])).diff
    assert diff is not None
    assert (diff.old.version, diff.new.version) == (versions[1], versions[0])
    assert not diff.new.has_schema and diff.schema.is_empty
    assert {(c.name, c.change) for c in diff.facets} == {
        ("documentation", "removed"),
        ("ownership", "removed"),
        ("tags", "removed"),
    }
    same = diff_versions(estate, WAREHOUSE, ORDERS, grants=EVERYTHING, old=versions[1], new=versions[1])
    assert same.schema.is_empty and same.facets == ()


def test_a_version_of_another_dataset_or_no_version_at_all_is_not_found(estate: Session) -> None:
    """Comparing with a version that is not the dataset's is a NotFound, as is a malformed id."""
    daily = dataset_detail(
        estate, WAREHOUSE, DAILY, grants=EVERYTHING, versions_limit=5, versions_offset=0, writers_limit=5
    )
    assert daily.diff is None  # one version only
    orders_version = _orders(estate).versions[0].version
    for other in (daily.versions[0].version, "not-a-uuid"):
        with pytest.raises(NotFound):
            diff_versions(estate, WAREHOUSE, ORDERS, grants=EVERYTHING, old=orders_version, new=other)


def test_a_hidden_dataset_is_not_found_as_an_unknown_one(estate: Session) -> None:
    """The same error, worded alike, for a dataset the grants hide and one that does not exist."""
    messages = []
    for name in (SECRET_DATASET, "secret/nothing"):
        with pytest.raises(NotFound) as caught:
            dataset_detail(
                estate,
                "s3://secret-vault",
                name,
                grants=LIMITED,
                versions_limit=5,
                versions_offset=0,
                writers_limit=5,
            )
        messages.append(str(caught.value).replace(name, "X"))
    assert messages[0] == messages[1]


def test_runs_of_hidden_jobs_are_left_out_of_the_writers(estate: Session) -> None:
    """A run that wrote the dataset is listed, and counted, only when the caller may see its job."""
    fold(
        estate,
        [
            run_event(
                "COMPLETE", job="secret_rewrite", namespace="secret-jobs", outputs=[dataset(WAREHOUSE, DAILY)]
            )
        ],
    )

    def writers(grants: Grants) -> list[str]:
        daily = dataset_detail(
            estate, WAREHOUSE, DAILY, grants=grants, versions_limit=5, versions_offset=0, writers_limit=5
        )
        assert daily.writers_total == len(daily.writers)
        return [r.job_name for r in daily.writers]

    assert writers(EVERYTHING) == ["mart/build_daily", "secret_rewrite"]
    assert writers(LIMITED) == ["mart/build_daily"]


@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c", "schema"]), st.dictionaries(st.text(max_size=2), st.integers())
    ),
    st.dictionaries(
        st.sampled_from(["a", "b", "c", "schema"]), st.dictionaries(st.text(max_size=2), st.integers())
    ),
)
def test_facet_changes_are_symmetric_and_empty_only_for_equal_facets(
    old: dict[str, dict[str, int]], new: dict[str, dict[str, int]]
) -> None:
    """Swapping the versions swaps added and removed; no change means the same facets (schema aside)."""
    forward = {c.name: c.change for c in diff_facets(old, new)}
    backward = {c.name: c.change for c in diff_facets(new, old)}
    swap = {"added": "removed", "removed": "added", "changed": "changed"}
    assert backward == {name: swap[change] for name, change in forward.items()}
    without_schema = ({k: v for k, v in d.items() if k != "schema"} for d in (old, new))
    assert (forward == {}) == (next(without_schema) == next(without_schema))
