"""The Flask application: the API under /api/v1 and the health endpoints."""

from __future__ import annotations

import re
import uuid

import structlog
from flask import Flask, Response, g, request

from governance.config import Settings, Switch, get_settings
from governance.ingest.schema import warm_up
from governance.logs import configure_logging
from web import headers, problems, ratelimit, runtime, security, security_routes
from web.api import edits, events, graph, ingest, me, openapi, tokens
from web.console import bp as console_bp
from web.console import root_bp
from web.raw_paths import IdConverter, NameConverter, RawPathMiddleware
from web.runtime import Enqueue

log = structlog.get_logger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(settings: Settings | None = None, *, enqueue: Enqueue | None = None) -> Flask:
    """Build the app; ``enqueue`` replaces the broker publisher (tests pass a list's append)."""
    settings = settings or get_settings()
    configure_logging(settings)
    app = Flask(__name__)
    app.url_map.converters["name"] = NameConverter
    app.url_map.converters["id"] = IdConverter
    app.wsgi_app = RawPathMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    # One byte over the cap, so that a chunked body (no Content-Length) that reaches the cap
    # shows the ingest path it is too large instead of ending there silently.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes + 1
    state = runtime.init_app(app, settings, enqueue)
    warm_up()
    problems.init_app(app)
    security.init_app(app, settings, state.pepper)
    limiter = ratelimit.init_app(app, settings)
    headers.init_app(app)
    app.register_blueprint(ingest.bp, url_prefix="/api/v1")
    # DataHub's path for the same contract, so integrations configured for it work unchanged.
    app.register_blueprint(ingest.bp, url_prefix="/openapi/openlineage/api/v1", name="ingest_datahub")
    app.register_blueprint(events.bp, url_prefix="/api/v1")
    app.register_blueprint(openapi.bp, url_prefix="/api/v1")
    app.register_blueprint(graph.bp, url_prefix="/api/v1")
    app.register_blueprint(edits.bp, url_prefix="/api/v1")
    from web.health import bp as health_bp

    app.register_blueprint(me.bp, url_prefix="/api/v1")
    app.register_blueprint(tokens.bp, url_prefix="/api/v1")
    app.register_blueprint(console_bp, url_prefix="/console")
    app.register_blueprint(root_bp)
    app.register_blueprint(health_bp)
    security_routes.declare(app, limiter, settings)
    for endpoint in ("tokens.create_token", "console.create_token", "console.connect_token"):
        app.view_functions[endpoint] = ratelimit.limit_token_creation(
            limiter, settings, app.view_functions[endpoint]
        )
    if settings.ingest_auth == Switch.OFF:
        log.warning(
            "ingest_auth_off", detail="events are accepted without a token; serve a trusted network only"
        )
    if settings.write_auth == Switch.OFF:
        log.warning(
            "write_auth_off", detail="catalog edits are taken without a token; serve a trusted network only"
        )
    app.before_request(_bind_request_id)
    app.after_request(_echo_request_id)
    return app


def _bind_request_id() -> None:
    supplied = request.headers.get("X-Request-ID", "")
    g.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=g.request_id)


def _echo_request_id(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    return response
