"""The built distribution carries what an installed Headwater reads at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO


def test_wheel_ships_the_openlineage_spec_and_the_migrations(tmp_path: Path) -> None:
    """A non-editable install (the Docker image's) has the schemas, migrations, API document, static files."""
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(REPO)]
    built = subprocess.run(command, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = tmp_path.glob("headwater-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    spec = REPO / "governance" / "ingest" / "openlineage_spec"
    assert {str(p.relative_to(REPO)) for p in spec.rglob("*") if p.is_file()} <= names
    migrations = {str(p.relative_to(REPO)) for p in (REPO / "migrations").rglob("*.py")}
    assert migrations | {"migrations/alembic.ini"} <= names
    assert "web/api/openapi.yaml" in names
    vendored = {str(p.relative_to(REPO)) for p in (REPO / "web" / "static").rglob("*") if p.is_file()}
    assert vendored and vendored <= names
    assert any(name.endswith("entry_points.txt") for name in names)
