"""RFC 9457 problem responses: every API error leaves through here, in one shape."""

from __future__ import annotations

from typing import Any

import structlog
from flask import Flask, Response, json, request
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from governance.errors import (
    Conflict,
    GovernanceError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from governance.ingest.errors import BodyTooLarge, MalformedBody, SchemaViolation, UnsupportedMediaType

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5

# Most specific first: the first match decides.
STATUS_FOR: tuple[tuple[type[GovernanceError], int], ...] = (
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (BodyTooLarge, 413),
    (UnsupportedMediaType, 415),
    (MalformedBody, 400),
    (SchemaViolation, 422),
    (InvalidInput, 422),
)


def problem(status: int, *, title: str, code: str, detail: str, **extra: Any) -> Response:
    """Build one problem+json response."""
    body = {
        "type": f"urn:headwater:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        **extra,
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="headwater"'
    return response


def problem_for(err: GovernanceError) -> Response:
    """Map a domain error to its status and problem body."""
    status = next((s for kind, s in STATUS_FOR if isinstance(err, kind)), 400)
    extra: dict[str, Any] = {}
    if isinstance(err, SchemaViolation):
        extra["errors"] = [{"pointer": e.pointer, "detail": e.message} for e in err.errors]
    return problem(status, title=_title(type(err).__name__), code=err.code, detail=str(err), **extra)


def _title(class_name: str) -> str:
    words: list[str] = []
    for char in class_name:
        if char.isupper() and words:
            words.append(" ")
        words.append(char)
    return "".join(words).capitalize()


def _http_problem(err: HTTPException) -> Response:
    status = err.code or 500
    code = (err.name or "error").lower().replace(" ", "-")
    response = problem(status, title=err.name or "Error", code=code, detail=err.description or "")
    if status == 405 and err.response is None:
        allowed = getattr(err, "valid_methods", None)
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
    return response


def _invalid_body(err: ValidationError) -> Response:
    """A request body that is not what its model takes: 422, a JSON pointer per error."""
    errors = [
        {"pointer": "".join(f"/{part}" for part in e["loc"]), "detail": e["msg"]} for e in err.errors()[:50]
    ]
    first = errors[0]
    detail = f"{first['pointer'] or 'the body'}: {first['detail']}"
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return problem(422, title="Invalid input", code=InvalidInput.code, detail=detail, errors=errors)


def _unavailable(err: DBAPIError) -> Response:
    cause = err.orig if err.orig is not None else err
    # The driver's first line says what failed (locked, refused, terminated); never the SQL.
    reason = (str(cause).splitlines() or [""])[0][:200]
    log.warning("database_unavailable", error=type(cause).__name__, reason=reason)
    response = problem(
        503,
        title="Service unavailable",
        code="database-unavailable",
        detail="the database cannot be reached; nothing was stored, send the request again",
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _internal(err: Exception) -> Response:
    log.exception("unhandled_error", error_type=type(err).__name__)
    return problem(
        500, title="Internal server error", code="internal", detail="the server failed; see its log"
    )


def init_app(app: Flask) -> None:
    """Register one handler per exception family."""
    app.register_error_handler(GovernanceError, problem_for)
    app.register_error_handler(ValidationError, _invalid_body)
    app.register_error_handler(HTTPException, _http_problem)
    app.register_error_handler(OperationalError, _unavailable)
    app.register_error_handler(Exception, _internal)
