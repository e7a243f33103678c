"""Who the caller is and whether it may: every view declares one access rule here.

A request authenticates with a bearer API token (``Authorization: Bearer <token>``, what
OpenLineage clients send for ``auth.type: api_key``) or with the signed-in session of a person.
``requires(permission)`` guards a view; ``public`` and ``signed_in`` declare the other two
rules, so that a test can check that no route is left undeclared.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import ParamSpec, TypeVar

import flask_login
from flask import g, request

from governance.access import (
    ANONYMOUS,
    Caller,
    CallerKind,
    Permission,
    record_use,
    require,
    token_caller,
    user_caller,
    verify_token,
    waived,
)
from governance.access.tokens import token_hmac
from governance.clock import utcnow
from governance.config import Settings, Switch
from governance.errors import PermissionDenied, Unauthenticated
from web.runtime import runtime
from web.security import AccountUser, csrf

P = ParamSpec("P")
R = TypeVar("R")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Open(StrEnum):
    """Access rules that are not a permission."""

    PUBLIC = "public"
    """Anyone, signed in or not (health, the sign-in pages, the OpenAPI document)."""
    SIGNED_IN = "signed-in"
    """Any signed-in person, whatever their roles (their own account pages)."""


AccessRule = Permission | Open
ACCESS_RULE = "access_rule"  # the attribute a declared view carries; read by the route tests


def _bearer_secret() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("send the header 'Authorization: Bearer <token>' with an API token")
    return secret.strip()


def _token_caller(secret: str) -> Caller:
    state = runtime()
    digest = token_hmac(secret, state.pepper)
    caller = state.tokens.get(digest)
    if caller is None:
        with state.database.session() as session:
            token = verify_token(session, secret=secret, pepper=state.pepper, now=utcnow())
            caller = token_caller(session, token)
        state.tokens.put(digest, caller)
    assert caller.token_id is not None
    if state.tokens.use_is_due(caller.token_id):
        with state.database.session() as session:
            record_use(session, token_id=caller.token_id, now=utcnow())
    return caller


def _session_user_id() -> int | None:
    user = flask_login.current_user
    if isinstance(user, AccountUser) and user.is_authenticated:
        return int(user.id)
    return None


def authenticate() -> Caller:
    """The request's caller: its token's, its signed-in user's, or nobody; remembered on ``g``."""
    found: Caller | None = g.get("caller")
    if found is not None:
        return found
    secret = _bearer_secret()
    if secret is not None:
        found = _token_caller(secret)
    elif (user_id := _session_user_id()) is not None:
        with runtime().database.session() as session:
            found = user_caller(session, user_id)
    else:
        found = ANONYMOUS
    g.caller = found
    return found


def current_caller() -> Caller:
    """The caller a guarded view was let through with."""
    found: Caller = g.caller
    return found


def _check(permission: Permission, waivable: bool) -> None:
    if waivable:
        try:
            caller = authenticate()
        except Unauthenticated:
            caller = ANONYMOUS
        if not caller.may(permission) or caller.must_change_password:
            # An open route (HEADWATER_*_AUTH=off) serves anyone; credentials only narrow the view.
            caller = waived(permission)
        g.caller = caller
    else:
        caller = authenticate()
    require(caller, permission)
    if caller.kind is CallerKind.USER and request.method not in SAFE_METHODS:
        # The session cookie rides along with any cross-site request; a bearer token does not.
        csrf.protect()


def requires(
    permission: Permission, *, unless_off: Callable[[Settings], Switch] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Guard a view with a permission; ``unless_off`` names the setting that can waive it."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            waivable = unless_off is not None and unless_off(runtime().settings) == Switch.OFF
            _check(permission, waivable)
            return view(*args, **kwargs)

        setattr(guarded, ACCESS_RULE, permission)
        return guarded

    return decorate


def public(view: Callable[P, R]) -> Callable[P, R]:
    """Declare a view open to anyone."""
    setattr(view, ACCESS_RULE, Open.PUBLIC)
    return view


def signed_in(view: Callable[P, R]) -> Callable[P, R]:
    """Guard a view for any signed-in person (an API token will not do)."""

    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        caller = authenticate()
        if caller.kind is not CallerKind.USER:
            raise Unauthenticated("sign in first")
        if caller.must_change_password:
            raise PermissionDenied("change your one-time password before doing anything else")
        if request.method not in SAFE_METHODS:
            csrf.protect()
        return view(*args, **kwargs)

    setattr(guarded, ACCESS_RULE, Open.SIGNED_IN)
    return guarded


def ingest_switch(settings: Settings) -> Switch:
    """HEADWATER_INGEST_AUTH."""
    return settings.ingest_auth


def read_switch(settings: Settings) -> Switch:
    """HEADWATER_READ_AUTH."""
    return settings.read_auth


def write_switch(settings: Settings) -> Switch:
    """HEADWATER_WRITE_AUTH."""
    return settings.write_auth
