"""The access rule of each of Flask-Security's routes, CSRF on their forms, the sign-in rate limit.

Flask-Security guards its own views (the sign-in steps are open; the others call its own
``auth_required``); declaring the rule here keeps every route of the app declared in one way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, redirect, request, url_for
from flask_limiter import Limiter

from governance.access import CallerKind
from governance.config import Settings
from web.auth import ACCESS_RULE, AccessRule, Open, authenticate
from web.ratelimit import limit_sign_in
from web.security import csrf

RULES: dict[str, AccessRule] = {
    "security.login": Open.PUBLIC,
    "security.logout": Open.PUBLIC,
    "security.two_factor_token_validation": Open.PUBLIC,
    "security.two_factor_rescue": Open.PUBLIC,
    "security.tf_select": Open.PUBLIC,
    "security.verify": Open.SIGNED_IN,
    "security.change_password": Open.SIGNED_IN,
    "security.two_factor_setup": Open.SIGNED_IN,
    "security.two_factor_setup_validate": Open.SIGNED_IN,
}


def _declared(rule: AccessRule, view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if rule is Open.SIGNED_IN and authenticate().kind is not CallerKind.USER:
            return redirect(url_for("security.login", next=request.path))
        if request.method == "POST":
            csrf.protect()  # sign-out included: a cross-site page must not sign anyone out
        return view(*args, **kwargs)

    setattr(checked, ACCESS_RULE, rule)
    return checked


def declare(app: Flask, limiter: Limiter, settings: Settings) -> None:
    """Wrap each known Flask-Security view with its rule; unknown ones stay undeclared (a test fails)."""
    for endpoint, rule in RULES.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        wrapped = _declared(rule, view)
        if endpoint == "security.login":
            wrapped = limit_sign_in(limiter, settings, wrapped)
        app.view_functions[endpoint] = wrapped
