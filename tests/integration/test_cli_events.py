"""`headwater events send|replay` against a live server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from governance.cli import cli
from tests.builders import lifecycle
from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration


def test_replay_sends_every_event_of_a_directory_and_reports_json_lines(stack: Stack, corpora: Path) -> None:
    """The Marquez 'apples' story (8 events in 8 files) replays in path order, each 201."""
    apples = (
        corpora / "openlineage" / "events" / "MarquezProject__marquez" / "api" / "src" / "test" / "resources"
    )
    result = CliRunner().invoke(
        cli,
        [
            "events",
            "replay",
            str(apples / "apples"),
            "--url",
            stack.base_url,
            "--token",
            stack.token,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 8
    assert all(line["status"] == 201 for line in lines)
    assert [Path(line["source"]).name for line in lines] == sorted(
        Path(line["source"]).name for line in lines
    )


def test_send_reads_json_lines_from_stdin_and_fails_on_a_refused_event(stack: Stack) -> None:
    """`events send -` takes JSON lines; one refused event makes the command exit 1."""
    events = [*lifecycle("5d4b1f7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"), {"eventTime": "not a time"}]
    stdin = "\n".join(json.dumps(e) for e in events)
    result = CliRunner().invoke(
        cli, ["events", "send", "-", "--url", stack.base_url, "--token", stack.token], input=stdin
    )
    assert result.exit_code == 1
    statuses = [json.loads(line)["status"] for line in result.stdout.splitlines()]
    assert statuses == [201, 201, 201, 422]
    assert "3 accepted, 1 refused" in result.stderr


def test_send_without_a_token_is_refused_clearly(stack: Stack, tmp_path: Path) -> None:
    """A missing token is reported per event as the server's 401."""
    path = tmp_path / "one.json"
    path.write_text(json.dumps(lifecycle("6e5c2a8f-2d3e-4f60-9b0c-1d2e3f4a5b6c")[0]))
    result = CliRunner().invoke(cli, ["events", "send", str(path), "--url", stack.base_url])
    assert result.exit_code == 1
    assert json.loads(result.stdout.splitlines()[0])["status"] == 401
