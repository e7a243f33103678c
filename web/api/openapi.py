"""The OpenAPI 3.1 description of the API, written by hand in ``openapi.yaml`` and served as JSON."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from flask import Blueprint
from flask.typing import ResponseReturnValue

from web.auth import public

bp = Blueprint("openapi", __name__)


@cache
def openapi_document() -> dict[str, Any]:
    """The parsed document (read once)."""
    text = (resources.files("web.api") / "openapi.yaml").read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


@bp.get("/openapi.json")
@public
def get_openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 document."""
    return openapi_document()
