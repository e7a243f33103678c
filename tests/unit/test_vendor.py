"""The browser libraries in web/static/vendor are the versions package-lock.json pins."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENDOR = REPO / "web" / "static" / "vendor"


def test_vendored_files_are_the_locked_versions() -> None:
    """Each vendored library is the version the lock file pins, with its licence beside it."""
    manifest = json.loads((VENDOR / "manifest.json").read_text())
    wanted = json.loads((REPO / "package.json").read_text())["devDependencies"]
    locked = json.loads((REPO / "package-lock.json").read_text())["packages"]
    assert set(manifest) == set(wanted)
    for name, entry in manifest.items():
        assert entry["version"] == wanted[name] == locked[f"node_modules/{name}"]["version"]
        assert f"{name}.LICENSE" in entry["files"]
        for file in entry["files"]:
            assert (VENDOR / file).stat().st_size > 0, file
