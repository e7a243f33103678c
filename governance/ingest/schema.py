"""Validate events against the OpenLineage spec shipped in ``openlineage_spec/``.

The core schema and every standard facet schema are merged into one document per event
kind, so a standard facet (``parent``, ``schema``, ``ownership`` ...) is checked against its
own schema while custom facets pass as objects. The spec is relaxed exactly where Marquez,
whose contract we serve, is lenient: ``schemaURL`` may be missing, ``runId`` need not be a
UUID, facets need not carry ``_producer``/``_schemaURL``, ``eventTime`` may lack an offset, and
only ``eventTime`` is held to a date-time format. Input-dataset facets are checked as objects
only, as the OpenLineage fluentd proxy does by default: the current
``DataQualityMetricsInputDatasetFacet`` requires ``columnMetrics``, which real producers omit.

fastjsonschema checks the accepted path fast; only a rejected event is run through
``jsonschema`` to list every violation with its JSON pointer.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
import jsonschema

from governance.ingest.errors import SchemaError, SchemaViolation

MAX_REPORTED_ERRORS = 50
NO_NUL = "^[^\u0000]*$"
_CORE = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
_CONTAINERS = ("RunFacet", "JobFacet", "DatasetFacet", "InputDatasetFacet", "OutputDatasetFacet")
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$"
)


class EventKind(StrEnum):
    """The three OpenLineage event types, named as the spec's ``$defs``."""

    RUN = "RunEvent"
    DATASET = "DatasetEvent"
    JOB = "JobEvent"


def event_kind(schema_url: object) -> EventKind:
    """Route by the ``schemaURL`` fragment (``#/$defs/X`` or legacy ``#/definitions/X``).

    A missing or unrecognised fragment means a RunEvent, as Marquez assumes.

    >>> event_kind("https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent")
    <EventKind.JOB: 'JobEvent'>
    >>> event_kind(None)
    <EventKind.RUN: 'RunEvent'>
    """
    if isinstance(schema_url, str):
        fragment = schema_url.rpartition("#")[2]
        name = fragment.rpartition("/")[2]
        for kind in EventKind:
            if name == kind.value:
                return kind
    return EventKind.RUN


def is_date_time(value: object) -> bool:
    """True for an ISO 8601 date-time as OpenLineage clients write it (offset optional).

    >>> [is_date_time(v) for v in ("2020-12-28T19:52:00.001+10:00", "2020-12-28T19:52:00", "tuesday")]
    [True, True, False]
    >>> is_date_time("0001-01-01T00:00:00+05:00")
    False
    """
    if not isinstance(value, str):
        return True  # the type keyword, not the format, rejects non-strings
    if not _DATE_TIME.match(value):
        return False
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            moment.astimezone(UTC)  # year 1 or 9999 with an offset falls off the calendar
    except (ValueError, OverflowError):
        return False
    return True


def validate_event(event: Any, kind: EventKind) -> None:
    """Check one parsed event against the schema of its kind.

    Raises:
        SchemaViolation: with one error per violation (at most MAX_REPORTED_ERRORS).
    """
    try:
        _fast_validators()[kind](event)
    except fastjsonschema.JsonSchemaException:
        errors = list(_describe_errors(event, kind))
        raise SchemaViolation(errors or [SchemaError("", "does not match the OpenLineage schema")]) from None


def warm_up() -> None:
    """Compile the validators now rather than on the first event."""
    _fast_validators()


def _describe_errors(event: Any, kind: EventKind) -> Iterator[SchemaError]:
    validator = _detailed_validators()[kind]
    for count, error in enumerate(sorted(validator.iter_errors(event), key=_error_order)):
        if count == MAX_REPORTED_ERRORS:
            return
        leaf = jsonschema.exceptions.best_match([error, *error.context]) if error.context else error
        yield SchemaError(_pointer(leaf.absolute_path), leaf.message)


def _error_order(error: jsonschema.ValidationError) -> tuple[str, str]:
    return (_pointer(error.absolute_path), error.message)


def _pointer(path: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


@cache
def _fast_validators() -> dict[EventKind, Callable[[Any], Any]]:
    merged = merged_schema()
    return {
        kind: fastjsonschema.compile(
            _rooted(merged, kind), formats={"date-time": is_date_time}, use_default=False
        )
        for kind in EventKind
    }


@cache
def _detailed_validators() -> dict[EventKind, jsonschema.Draft7Validator]:
    merged = merged_schema()
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date-time")(is_date_time)
    return {
        kind: jsonschema.Draft7Validator(_rooted(merged, kind), format_checker=checker) for kind in EventKind
    }


def _rooted(merged: dict[str, Any], kind: EventKind) -> dict[str, Any]:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$defs": merged["$defs"],
        "$ref": f"#/$defs/{kind}",
    }


@cache
def merged_schema() -> dict[str, Any]:
    """The core schema with the standard facets merged in and Marquez's leniencies applied."""
    spec_dir = resources.files("governance.ingest") / "openlineage_spec"
    core = json.loads((spec_dir / "OpenLineage.json").read_text(encoding="utf-8"))
    defs: dict[str, Any] = copy.deepcopy(core["$defs"])
    facets: dict[str, dict[str, list[str]]] = {container: {} for container in _CONTAINERS}
    for facet_file in sorted((spec_dir / "facets").iterdir(), key=lambda p: p.name):
        if facet_file.name.endswith(".json"):
            _merge_facet_file(
                json.loads(facet_file.read_text(encoding="utf-8")), facet_file.name, defs, facets
            )
    facets["InputDatasetFacet"] = {}
    defs = _strip_formats(defs)
    _relax(defs)
    _specialise_containers(defs, facets)
    return {"$defs": defs}


def _merge_facet_file(
    schema: dict[str, Any], file_name: str, defs: dict[str, Any], facets: dict[str, dict[str, list[str]]]
) -> None:
    prefix = file_name.removesuffix(".json") + "__"

    def local(ref: str) -> str:
        if ref.startswith(_CORE + "#"):
            return ref.removeprefix(_CORE)
        if ref.startswith("#/$defs/"):
            return "#/$defs/" + prefix + ref.removeprefix("#/$defs/")
        return ref

    for name, body in schema["$defs"].items():
        defs[prefix + name] = _rewrite_refs(body, local)
    for facet_key, prop in schema.get("properties", {}).items():
        for ref in _variant_refs(prop):
            def_name = ref.removeprefix("#/$defs/")
            container = _container_of(schema["$defs"].get(def_name, {}), schema["$defs"])
            if container:
                facets[container].setdefault(facet_key, []).append(prefix + def_name)


def _variant_refs(prop: dict[str, Any]) -> list[str]:
    if "$ref" in prop:
        return [prop["$ref"]]
    return [v["$ref"] for key in ("anyOf", "oneOf") for v in prop.get(key, []) if "$ref" in v]


def _container_of(body: dict[str, Any], file_defs: dict[str, Any]) -> str | None:
    for part in body.get("allOf", []):
        ref = part.get("$ref", "")
        if ref.startswith(_CORE + "#/$defs/"):
            name = ref.rpartition("/")[2]
            return name if name in _CONTAINERS else None
    # A facet defined as a choice of variants (subset) takes its first variant's container.
    for key in ("oneOf", "anyOf"):
        for variant in body.get(key, []):
            inner = file_defs.get(variant.get("$ref", "").rpartition("/")[2], {})
            found = _container_of(inner, file_defs)
            if found:
                return found
    return None


def _rewrite_refs(node: Any, local: Callable[[str], str]) -> Any:
    if isinstance(node, dict):
        return {
            k: (local(v) if k == "$ref" and isinstance(v, str) else _rewrite_refs(v, local))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v, local) for v in node]
    return node


def _relax(defs: dict[str, Any]) -> None:
    defs["BaseEvent"]["required"] = ["eventTime", "producer"]
    defs["BaseEvent"]["properties"]["eventTime"]["format"] = "date-time"
    # Names become database keys, and PostgreSQL text cannot hold NUL.
    for definition, field in (
        ("BaseEvent", "producer"),
        ("BaseEvent", "schemaURL"),
        ("Job", "namespace"),
        ("Job", "name"),
        ("Dataset", "namespace"),
        ("Dataset", "name"),
    ):
        defs[definition]["properties"][field]["pattern"] = NO_NUL
    defs["BaseFacet"]["required"] = []
    defs["Run"]["properties"]["runId"] = {"type": "string", "minLength": 1}


def _specialise_containers(defs: dict[str, Any], facets: dict[str, dict[str, list[str]]]) -> None:
    def container(kind: str) -> dict[str, Any]:
        properties = {
            key: _unless_deleted([{"$ref": f"#/$defs/{name}"} for name in names], kind)
            for key, names in sorted(facets[kind].items())
        }
        return {
            "type": "object",
            "properties": properties,
            "additionalProperties": {"$ref": f"#/$defs/{kind}"},
        }

    defs["Run"]["properties"]["facets"] = container("RunFacet")
    defs["Job"]["properties"]["facets"] = container("JobFacet")
    defs["Dataset"]["properties"]["facets"] = container("DatasetFacet")
    defs["InputDataset"]["allOf"][1]["properties"]["inputFacets"] = container("InputDatasetFacet")
    defs["OutputDataset"]["allOf"][1]["properties"]["outputFacets"] = container("OutputDatasetFacet")


def _unless_deleted(variants: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    # A facet sent as {"_deleted": true} removes it (spec 2-0-2) and carries no other field.
    specific = variants[0] if len(variants) == 1 else {"anyOf": variants}
    return {
        "if": {"type": "object", "properties": {"_deleted": {"const": True}}, "required": ["_deleted"]},
        "then": {"$ref": f"#/$defs/{kind}"},
        "else": specific,
    }


def _strip_formats(node: Any) -> Any:
    # uri, uuid and facet date-times are where real producers and Marquez part from the
    # letter of the spec; only eventTime, which ordering depends on, keeps its format.
    if isinstance(node, dict):
        return {k: _strip_formats(v) for k, v in node.items() if not (k == "format" and isinstance(v, str))}
    if isinstance(node, list):
        return [_strip_formats(v) for v in node]
    return node
