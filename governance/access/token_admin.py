"""Tokens managed by their users: create one within your own rights, list and revoke your own.

A caller with ``users:manage`` sees and revokes every token; anyone else only the tokens that
act for them. A token someone may not see is answered as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from governance.access.callers import Caller, require
from governance.access.grant_store import GrantInfo, add_grants, list_grants
from governance.access.grants import Grant
from governance.access.permissions import Permission, Scope, scope_permissions
from governance.access.tokens import CreatedToken, TokenInfo, create_token, list_tokens, revoke_token
from governance.errors import PermissionDenied, TokenNotFound
from governance.models import ApiToken

MAX_TOKENS_LISTED = 1000


@dataclass(frozen=True, slots=True)
class TokenView:
    """A token with its grants, as its owner or an admin sees it."""

    info: TokenInfo
    grants: list[GrantInfo]


def _manages_all(caller: Caller) -> bool:
    return caller.may(Permission.USERS_MANAGE)


def issue_token(
    session: Session,
    *,
    caller: Caller,
    name: str,
    scopes: frozenset[Scope],
    grants: list[Grant],
    pepper: bytes,
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[CreatedToken, list[GrantInfo]]:
    """A new token acting for the caller's user, never allowed more than the caller.

    Raises:
        PermissionDenied: the caller lacks ``tokens:manage`` or a permission a scope brings.
    """
    require(caller, Permission.TOKENS_MANAGE)
    beyond = sorted(scope_permissions(scopes) - caller.permissions)
    if beyond:
        raise PermissionDenied(f"a token cannot have more than its creator: missing {', '.join(beyond)}")
    created = create_token(
        session,
        name=name,
        scopes=scopes,
        pepper=pepper,
        now=now,
        expires_at=expires_at,
        owner_id=caller.user_id,
        commit=False,
    )
    stored = add_grants(session, grants=grants, now=now, token_id=created.info.id)
    session.commit()
    return created, stored


def tokens_for(session: Session, *, caller: Caller) -> list[TokenView]:
    """The tokens the caller may manage, newest first."""
    require(caller, Permission.TOKENS_MANAGE)
    if _manages_all(caller):
        tokens = list_tokens(session)
    elif caller.user_id is None:
        tokens = []
    else:
        tokens = list_tokens(session, owner_id=caller.user_id)
    return [TokenView(t, list_grants(session, token_id=t.id)) for t in tokens[:MAX_TOKENS_LISTED]]


def revoke_for(session: Session, *, caller: Caller, token_id: int, now: datetime) -> TokenInfo:
    """Revoke a token the caller may manage.

    Raises:
        TokenNotFound: no such token, or one the caller may not see.
    """
    require(caller, Permission.TOKENS_MANAGE)
    row = session.get(ApiToken, token_id)
    if row is None or not (_manages_all(caller) or (caller.user_id and row.owner_id == caller.user_id)):
        raise TokenNotFound(token_id)
    return revoke_token(session, token_id=token_id, now=now)
