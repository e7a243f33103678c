"""Bearer-token checks for the API, as OpenLineage clients send them (``auth.type: api_key``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g, request

from governance.access import Scope, record_use, verify_token
from governance.access.tokens import token_hmac
from governance.clock import utcnow
from governance.config import Settings, Switch
from governance.errors import PermissionDenied, Unauthenticated
from web.runtime import runtime

P = ParamSpec("P")
R = TypeVar("R")


def _bearer_secret() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("send the header 'Authorization: Bearer <token>' with an API token")
    return secret.strip()


def authorize(scope: Scope) -> None:
    """Check the request's bearer token for ``scope`` and remember it on ``g.token``."""
    state = runtime()
    secret = _bearer_secret()
    digest = token_hmac(secret, state.pepper)
    token = state.tokens.get(digest)
    if token is None:
        with state.database.session() as session:
            token = verify_token(session, secret=secret, pepper=state.pepper, now=utcnow())
        state.tokens.put(digest, token)
    if not token.allows(scope):
        raise PermissionDenied(f"this token lacks the '{scope}' scope")
    if state.tokens.use_is_due(token.id):
        with state.database.session() as session:
            record_use(session, token_id=token.id, now=utcnow())
    g.token = token


def requires(
    scope: Scope, *, unless_off: Callable[[Settings], Switch] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Guard a view with a token scope; ``unless_off`` names the setting that can waive it."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            waived = unless_off is not None and unless_off(runtime().settings) == Switch.OFF
            if not waived:
                authorize(scope)
            return view(*args, **kwargs)

        guarded.required_scope = scope  # type: ignore[attr-defined]  # read by the route-permission test
        return guarded

    return decorate


def ingest_switch(settings: Settings) -> Switch:
    """HEADWATER_INGEST_AUTH."""
    return settings.ingest_auth


def read_switch(settings: Settings) -> Switch:
    """HEADWATER_READ_AUTH."""
    return settings.read_auth


def write_switch(settings: Settings) -> Switch:
    """HEADWATER_WRITE_AUTH."""
    return settings.write_auth
