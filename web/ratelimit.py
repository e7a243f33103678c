"""Rate limits on sign-in and token creation: 429 with ``Retry-After`` past the limit.

Counters live in Redis when the broker is Redis (or HEADWATER_RATELIMIT_STORAGE_URL names a
store), so that every web process counts together; else in each process's memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from governance.config import Settings
from governance.errors import GovernanceError

F = TypeVar("F", bound=Callable[..., object])
LIMITER_KEY = "headwater_limiter"


def _unauthenticated() -> bool:
    """True when the request has no usable credential: the view answers 401, uncounted."""
    from web.auth import authenticate

    try:
        return authenticate().kind.value == "anonymous"
    except GovernanceError:
        return True


def caller_key() -> str:
    """Rate-limit key of an authenticated caller: its user or token, else its address."""
    from web.auth import authenticate

    try:
        caller = authenticate()
    except GovernanceError:
        caller = None  # the view itself refuses the credential
    if caller is not None and caller.user_id is not None:
        return f"user:{caller.user_id}"
    if caller is not None and caller.token_id is not None:
        return f"token:{caller.token_id}"
    return f"address:{get_remote_address()}"


def init_app(app: Flask, settings: Settings) -> Limiter:
    """A limiter with no default limits; views opt in with ``limit_sign_in`` / ``limit_token_creation``."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.resolved_ratelimit_storage_url,
        headers_enabled=True,
        strategy="fixed-window",
    )
    app.extensions[LIMITER_KEY] = limiter
    return limiter


def limit_sign_in(limiter: Limiter, settings: Settings, view: F) -> F:
    """Limit sign-in attempts (POSTs) per client address."""
    decorate = limiter.limit(settings.login_rate_limit, methods=["POST"], key_func=get_remote_address)
    return cast(F, decorate(view))


def limit_token_creation(limiter: Limiter, settings: Settings, view: F) -> F:
    """Limit token creations (POSTs) per caller."""
    decorate = limiter.limit(
        settings.token_rate_limit, methods=["POST"], key_func=caller_key, exempt_when=_unauthenticated
    )
    return cast(F, decorate(view))
