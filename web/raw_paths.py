"""Route on the path as the client wrote it, so names holding ``/`` keep their ``%2F``.

Servers decode ``%2F`` before the application sees ``PATH_INFO``, which would split a name
such as ``s3://bucket`` across path segments. The raw request URI still has it encoded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlsplit

from werkzeug.routing import BaseConverter


class RawPathMiddleware:
    """Rebuild ``PATH_INFO`` from the raw URI with ``/`` and ``%`` inside segments kept escaped."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if raw:
            path = urlsplit(raw).path if "://" in raw.split("?", 1)[0][:12] else raw.split("?", 1)[0]
            script = environ.get("SCRIPT_NAME", "")
            if path.startswith(script):
                path = path[len(script) :]
            segments = [
                unquote_to_bytes(segment).replace(b"%", b"%25").replace(b"/", b"%2F")
                for segment in path.split("/")
            ]
            # WSGI carries the path as latin-1 text of its bytes.
            environ["PATH_INFO"] = b"/".join(segments).decode("latin-1")
        answer: Iterable[bytes] = self.app(environ, start_response)
        return answer


class NameConverter(BaseConverter):
    """One path segment holding a name, ``/`` and ``%`` included."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return value.replace("%2F", "/").replace("%25", "%")

    def to_url(self, value: str) -> str:
        # Unlike the default, "/" is escaped too, so that url_for builds a path that routes back.
        return quote(str(value), safe="!$&'()*+,:;=@")


class IdConverter(BaseConverter):
    """A row id in a path: 1 to 9 digits, so that no id overflows a database integer (else 404)."""

    regex = r"\d{1,9}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
