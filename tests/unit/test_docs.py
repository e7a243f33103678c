"""The docs keep up with the code: every setting, route and checked CLI command is documented."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from governance import schema_migrations
from governance.cli import cli
from governance.config import _SECRET_FIELDS, Settings
from web import create_app

REPO = Path(__file__).resolve().parents[2]
CONFIGURATION = REPO / "docs" / "CONFIGURATION.md"
API = REPO / "docs" / "API.md"
README = REPO / "README.md"
FLASK_STATIC = "/static/<path:filename>"
# Methods Flask adds to every route by itself.
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}
# README.md is still being written; widen this to every command path once it is done.
README_COMMANDS = (
    "up",
    "admin create-user",
    "admin list-users",
    "admin disable-user",
    "admin grant",
    "admin revoke-grant",
)


def _mentions(text: str, term: str) -> bool:
    """True when ``term`` occurs in ``text`` and is not merely the start or end of a longer name or path."""
    pattern = rf"(?<![\w/.-]){re.escape(term)}(?![\w/.<-])"
    return re.search(pattern, text) is not None


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    """Every command under ``group``, as the words typed after ``headwater``."""
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        if isinstance(command, click.Group):
            yield from _command_paths(command, path)
        else:
            yield " ".join(path)


@pytest.fixture
def route_methods(tmp_path: Path) -> dict[str, set[str]]:
    """Each rule of the app's URL map (Flask's static route aside) and its explicit methods."""
    settings = Settings(data_dir=tmp_path, secret_key="x")
    schema_migrations.upgrade(settings.resolved_database_url)
    app = create_app(settings, enqueue=lambda _event_id, _request_id: None)
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule != FLASK_STATIC:
            routes.setdefault(rule.rule, set()).update((rule.methods or set()) - IMPLICIT_METHODS)
    return routes


def test_mentions_ignores_a_prefix_of_a_longer_path() -> None:
    """`/api/v1/lineage` inside `/api/v1/lineage/batch` or a longer path does not count as documented."""
    assert _mentions("POST `/api/v1/lineage` accepts", "/api/v1/lineage")
    assert not _mentions("POST /api/v1/lineage/batch", "/api/v1/lineage")
    assert not _mentions("/openapi/openlineage/api/v1/lineage", "/api/v1/lineage")
    assert not _mentions("HEADWATER_DATABASE_URL_FILE", "HEADWATER_DATABASE_URL")
    assert not _mentions("headwater upgrade", "headwater up")


def test_every_setting_is_documented_as_its_variable() -> None:
    """docs/CONFIGURATION.md names each Settings field as HEADWATER_<FIELD>."""
    text = CONFIGURATION.read_text()
    missing = [name for name in Settings.model_fields if not _mentions(text, f"HEADWATER_{name.upper()}")]
    assert missing == [], f"undocumented in {CONFIGURATION.name}: {missing}"


def test_every_secret_file_variant_is_documented() -> None:
    """docs/CONFIGURATION.md names each HEADWATER_<FIELD>_FILE that load_settings reads."""
    text = CONFIGURATION.read_text()
    missing = [name for name in _SECRET_FIELDS if not _mentions(text, f"HEADWATER_{name.upper()}_FILE")]
    assert missing == [], f"undocumented in {CONFIGURATION.name}: {missing}"


def test_every_route_is_documented_with_its_methods(route_methods: dict[str, set[str]]) -> None:
    """docs/API.md names each route of the URL map as `METHOD path`, exactly as the rule is written."""
    assert "/api/v1/lineage" in route_methods
    text = API.read_text()
    missing = [
        f"{method} {rule}"
        for rule, methods in sorted(route_methods.items())
        for method in sorted(methods)
        if not _mentions(text, f"{method} {rule}")
    ]
    assert missing == [], f"undocumented in {API.name}: {missing}"


def test_readme_lists_every_console_page(route_methods: dict[str, set[str]]) -> None:
    """README.md's console table names each console page (a GET route under /console/) by its path."""
    pages = [
        re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule)
        for rule, methods in sorted(route_methods.items())
        if rule.startswith("/console/") and rule != "/console/" and "GET" in methods
    ]
    assert "/console/datasets/<namespace>/<name>" in pages
    text = README.read_text()
    missing = [page for page in pages if not _mentions(text, page)]
    assert missing == [], f"console pages missing from {README.name}: {missing}"


def test_readme_shows_how_to_run_each_checked_command() -> None:
    """README.md names each checked command as `headwater <command path>`; each still exists in the CLI."""
    commands = set(_command_paths(cli))
    assert set(README_COMMANDS) <= commands, f"no such commands: {sorted(set(README_COMMANDS) - commands)}"
    assert README.is_file(), f"{README} is missing"
    text = README.read_text()
    missing = [path for path in README_COMMANDS if not _mentions(text, f"headwater {path}")]
    assert missing == [], f"undocumented in {README.name}: {missing}"


def test_command_paths_reach_nested_commands() -> None:
    """The CLI walk goes into groups, so `db upgrade` and `token create` are checked, not `db` alone."""
    commands = set(_command_paths(cli))
    assert {"up", "db upgrade", "token create", "events replay", "doctor"} <= commands
    assert "db" not in commands
