"""Every API route declares the token scope it needs, and every catalog edit needs ``write``."""

from __future__ import annotations

from flask import Flask

from governance.access import Scope

# Served to anyone: the API's own description, and the probes and metrics outside /api.
OPEN = {"/api/v1/openapi.json"}
INGEST_PATHS = {"/api/v1/lineage", "/api/v1/lineage/batch"}


def test_every_api_route_declares_its_scope(app: Flask) -> None:
    """Reads need read, ingest needs ingest, and every other method (the catalog edits) needs write."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/openapi/")) or rule.rule in OPEN:
            continue
        scope = getattr(app.view_functions[rule.endpoint], "required_scope", None)
        assert scope is not None, f"{rule.rule} declares no scope"
        methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
        if rule.rule.removeprefix("/openapi/openlineage") in INGEST_PATHS and methods == {"POST"}:
            expected = Scope.INGEST
        elif methods == {"GET"}:
            expected = Scope.READ
        else:
            expected = Scope.WRITE
        assert scope == expected, f"{sorted(methods)} {rule.rule} needs {scope}, not {expected}"
