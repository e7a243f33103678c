"""OpenLineage validation: routing by schemaURL, Marquez's leniencies, standard facets."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from governance.ingest.errors import SchemaViolation
from governance.ingest.schema import EventKind, event_kind, validate_event
from tests.builders import run_event


def violations(event: Any, kind: EventKind = EventKind.RUN) -> list[tuple[str, str]]:
    """The (pointer, message) pairs of a rejected event; empty when it is valid."""
    try:
        validate_event(event, kind)
    except SchemaViolation as err:
        return [(e.pointer, e.message) for e in err.errors]
    return []


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent", EventKind.RUN),
        ("https://openlineage.io/spec/1-0-5/OpenLineage.json#/definitions/DatasetEvent", EventKind.DATASET),
        ("https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent", EventKind.JOB),
        ("https://openlineage.io/spec/2-0-2/OpenLineage.json", EventKind.RUN),
        (None, EventKind.RUN),
        (42, EventKind.RUN),
    ],
)
def test_event_kind_follows_the_schema_url_fragment(url: object, kind: EventKind) -> None:
    """``#/$defs/X`` and legacy ``#/definitions/X`` route; anything else is a RunEvent."""
    assert event_kind(url) is kind


def test_what_marquez_accepts_is_valid() -> None:
    """No schemaURL, no eventType, no offset, nanoseconds, non-UUID runId, odd namespaces."""
    event = run_event(
        run_id="spark-application-1700000000000", namespace="abfss://c@acct.dfs.core.windows.net"
    )
    del event["schemaURL"], event["eventType"]
    event["eventTime"] = "2020-12-28T19:52:00.123456789"
    event["outputs"] = [
        {"namespace": "trino://h:1337", "name": "cat.sch.t=1;x+y", "facets": {"custom": {"a": 1}}}
    ]
    assert violations(event) == []


def test_missing_required_fields_are_each_reported_with_a_pointer() -> None:
    """Every violation is listed, each with a JSON pointer."""
    event = run_event()
    del event["run"]["runId"]
    event["job"]["name"] = 7
    found = violations(event)
    assert ("/run", "'runId' is a required property") in found
    assert ("/job/name", "7 is not of type 'string'") in found


def test_event_time_must_be_a_date_time() -> None:
    """eventTime is the one date-time format enforced, since ordering depends on it."""
    assert violations(run_event() | {"eventTime": "yesterday"}) == [
        ("/eventTime", "'yesterday' is not a 'date-time'")
    ]


def test_standard_facets_are_checked_against_their_own_schema() -> None:
    """A standard facet with a wrong field is refused at that field."""
    event = run_event()
    event["outputs"] = [
        {
            "namespace": "ns",
            "name": "t",
            "outputFacets": {"outputStatistics": {"rowCount": "many"}},
            "facets": {"schema": {"fields": [{"name": 1}]}},
        }
    ]
    found = dict(violations(event))
    assert "/outputs/0/outputFacets/outputStatistics/rowCount" in found
    assert "/outputs/0/facets/schema/fields/0/name" in found


def test_a_deleted_standard_facet_needs_no_other_field() -> None:
    """``{"_deleted": true}`` removes a facet and is valid as it is."""
    event = run_event()
    event["outputs"] = [{"namespace": "ns", "name": "t", "facets": {"schema": {"_deleted": True}}}]
    assert violations(event) == []


def test_dataset_and_job_events_are_validated_as_their_kind() -> None:
    """A DatasetEvent needs a dataset and must not carry a run."""
    dataset_event = {
        "eventTime": "2024-01-01T00:00:00Z",
        "producer": "p",
        "dataset": {"namespace": "ns", "name": "t"},
    }
    assert violations(dataset_event, EventKind.DATASET) == []
    broken = copy.deepcopy(dataset_event) | {"run": {"runId": "x"}, "job": {"namespace": "n", "name": "j"}}
    assert violations(broken, EventKind.DATASET)


def test_names_with_nul_characters_are_refused_at_their_field() -> None:
    """A NUL in a namespace or name is a 422 at that field, not a database error later."""
    event = run_event(job="plays\u0000", producer="p\u0000")
    event["outputs"] = [{"namespace": "kafka://b\u0000", "name": "t"}]
    pointers = {pointer for pointer, _ in violations(event)}
    assert {"/job/name", "/producer", "/outputs/0/namespace"} <= pointers
