"""The OpenAPI document is valid and describes every route the app serves."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from web.api.openapi import openapi_document


def test_document_is_valid_openapi_3_1() -> None:
    """The hand-written document passes the OpenAPI 3.1 validator."""
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_and_method_is_described(app: Flask) -> None:
    """A route the app serves but the document omits fails here."""
    paths = openapi_document()["paths"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        assert path in paths, f"{path} is not in openapi.yaml"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {path} is not in openapi.yaml"


def test_document_is_served_without_a_token(client: FlaskClient) -> None:
    """GET /api/v1/openapi.json answers the document to anyone."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["info"]["title"] == "Headwater API"
