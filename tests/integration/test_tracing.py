"""A request id follows an event from the HTTP request into the worker's log."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.builders import run_event
from tests.integration.conftest import Stack, wait_until

pytestmark = pytest.mark.integration


def _worker_lines(stack: Stack) -> list[dict[str, object]]:
    lines = []
    for line in stack.logs["worker"].read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return lines


def test_request_id_is_carried_into_the_celery_task_log(stack: Stack) -> None:
    """The worker logs the processed event with the request id the client sent."""
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    response = stack.post(run_event(), headers={"X-Request-ID": request_id})
    assert response.status_code == 201
    assert response.headers["X-Request-ID"] == request_id

    def logged() -> bool:
        return any(
            line.get("event") == "event_processed" and line.get("request_id") == request_id
            for line in _worker_lines(stack)
        )

    wait_until(logged, timeout=30, what=f"the worker to log {request_id}\n{stack.log_tail('worker')}")
