"""Who is calling: a signed-in user, an API token, or nobody; what it may do and what it may see."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from governance.access.grant_store import grants_of
from governance.access.grants import EVERYTHING, Grants
from governance.access.permissions import Permission, role_permissions, scope_permissions
from governance.access.tokens import TokenInfo
from governance.access.users import get_user
from governance.errors import PermissionDenied, Unauthenticated, UserNotFound


class CallerKind(StrEnum):
    """How the caller proved who it is."""

    USER = "user"
    TOKEN = "token"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True, slots=True)
class Caller:
    """The permissions and grants one request acts with."""

    kind: CallerKind
    permissions: frozenset[Permission]
    grants: Grants
    user_id: int | None = None
    token_id: int | None = None
    must_change_password: bool = False

    def may(self, permission: Permission) -> bool:
        """True when the caller holds ``permission``."""
        return permission in self.permissions


ANONYMOUS = Caller(CallerKind.ANONYMOUS, frozenset(), EVERYTHING)


def waived(permission: Permission) -> Caller:
    """An anonymous caller let through for one permission (HEADWATER_READ_AUTH / INGEST_AUTH off)."""
    return Caller(CallerKind.ANONYMOUS, frozenset({permission}), EVERYTHING)


def token_caller(session: Session, token: TokenInfo) -> Caller:
    """A token's caller: its scopes narrowed by its owner's roles, its grants by its owner's.

    Raises:
        Unauthenticated: the token's owner is disabled or gone.
    """
    permissions = scope_permissions(token.scopes)
    if token.owner_id is not None:
        try:
            owner = get_user(session, token.owner_id)
        except UserNotFound:
            raise Unauthenticated("the token's owner no longer exists") from None
        if not owner.active:
            raise Unauthenticated("the token's owner is disabled")
        permissions &= role_permissions(owner.roles)
    return Caller(
        CallerKind.TOKEN,
        permissions,
        grants_of(session, user_id=token.owner_id, token_id=token.id),
        user_id=token.owner_id,
        token_id=token.id,
    )


def user_caller(session: Session, user_id: int) -> Caller:
    """A signed-in user's caller.

    Raises:
        Unauthenticated: the user is disabled or gone.
    """
    try:
        user = get_user(session, user_id)
    except UserNotFound:
        raise Unauthenticated("sign in again") from None
    if not user.active:
        raise Unauthenticated("the account is disabled")
    return Caller(
        CallerKind.USER,
        role_permissions(user.roles),
        grants_of(session, user_id=user_id),
        user_id=user_id,
        must_change_password=user.must_change_password,
    )


def require(caller: Caller, permission: Permission) -> None:
    """Let ``caller`` through for ``permission``.

    Raises:
        Unauthenticated: nobody signed in and no token sent.
        PermissionDenied: the caller lacks the permission, or must change its password first.
    """
    if caller.must_change_password:
        raise PermissionDenied("change your one-time password before doing anything else")
    if caller.may(permission):
        return
    if caller.kind is CallerKind.ANONYMOUS:
        raise Unauthenticated("sign in, or send the header 'Authorization: Bearer <token>' with an API token")
    raise PermissionDenied(f"this {caller.kind.value} lacks the '{permission}' permission")
