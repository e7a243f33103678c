"""deploy/compose.yaml: valid against the Compose spec, and shaped the way the deployment docs promise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from governance.config import Settings

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "deploy" / "compose.yaml"
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
HEADWATER_SERVICES = ("migrate", "web", "worker", "beat")
REQUIRED_VARIABLES = {"HEADWATER_DATABASE_URL", "HEADWATER_BROKER_URL", "HEADWATER_SECRET_KEY_FILE"}
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
# The settings load_settings also reads from a file named by HEADWATER_<NAME>_FILE.
FILE_SETTINGS = ("database_url", "broker_url", "secret_key")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose file as Compose reads it, with its x- anchors merged in."""
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment, whether written as a mapping or as a list of NAME=value."""
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(item.partition("=")[::2] for item in env)
    return {name: str(value) for name, value in env.items()}


def test_compose_file_matches_the_compose_spec() -> None:
    """check-jsonschema's bundled Compose schema accepts the file, without touching the network."""
    assert CHECK_JSONSCHEMA.is_file(), f"{CHECK_JSONSCHEMA} is missing: install the dev extras"
    # The vendor schemas ship inside check-jsonschema; a dead proxy makes any download fail loudly.
    dead_proxy = {name: "http://127.0.0.1:9" for name in PROXY_VARIABLES}
    offline = {**os.environ, **dead_proxy, "NO_PROXY": "", "no_proxy": ""}
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        env=offline,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_every_service_of_a_production_deployment(compose: dict[str, Any]) -> None:
    """PostgreSQL, Redis, the one-shot migration, web, worker and beat are all there."""
    services = set(compose["services"])
    assert {"postgres", "redis", *HEADWATER_SERVICES} <= services


def test_beat_runs_as_exactly_one_replica(compose: dict[str, Any]) -> None:
    """Two beats would schedule every outbox sweep twice."""
    beat = compose["services"]["beat"]
    assert int(beat.get("deploy", {}).get("replicas", 1)) == 1
    assert int(beat.get("scale", 1)) == 1


def test_web_and_worker_are_configured_by_headwater_variables_only(compose: dict[str, Any]) -> None:
    """No env_file, no config files: every setting is a HEADWATER_* variable in the service's environment."""
    for name in ("web", "worker"):
        service = compose["services"][name]
        env = _environment(service)
        assert env, f"{name} has no environment"
        assert [var for var in env if not var.startswith("HEADWATER_")] == [], name
        assert "env_file" not in service and "configs" not in service, name
        assert set(env) >= REQUIRED_VARIABLES, name


def test_headwater_variables_name_real_settings(compose: dict[str, Any]) -> None:
    """A misspelt variable would be ignored silently, since Settings ignores unknown names."""
    known = {f"HEADWATER_{field.upper()}" for field in Settings.model_fields}
    known |= {f"HEADWATER_{field.upper()}_FILE" for field in FILE_SETTINGS}
    for name in HEADWATER_SERVICES:
        unknown = set(_environment(compose["services"][name])) - known
        assert unknown == set(), f"{name}: {sorted(unknown)}"


def test_secret_key_file_is_a_mounted_compose_secret(compose: dict[str, Any]) -> None:
    """HEADWATER_SECRET_KEY_FILE names /run/secrets/<name>, a secret every Headwater service mounts."""
    for name in HEADWATER_SERVICES:
        service = compose["services"][name]
        path = Path(_environment(service)["HEADWATER_SECRET_KEY_FILE"])
        assert path.parent == Path("/run/secrets"), name
        mounted = {s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])}
        assert path.name in mounted, name
        assert path.name in compose["secrets"], name


def test_headwater_services_build_the_deploy_dockerfile(compose: dict[str, Any]) -> None:
    """The build context is the repository root and the Dockerfile path resolves from it."""
    for name in HEADWATER_SERVICES:
        build = compose["services"][name]["build"]
        context = (COMPOSE.parent / build["context"]).resolve()
        assert context == REPO, name
        assert (context / build["dockerfile"]).is_file(), name
