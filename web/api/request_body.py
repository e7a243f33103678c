"""Read an API request's body within the configured caps."""

from __future__ import annotations

from flask import request

from governance.ingest.body import read_body
from governance.ingest.errors import BodyTooLarge, UnsupportedMediaType
from web.runtime import runtime

_JSON_TYPES = {"application/json", "text/json"}


def json_request_body() -> bytes:
    """The decoded request body, refused early when its type or declared size is wrong."""
    mimetype = request.mimetype
    if mimetype and mimetype not in _JSON_TYPES and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(f"Content-Type {mimetype!r} is not supported; send application/json")
    limit = runtime().settings.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(limit)
    return read_body(
        request.stream, content_encoding=request.headers.get("Content-Encoding"), max_bytes=limit
    )
