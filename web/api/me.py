"""``GET /api/v1/me``: who the request acts as, and the CSRF token a signed-in page sends back."""

from __future__ import annotations

import flask_login
from flask import Blueprint
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import generate_csrf

from governance.access import CallerKind
from web.api import schemas
from web.auth import authenticate, public
from web.security import AccountUser

bp = Blueprint("me", __name__)


@bp.get("/me")
@public
def get_me() -> ResponseReturnValue:
    """The caller: anonymous, a token or a signed-in user, with its permissions."""
    caller = authenticate()
    user = flask_login.current_user
    email = user.email if isinstance(user, AccountUser) and caller.kind is CallerKind.USER else None
    body = schemas.caller_json(caller, email)
    if caller.kind is CallerKind.USER:
        body["csrfToken"] = generate_csrf()
    return body
