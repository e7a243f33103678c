"""Send OpenLineage events to a Headwater (or any Marquez-compatible) server over HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from governance.errors import InvalidInput

RETRY_STATUSES = {502, 503, 504}


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the server answered for one event."""

    source: str
    status_code: int
    detail: str


def events_in_file(path: Path) -> Iterator[Any]:
    """The events of a file: one JSON event, a JSON array of events, or JSON lines."""
    text = path.read_text(encoding="utf-8")
    yield from events_in_text(text, source=str(path))


def events_in_text(text: str, *, source: str) -> Iterator[Any]:
    """The events held in a text: a JSON document (object or array) or JSON lines."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as err:
                    raise InvalidInput(f"{source}:{number}: not JSON ({err.msg})") from None
        return
    if isinstance(document, list):
        yield from document
    else:
        yield document


def events_in_dir(directory: Path) -> Iterator[tuple[str, Any]]:
    """Every event in the ``*.json`` and ``*.jsonl`` files under a directory, in path order."""
    if not directory.is_dir():
        raise InvalidInput(f"{directory} is not a directory")
    for path in sorted(p for p in directory.rglob("*") if p.suffix in {".json", ".jsonl"} and p.is_file()):
        for event in events_in_file(path):
            yield str(path), event


class Sender:
    """Posts events one at a time, retrying 5xx answers with backoff as OpenLineage clients do."""

    def __init__(
        self, base_url: str, token: str | None, *, attempts: int = 5, timeout_seconds: float = 30
    ) -> None:
        self.url = base_url.rstrip("/") + "/api/v1/lineage"
        self.session = requests.Session()
        self.session.headers["Content-Type"] = "application/json"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.attempts = attempts
        self.timeout_seconds = timeout_seconds

    def send(self, source: str, event: Any) -> SendResult:
        """Send one event and report what the server said."""
        body = json.dumps(event).encode()
        for attempt in range(self.attempts):
            response = self.session.post(self.url, data=body, timeout=self.timeout_seconds)
            if response.status_code not in RETRY_STATUSES or attempt == self.attempts - 1:
                break
            time.sleep(float(response.headers.get("Retry-After", 0.5 * 2**attempt)))
        detail = (
            response.json().get("detail" if response.status_code >= 400 else "status", "")
            if _is_json(response)
            else response.text[:200]
        )
        return SendResult(source=source, status_code=response.status_code, detail=str(detail))

    def send_all(self, events: Iterable[tuple[str, Any]]) -> Iterator[SendResult]:
        """Send events in order, yielding each answer."""
        for source, event in events:
            yield self.send(source, event)


def _is_json(response: requests.Response) -> bool:
    return "json" in response.headers.get("Content-Type", "")
