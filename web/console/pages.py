"""Console pages: landing, account, tokens, and users with their roles and grants (admins).

Plain forms posted back with their CSRF token; each view parses the form, calls one governance
function and renders. Domain errors become the page again with the message, never a stack trace.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from governance.access import (
    Grant,
    Permission,
    Role,
    all_grants,
    create_user,
    disable_user,
    grant,
    issue_token,
    list_users,
    parse_roles,
    parse_scopes,
    revoke_for,
    revoke_grant,
    tokens_for,
)
from governance.clock import utcnow
from governance.errors import GovernanceError, PermissionDenied, Unauthenticated
from web.auth import current_caller, public, requires, signed_in
from web.runtime import runtime

bp = Blueprint("console", __name__)
root_bp = Blueprint("root", __name__)


@root_bp.get("/")
@public
def home() -> ResponseReturnValue:
    """The console's landing page."""
    return redirect(url_for("console.landing"))


@bp.errorhandler(Unauthenticated)
def _sign_in_first(_err: Unauthenticated) -> ResponseReturnValue:
    return redirect(url_for("security.login", next=request.path))


@bp.errorhandler(GovernanceError)
def _refused(err: GovernanceError) -> ResponseReturnValue:
    caller = g.get("caller")
    if isinstance(err, PermissionDenied) and caller is not None and caller.must_change_password:
        return redirect(url_for("security.change_password"))
    status = 403 if isinstance(err, PermissionDenied) else 404 if err.code.endswith("not-found") else 422
    return render_template("console/refused.html", message=str(err)), status


def _form(name: str) -> str:
    return request.form.get(name, "").strip()


@bp.get("/")
@signed_in
def landing() -> ResponseReturnValue:
    """What the signed-in person may do here."""
    return render_template("console/landing.html", caller=current_caller())


@bp.get("/account")
@signed_in
def account() -> ResponseReturnValue:
    """The person's account: roles, password, two-factor sign-in."""
    return render_template("console/account.html", caller=current_caller(), roles=sorted(Role))


def _tokens_page(status: int = 200, **extra: Any) -> ResponseReturnValue:
    with runtime().database.session() as session:
        views = tokens_for(session, caller=current_caller())
    return render_template(
        "console/tokens.html", tokens=views, scopes=["read", "ingest", "write", "admin"], **extra
    ), status


@bp.get("/tokens")
@requires(Permission.TOKENS_MANAGE)
def tokens() -> ResponseReturnValue:
    """The person's tokens, and a form to create one."""
    return _tokens_page()


@bp.post("/tokens")
@requires(Permission.TOKENS_MANAGE)
def create_token() -> ResponseReturnValue:
    """Create a token; its secret is shown on this page once."""
    now = utcnow()
    days = _form("expires_days")
    patterns = [line.split(None, 1) for line in _form("grants").splitlines() if line.strip()]
    with runtime().database.session() as session:
        created, _ = issue_token(
            session,
            caller=current_caller(),
            name=_form("name"),
            scopes=parse_scopes(request.form.getlist("scopes")),
            grants=[Grant(p[0], p[1] if len(p) > 1 else "*") for p in patterns],
            pepper=runtime().pepper,
            now=now,
            expires_at=now + timedelta(days=int(days)) if days.isdigit() and int(days) > 0 else None,
        )
    return _tokens_page(201, created=created)


@bp.post("/tokens/<id:token_id>/revoke")
@requires(Permission.TOKENS_MANAGE)
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke a token."""
    with runtime().database.session() as session:
        revoke_for(session, caller=current_caller(), token_id=token_id, now=utcnow())
    return redirect(url_for("console.tokens"), 303)


def _users_page(status: int = 200, **extra: Any) -> ResponseReturnValue:
    with runtime().database.session() as session:
        users, grants = list_users(session), all_grants(session)
    by_user = {u.id: [g for g in grants if g.user_id == u.id] for u in users}
    return render_template(
        "console/users.html", users=users, grants=by_user, roles=list(Role), **extra
    ), status


@bp.get("/users")
@requires(Permission.USERS_MANAGE)
def users() -> ResponseReturnValue:
    """Every user with roles and grants, and a form to create one."""
    return _users_page()


@bp.post("/users")
@requires(Permission.USERS_MANAGE)
def create_user_page() -> ResponseReturnValue:
    """Create a user with a one-time password, shown on this page once."""
    with runtime().database.session() as session:
        created = create_user(
            session,
            email=_form("email"),
            roles=parse_roles(request.form.getlist("roles")),
            password=None,
            now=utcnow(),
        )
    return _users_page(201, created=created)


@bp.post("/users/<id:user_id>/disable")
@requires(Permission.USERS_MANAGE)
def disable_user_page(user_id: int) -> ResponseReturnValue:
    """Disable a user, ending their sessions and tokens."""
    with runtime().database.session() as session:
        disable_user(session, user_id=user_id, now=utcnow())
    return redirect(url_for("console.users"), 303)


@bp.post("/users/<id:user_id>/grants")
@requires(Permission.USERS_MANAGE)
def grant_page(user_id: int) -> ResponseReturnValue:
    """Limit a user to one more namespace/name pattern."""
    with runtime().database.session() as session:
        grant(session, grant=Grant(_form("namespace"), _form("name") or "*"), now=utcnow(), user_id=user_id)
    return redirect(url_for("console.users"), 303)


@bp.post("/grants/<id:grant_id>/revoke")
@requires(Permission.USERS_MANAGE)
def revoke_grant_page(grant_id: int) -> ResponseReturnValue:
    """Remove a grant."""
    with runtime().database.session() as session:
        revoke_grant(session, grant_id=grant_id)
    return redirect(url_for("console.users"), 303)
