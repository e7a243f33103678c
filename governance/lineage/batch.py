"""What a batch of events says about the graph, reduced to one row per key.

Reading the events is pure: no session. Every reduction is a function of the set of events,
not of their order (spans keep min/max times, facets and SQL the newest by eventTime, then
content hash), so folding a batch gives the rows that folding its events one by one would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from governance.ingest.schema import EventKind
from governance.ingest.stored import StoredEvent
from governance.lineage.derive import DatasetRef, is_named_dataset
from governance.lineage.edge_spec import EdgeSpec
from governance.lineage.facets import declared_edges
from governance.lineage.ids import IN, OUT, dataset_version_uuid
from governance.lineage.sql_cache import sql_material
from governance.lineage.tags import facet_tag_names

JobRef = tuple[str, str]
Span = tuple[datetime, datetime]
Newest = tuple[datetime, str]  # (eventTime, content hash): the later wins
# Facets are kept per subject; a subject's row id is known only once its node is written.
SubjectKey = tuple[str, Any]  # ("dataset", DatasetRef) | ("job", JobRef) | ("run", UUID) | ...


@dataclass(frozen=True, slots=True)
class FacetValue:
    """A facet as its newest event sent it."""

    at: datetime
    digest: str
    payload: str


@dataclass(frozen=True, slots=True)
class RunRow:
    """A run's job (from its earliest event) and the time it was first seen."""

    job: JobRef
    first_at: datetime
    chosen_by: Newest


@dataclass(frozen=True, slots=True)
class VersionRow:
    """A dataset version: the dataset, the run that wrote it, and when it was seen."""

    dataset: DatasetRef
    run_uuid: uuid.UUID | None
    span: Span


@dataclass(frozen=True, slots=True)
class Material:
    """A run's SQL with its datasets, from the newest event that carried SQL."""

    newest: Newest
    body: dict[str, Any]


@dataclass
class GraphBatch:
    """The rows a batch of events adds to the graph."""

    namespaces: dict[str, Span] = field(default_factory=dict)
    jobs: dict[JobRef, Span] = field(default_factory=dict)
    datasets: dict[DatasetRef, Span] = field(default_factory=dict)
    facets: dict[tuple[SubjectKey, str], FacetValue] = field(default_factory=dict)
    schema_datasets: set[DatasetRef] = field(default_factory=set)
    tags: dict[str, datetime] = field(default_factory=dict)
    runs: dict[uuid.UUID, RunRow] = field(default_factory=dict)
    runs_with_parent: set[uuid.UUID] = field(default_factory=set)
    versions: dict[uuid.UUID, VersionRow] = field(default_factory=dict)
    run_io: set[tuple[uuid.UUID, str, DatasetRef]] = field(default_factory=set)
    materials: dict[uuid.UUID, Material] = field(default_factory=dict)
    declared: set[tuple[uuid.UUID, EdgeSpec]] = field(default_factory=set)
    latest_at: datetime | None = None

    def add(self, event: StoredEvent) -> None:
        """Read one event into the batch."""
        at = event.event_time
        self.latest_at = at if self.latest_at is None else max(self.latest_at, at)
        stamp: Newest = (at, event.content_hash)
        body = event.body
        if event.kind == EventKind.DATASET.value:
            raw = body.get("dataset")
            if isinstance(raw, dict) and is_named_dataset(raw):
                self._datasets([raw], [], stamp)
                version = dataset_version_uuid(raw["namespace"], raw["name"], f"event:{event.content_hash}")
                self._version(version, raw, None, stamp)
            return
        job_raw = body.get("job") or {}
        job_ns, job_name = job_raw.get("namespace"), job_raw.get("name")
        if not (isinstance(job_ns, str) and isinstance(job_name, str)):
            return
        job: JobRef = (job_ns, job_name)
        inputs = [d for d in body.get("inputs") or [] if is_named_dataset(d)]
        outputs = [d for d in body.get("outputs") or [] if is_named_dataset(d)]
        _widen(self.namespaces, job[0], at)
        _widen(self.jobs, job, at)
        self._facets(("job", job), job_raw.get("facets"), stamp)
        self._tags(job_raw.get("facets"), at)
        self._datasets(inputs, outputs, stamp)
        run_uuid = event.run_uuid
        if event.kind != EventKind.RUN.value or run_uuid is None:
            return
        self._run(run_uuid, job, body, stamp)
        for raw in outputs:
            version = dataset_version_uuid(raw["namespace"], raw["name"], str(run_uuid))
            self._version(version, raw, run_uuid, stamp)
        self.run_io.update((run_uuid, IN, _ref(d)) for d in inputs)
        self.run_io.update((run_uuid, OUT, _ref(d)) for d in outputs)
        material = sql_material(body, inputs, outputs)
        kept = self.materials.get(run_uuid)
        if material is not None and (kept is None or kept.newest < stamp):
            self.materials[run_uuid] = Material(stamp, material)
        for edge in _declared(outputs):
            self.declared.add((run_uuid, edge))
            # A declared source may be a dataset no event lists (an earlier step's table).
            for ref in (edge.source, edge.target):
                _widen(self.namespaces, ref.namespace, at)
                _widen(self.datasets, ref, at)

    def _datasets(
        self, inputs: Sequence[Mapping[str, Any]], outputs: Sequence[Mapping[str, Any]], stamp: Newest
    ) -> None:
        merged: dict[DatasetRef, dict[str, Any]] = {}
        for raw in (*inputs, *outputs):
            facets = merged.setdefault(_ref(raw), {})
            facets.update(raw.get("facets") or {})
            facets.update(raw.get("inputFacets") or {})
            facets.update(raw.get("outputFacets") or {})
        for ref, facets in merged.items():
            _widen(self.namespaces, ref.namespace, stamp[0])
            _widen(self.datasets, ref, stamp[0])
            self._facets(("dataset", ref), facets, stamp)
            if "schema" in facets:
                self.schema_datasets.add(ref)
            self._tags(facets, stamp[0])

    def _tags(self, facets: Mapping[str, Any] | None, at: datetime) -> None:
        if not isinstance(facets, dict) or not isinstance(facets.get("tags"), dict):
            return
        for name in facet_tag_names(facets):
            self.tags[name] = min(self.tags.get(name, at), at)

    def _run(self, run_uuid: uuid.UUID, job: JobRef, body: Mapping[str, Any], stamp: Newest) -> None:
        known = self.runs.get(run_uuid)
        if known is None:
            self.runs[run_uuid] = RunRow(job, stamp[0], stamp)
        else:
            # One run belongs to one job; should events disagree, the earliest one decides.
            first = min(known.chosen_by, stamp)
            owner = known.job if first == known.chosen_by else job
            self.runs[run_uuid] = RunRow(owner, min(known.first_at, stamp[0]), first)
        run_facets = (body.get("run") or {}).get("facets") or {}
        self._facets(("run", run_uuid), run_facets, stamp)
        self._facets(("run-job", run_uuid), (body.get("job") or {}).get("facets"), stamp)
        if "parent" in run_facets or "parentRun" in run_facets:
            self.runs_with_parent.add(run_uuid)

    def _version(
        self, version: uuid.UUID, raw: Mapping[str, Any], run_uuid: uuid.UUID | None, stamp: Newest
    ) -> None:
        known = self.versions.get(version)
        span = (stamp[0], stamp[0]) if known is None else _wider(known.span, stamp[0])
        self.versions[version] = VersionRow(_ref(raw), run_uuid, span)
        self._facets(
            ("version", version), {**(raw.get("facets") or {}), **(raw.get("outputFacets") or {})}, stamp
        )

    def _facets(self, subject: SubjectKey, facets: Mapping[str, Any] | None, stamp: Newest) -> None:
        for name, value in (facets or {}).items():
            if not isinstance(value, dict):
                continue
            key = (subject, name)
            kept = self.facets.get(key)
            if kept is None or (kept.at, kept.digest) < stamp:
                self.facets[key] = FacetValue(stamp[0], stamp[1], orjson.dumps(value).decode())


def collect(events: Iterable[StoredEvent]) -> GraphBatch:
    """Read a batch of events into the rows they add to the graph."""
    batch = GraphBatch()
    for event in events:
        batch.add(event)
    return batch


def _ref(raw: Mapping[str, Any]) -> DatasetRef:
    return DatasetRef(raw["namespace"], raw["name"])


def _wider(span: Span, at: datetime) -> Span:
    return (min(span[0], at), max(span[1], at))


def _widen(spans: dict[Any, Span], key: Any, at: datetime) -> None:
    known = spans.get(key)
    spans[key] = (at, at) if known is None else _wider(known, at)


def _declared(outputs: Sequence[Mapping[str, Any]]) -> Iterable[EdgeSpec]:
    for raw in outputs:
        facet = (raw.get("facets") or {}).get("columnLineage")
        for edge in declared_edges(facet if isinstance(facet, dict) else None):
            yield EdgeSpec(
                DatasetRef(edge.source_namespace, edge.source_name),
                edge.source_field,
                _ref(raw),
                edge.target_field,
                edge.transformation.value,
                edge.subtype,
                edge.masking,
                derived=False,
            )
