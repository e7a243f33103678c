"""The shared OpenLineage corpus, sent to the live stack: real events from real producers.

Every ``full`` event is POSTed as its file holds it, the Marquez demo seed (``full-template``)
after its ``{{PLACEHOLDER}}`` times are filled in. Each test computes what it expects from what
it sends and from what the module's database held before, so the tests pass in any order: the
template is instantiated at a different start time per test, which makes its events distinct.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from sqlmodel import col

from governance.ingest.canonical import content_hash
from governance.ingest.envelope import run_uuid
from governance.ingest.jsontext import parse_json
from governance.models import LineageEvent, Run, RunState
from tests.corpus import EVENTS_DIR, fill_placeholders, index_rows, split_events
from tests.integration.conftest import Stack

MAX_DEPTH = 1000
FLUENTD = "OpenLineage__OpenLineage/proxy/fluentd/events/"
# The fluentd proxy's deliberately invalid fixtures, each with the JSON pointer of its bad field.
INVALID_FIXTURES = {
    FLUENTD + "event_no_run_id.json": "/run",
    FLUENTD + "event_invalid_run_facet.json": "/run/facets/parent/run",
    FLUENTD + "event_invalid_job_facet.json": "/job/facets/ownership/owners/0",
    FLUENTD + "event_invalid_dataset_facet.json": "/outputs/0/facets/ownership/owners/0",
    FLUENTD + "event_invalid_output_dataset_facet.json": "/outputs/0/outputFacets/outputStatistics/rowCount",
}
INVALID_INPUT_FACET_FIXTURE = FLUENTD + "event_invalid_input_dataset_facet.json"
# One start time per test that instantiates the template, so that its events are its own.
TEMPLATE_START = {
    "corpus": datetime(2024, 3, 1, 8, 0, tzinfo=UTC),
    "resend": datetime(2024, 3, 2, 8, 0, tzinfo=UTC),
    "batch": datetime(2024, 3, 3, 8, 0, tzinfo=UTC),
    "datahub": datetime(2024, 3, 4, 8, 0, tzinfo=UTC),
}
RESENDS = 6

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class CorpusEvent:
    """One event of the corpus and the exact bytes we POST for it."""

    file: str
    index: int
    body: bytes

    @cached_property
    def event(self) -> dict[str, Any]:
        """The event parsed as the server parses it."""
        value = parse_json(self.body, max_depth=MAX_DEPTH)
        assert isinstance(value, dict), f"{self.file}[{self.index}] is not an object"
        return value

    @cached_property
    def hash(self) -> str:
        """The content hash the server gives this event."""
        return content_hash(self.event)

    @property
    def label(self) -> str:
        """Where the event comes from, for failure messages."""
        return f"{self.file}[{self.index}]"


@pytest.fixture(scope="module")
def full_events(corpora: Path) -> list[CorpusEvent]:
    """Every ``full`` event of the corpus, as the index lists them."""
    by_file: dict[str, list[bytes]] = {}
    events: list[CorpusEvent] = []
    for row in index_rows(corpora, "full"):
        file = row["file"]
        if file not in by_file:
            by_file[file] = split_events((corpora / EVENTS_DIR / file).read_text(encoding="utf-8"))
        events.append(CorpusEvent(file=file, index=row["idx"], body=by_file[file][row["idx"]]))
    assert events, "the corpus lists no full events"
    assert set(INVALID_FIXTURES) | {INVALID_INPUT_FACET_FIXTURE} <= {e.file for e in events}
    return events


@pytest.fixture(scope="module")
def templates(corpora: Path) -> dict[str, str]:
    """The text of each ``full-template`` file, with how many events the index lists in it."""
    rows = index_rows(corpora, "full-template")
    assert rows, "the corpus lists no template events"
    texts = {row["file"]: (corpora / EVENTS_DIR / row["file"]).read_text(encoding="utf-8") for row in rows}
    for file, text in texts.items():
        listed = sum(1 for row in rows if row["file"] == file)
        assert len(split_events(fill_placeholders(text, TEMPLATE_START["corpus"]))) == listed
    return texts


def instantiate(templates: dict[str, str], start: datetime) -> list[CorpusEvent]:
    """The template events with their times filled in from ``start``."""
    return [
        CorpusEvent(file=file, index=index, body=body)
        for file, text in sorted(templates.items())
        for index, body in enumerate(split_events(fill_placeholders(text, start)))
    ]


def valid_full_events(full_events: list[CorpusEvent]) -> list[CorpusEvent]:
    """The full events the server must accept."""
    return [e for e in full_events if e.file not in INVALID_FIXTURES]


def by_file(full_events: list[CorpusEvent], file: str) -> CorpusEvent:
    """The single event of one corpus file."""
    (found,) = [e for e in full_events if e.file == file]
    return found


def auth(stack: Stack) -> dict[str, str]:
    """The stack's bearer token header."""
    return {"Authorization": f"Bearer {stack.token}"}


def post_raw(stack: Stack, body: bytes, path: str = "/api/v1/lineage") -> requests.Response:
    """POST bytes as application/json with the stack's token."""
    headers = {**auth(stack), "Content-Type": "application/json"}
    return requests.post(f"{stack.base_url}{path}", data=body, headers=headers, timeout=30)


def stored_counts(stack: Stack, hashes: Iterable[str]) -> Counter[str]:
    """How many stored events have each of ``hashes`` (absent ones count zero)."""
    wanted = set(hashes)
    with stack.database.session() as session:
        rows = session.execute(
            select(col(LineageEvent.content_hash), func.count())
            .where(col(LineageEvent.content_hash).in_(wanted))
            .group_by(col(LineageEvent.content_hash))
        ).all()
    return Counter({content: int(count) for content, count in rows})


def read_events(stack: Stack) -> tuple[list[dict[str, Any]], int]:
    """GET /api/v1/events/lineage: the events (parsed as the server parses) and totalCount."""
    response = requests.get(
        f"{stack.base_url}/api/v1/events/lineage", params={"limit": 1000}, headers=auth(stack), timeout=30
    )
    assert response.status_code == 200, response.text[:500]
    page = parse_json(response.content, max_depth=MAX_DEPTH + 2)
    events: list[dict[str, Any]] = page["events"]
    total: int = page["totalCount"]
    assert len(events) == min(total, 1000)
    return events, total


def identity(event: dict[str, Any]) -> tuple[Any, ...]:
    """What names an event: its run id and job for run/job events, its dataset otherwise."""
    run = event.get("run") or {}
    job = event.get("job") or {}
    dataset = event.get("dataset") or {}
    return (
        run.get("runId"),
        job.get("namespace"),
        job.get("name"),
        dataset.get("namespace"),
        dataset.get("name"),
    )


def expected_statuses(events: list[CorpusEvent], already_stored: Counter[str]) -> list[str]:
    """accepted for the first sending of an event not yet stored, duplicate for every other."""
    seen = set(already_stored)
    statuses = []
    for event in events:
        statuses.append("duplicate" if event.hash in seen else "accepted")
        seen.add(event.hash)
    return statuses


def test_every_valid_corpus_event_is_accepted_stored_once_and_read_back(
    stack: Stack, full_events: list[CorpusEvent], templates: dict[str, str]
) -> None:
    """Each full and filled-in template event gets 201 and comes back once from /events/lineage."""
    template_events = instantiate(templates, TEMPLATE_START["corpus"])
    sent = valid_full_events(full_events) + template_events
    hashes = {e.hash for e in sent}
    already = stored_counts(stack, hashes)
    _, total_before = read_events(stack)

    refused, answers = [], []
    for event in sent:
        response = post_raw(stack, event.body)
        if response.status_code != 201:
            refused.append((event.label, response.status_code, response.text[:300]))
            continue
        answers.append(response.json())
    assert refused == []
    assert [a["eventHash"] for a in answers] == [f"sha256:{e.hash}" for e in sent]
    assert [a["status"] for a in answers] == expected_statuses(sent, already)

    stack.wait_processed()
    events, total = read_events(stack)
    new = hashes - set(already)
    assert total == total_before + len(new)
    assert stored_counts(stack, hashes) == Counter(dict.fromkeys(hashes, 1))
    returned: dict[str, list[dict[str, Any]]] = {}
    for body in events:
        returned.setdefault(content_hash(body), []).append(body)
    for event in sent:
        assert len(returned.get(event.hash, [])) == 1, f"{event.label} is not read back exactly once"
        assert identity(returned[event.hash][0]) == identity(event.event), event.label

    metrics = requests.get(f"{stack.base_url}/metrics", timeout=10).text.splitlines()
    assert "headwater_outbox_pending 0.0" in metrics
    assert "headwater_outbox_dead 0.0" in metrics, "\n".join(line for line in metrics if "outbox" in line)

    run_ids = {run_uuid(e.event["run"]["runId"]) for e in sent if "runId" in e.event.get("run", {})}
    template_run_ids = {run_uuid(e.event["run"]["runId"]) for e in template_events}
    with stack.database.session() as session:
        runs = {row.run_uuid: row.state for row in session.execute(select(col(Run.run_uuid), col(Run.state)))}
    assert run_ids <= set(runs), "every run of the corpus has its state folded"
    assert {runs[r] for r in template_run_ids} == {RunState.COMPLETED.value}


@pytest.mark.parametrize(
    ("file", "pointer"),
    sorted(INVALID_FIXTURES.items()),
    ids=[Path(f).stem for f in sorted(INVALID_FIXTURES)],
)
def test_an_invalid_fluentd_fixture_is_refused_with_a_pointer_to_the_bad_field(
    stack: Stack, full_events: list[CorpusEvent], file: str, pointer: str
) -> None:
    """422 problem+json whose ``errors`` name the field the fixture breaks; nothing is stored."""
    event = by_file(full_events, file)
    response = post_raw(stack, event.body)
    assert response.status_code == 422, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422
    assert isinstance(problem["errors"], list)
    pointers = [error["pointer"] for error in problem["errors"]]
    assert pointer in pointers, problem["errors"]
    assert stored_counts(stack, [event.hash]) == Counter()


def test_an_input_dataset_facet_is_not_checked_against_its_facet_schema(
    stack: Stack, full_events: list[CorpusEvent]
) -> None:
    """The fluentd fixture with a malformed ``dataQualityMetrics`` input facet is accepted."""
    # Input-dataset facets are checked as plain objects only, as the fluentd proxy does by default:
    # the current DataQualityMetricsInputDatasetFacet schema requires columnMetrics, which real
    # producers omit, so checking it would refuse real events (governance/ingest/schema.py).
    event = by_file(full_events, INVALID_INPUT_FACET_FIXTURE)
    response = post_raw(stack, event.body)
    assert response.status_code == 201, response.text[:500]
    assert response.json()["eventHash"] == f"sha256:{event.hash}"
    assert stored_counts(stack, [event.hash]) == Counter({event.hash: 1})


def test_a_corpus_event_sent_six_times_at_once_is_stored_once(
    stack: Stack, full_events: list[CorpusEvent], templates: dict[str, str]
) -> None:
    """Six concurrent re-sends of one event all get 201; one is accepted, the rest duplicates."""
    valid = valid_full_events(full_events)
    # Two template events that no other test sends, and the largest and smallest real events.
    picked = [
        *instantiate(templates, TEMPLATE_START["resend"])[:2],
        max(valid, key=lambda e: len(e.body)),
        min(valid, key=lambda e: len(e.body)),
    ]
    already = stored_counts(stack, [e.hash for e in picked])

    def send(event: CorpusEvent, barrier: threading.Barrier) -> requests.Response:
        barrier.wait(timeout=10)
        return post_raw(stack, event.body)

    with ThreadPoolExecutor(max_workers=RESENDS) as pool:
        for event in picked:
            barrier = threading.Barrier(RESENDS)
            responses = list(pool.map(send, [event] * RESENDS, [barrier] * RESENDS))
            assert [r.status_code for r in responses] == [201] * RESENDS, event.label
            bodies = [r.json() for r in responses]
            assert {b["eventHash"] for b in bodies} == {f"sha256:{event.hash}"}
            expected = (
                {"duplicate": RESENDS} if already[event.hash] else {"accepted": 1, "duplicate": RESENDS - 1}
            )
            assert Counter(b["status"] for b in bodies) == expected, event.label
    assert stored_counts(stack, [e.hash for e in picked]) == Counter({e.hash: 1 for e in picked})
    stack.wait_processed()


def test_a_batch_of_corpus_events_reports_the_invalid_ones_by_index(
    stack: Stack, full_events: list[CorpusEvent], templates: dict[str, str]
) -> None:
    """POST /lineage/batch answers 200 partial_success, storing the valid events once."""
    valid = [*instantiate(templates, TEMPLATE_START["batch"])[:18], *valid_full_events(full_events)[:2]]
    invalid = {
        5: by_file(full_events, FLUENTD + "event_no_run_id.json"),
        13: by_file(full_events, FLUENTD + "event_invalid_output_dataset_facet.json"),
    }
    batch = list(valid)
    for index, event in sorted(invalid.items()):
        batch.insert(index, event)
    body = b"[" + b",".join(e.body for e in batch) + b"]"

    response = post_raw(stack, body, "/api/v1/lineage/batch")
    assert response.status_code == 200, response.text[:500]
    answer = response.json()
    assert answer["status"] == "partial_success"
    assert answer["summary"] == {
        "received": len(batch),
        "successful": len(valid),
        "failed": len(invalid),
        "retriable": 0,
        "non_retriable": len(invalid),
    }
    failed = answer["failed_events"]
    assert [(f["index"], f["retriable"]) for f in failed] == [(i, False) for i in sorted(invalid)]
    assert INVALID_FIXTURES[invalid[5].file] in failed[0]["reason"]
    assert INVALID_FIXTURES[invalid[13].file] in failed[1]["reason"]
    assert stored_counts(stack, [e.hash for e in batch]) == Counter({e.hash: 1 for e in valid})
    stack.wait_processed()


def test_the_datahub_path_accepts_corpus_events(
    stack: Stack, full_events: list[CorpusEvent], templates: dict[str, str]
) -> None:
    """DataHub's /openapi/openlineage/api/v1/lineage answers 201 and stores the events once."""
    sent = [*instantiate(templates, TEMPLATE_START["datahub"])[:4], *valid_full_events(full_events)[-2:]]
    already = stored_counts(stack, [e.hash for e in sent])
    statuses = []
    for event in sent:
        response = post_raw(stack, event.body, "/openapi/openlineage/api/v1/lineage")
        assert response.status_code == 201, f"{event.label}: {response.text[:300]}"
        assert response.json()["eventHash"] == f"sha256:{event.hash}"
        statuses.append(response.json()["status"])
    assert statuses == expected_statuses(sent, already)
    assert stored_counts(stack, [e.hash for e in sent]) == Counter({e.hash: 1 for e in sent})
    stack.wait_processed()
