"""The shared OpenLineage corpus as events to send: files split, templates filled in."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

EVENTS_DIR = Path("openlineage") / "events"
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
START_PLACEHOLDER = "RUN_START_TIME"
END_PLACEHOLDER = re.compile(r"RUN_END_TIME_AFTER_(\d+)_MINUTES")
# The fluentd proxy's fixtures that are invalid on purpose.
INVALID_FILES = frozenset(
    "OpenLineage__OpenLineage/proxy/fluentd/events/" + name
    for name in (
        "event_no_run_id.json",
        "event_invalid_run_facet.json",
        "event_invalid_job_facet.json",
        "event_invalid_dataset_facet.json",
        "event_invalid_output_dataset_facet.json",
    )
)


def split_events(text: str) -> list[bytes]:
    """The events of one corpus file: one JSON object, a JSON array, or JSON lines."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return [line.strip().encode() for line in text.splitlines() if line.strip()]
    if isinstance(document, list):
        return [json.dumps(item, ensure_ascii=False).encode() for item in document]
    return [text.encode()]  # a single event is sent byte for byte as the file holds it


def index_rows(corpora: Path, kind: str) -> list[dict[str, Any]]:
    """The index rows of one kind of event."""
    lines = (corpora / EVENTS_DIR / "index.jsonl").read_text(encoding="utf-8").splitlines()
    return [row for row in map(json.loads, filter(None, lines)) if row["kind"] == kind]


def fill_placeholders(text: str, start: datetime) -> str:
    """Replace every ``{{...}}`` time of the Marquez seed as its seed script does."""

    def time_for(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == START_PLACEHOLDER:
            return start.isoformat()
        minutes = END_PLACEHOLDER.fullmatch(name)
        if minutes is None:
            pytest.fail(f"unknown placeholder {match.group(0)!r} in the template corpus")
        return (start + timedelta(minutes=int(minutes.group(1)))).isoformat()

    filled = PLACEHOLDER.sub(time_for, text)
    assert "{{" not in filled
    return filled


def valid_bodies(corpora: Path, template_start: datetime) -> list[bytes]:
    """Every ``full`` event the server accepts, then the filled-in templates, in corpus order."""
    texts: dict[str, list[bytes]] = {}
    bodies: list[bytes] = []
    for row in index_rows(corpora, "full"):
        if row["file"] in INVALID_FILES:
            continue
        if row["file"] not in texts:
            texts[row["file"]] = split_events(
                (corpora / EVENTS_DIR / row["file"]).read_text(encoding="utf-8")
            )
        bodies.append(texts[row["file"]][row["idx"]])
    files = sorted({row["file"] for row in index_rows(corpora, "full-template")})
    for file in files:
        text = (corpora / EVENTS_DIR / file).read_text(encoding="utf-8")
        bodies.extend(split_events(fill_placeholders(text, template_start)))
    return bodies
