"""API tokens managed by their users: list, create (the secret shown once), revoke."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from governance.access import Grant, Permission, issue_token, parse_scopes, revoke_for, tokens_for
from governance.clock import utcnow
from web.api import schemas
from web.auth import current_caller, requires
from web.runtime import runtime

bp = Blueprint("tokens", __name__)


@bp.get("/tokens")
@requires(Permission.TOKENS_MANAGE)
def list_tokens() -> ResponseReturnValue:
    """The caller's tokens (everyone's for an admin), newest first."""
    with runtime().database.session() as session:
        views = tokens_for(session, caller=current_caller())
    return {"tokens": [schemas.token_json(v.info, v.grants) for v in views]}


@bp.post("/tokens")
@requires(Permission.TOKENS_MANAGE)
def create_token() -> ResponseReturnValue:
    """A new token acting for the caller; its secret is in this answer and nowhere else."""
    body = schemas.TokenIn.model_validate(request.get_json(silent=True))
    now = utcnow()
    with runtime().database.session() as session:
        created, grants = issue_token(
            session,
            caller=current_caller(),
            name=body.name,
            scopes=parse_scopes(body.scopes),
            grants=[Grant(g.namespace, g.name) for g in body.grants],
            pepper=runtime().pepper,
            now=now,
            expires_at=now + timedelta(days=body.expiresDays) if body.expiresDays else None,
        )
    return {"token": schemas.token_json(created.info, grants), "secret": created.secret}, 201


@bp.delete("/tokens/<id:token_id>")
@requires(Permission.TOKENS_MANAGE)
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke one of the caller's tokens (any token, for an admin)."""
    with runtime().database.session() as session:
        info = revoke_for(session, caller=current_caller(), token_id=token_id, now=utcnow())
        views = [v for v in tokens_for(session, caller=current_caller()) if v.info.id == info.id]
    return {"token": schemas.token_json(info, views[0].grants if views else [])}
