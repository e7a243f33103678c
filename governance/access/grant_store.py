"""Grants kept in the database: added to and revoked from a user or a token, read as ``Grants``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.access.grants import EVERYTHING, Grant, Grants
from governance.access.tables import access_grant, user_account
from governance.errors import GrantNotFound, InvalidInput, TokenNotFound, UserNotFound
from governance.models import ApiToken


@dataclass(frozen=True, slots=True)
class GrantInfo:
    """One stored grant and whom it limits."""

    id: int
    grant: Grant
    user_id: int | None
    token_id: int | None
    created_at: datetime


def _holder_column(*, user_id: int | None, token_id: int | None) -> tuple[sa.Column[Any], int]:
    if (user_id is None) == (token_id is None):
        raise InvalidInput("a grant belongs to exactly one user or one token")
    if user_id is not None:
        return access_grant.c.user_id, user_id
    assert token_id is not None
    return access_grant.c.token_id, token_id


def _check_holder(session: Session, *, user_id: int | None, token_id: int | None) -> None:
    if user_id is not None:
        found = session.execute(sa.select(user_account.c.id).where(user_account.c.id == user_id)).first()
        if found is None:
            raise UserNotFound(user_id)
    if token_id is not None and session.get(ApiToken, token_id) is None:
        raise TokenNotFound(token_id)


def _info(row: Any) -> GrantInfo:
    return GrantInfo(
        id=int(row.id),
        grant=Grant(row.namespace_pattern, row.name_pattern),
        user_id=row.user_id,
        token_id=row.token_id,
        created_at=row.created_at,
    )


def add_grants(
    session: Session,
    *,
    grants: list[Grant],
    now: datetime,
    user_id: int | None = None,
    token_id: int | None = None,
) -> list[GrantInfo]:
    """Limit a user or a token to what its grants match (adding to the grants it has); a helper: no commit."""
    column, holder = _holder_column(user_id=user_id, token_id=token_id)
    _check_holder(session, user_id=user_id, token_id=token_id)
    existing = {g.grant for g in list_grants(session, user_id=user_id, token_id=token_id)}
    for grant in sorted(set(grants) - existing):
        session.execute(
            sa.insert(access_grant).values(
                {
                    column.name: holder,
                    "namespace_pattern": grant.namespace,
                    "name_pattern": grant.name,
                    "created_at": now,
                }
            )
        )
    return list_grants(session, user_id=user_id, token_id=token_id)


def grant(
    session: Session, *, grant: Grant, now: datetime, user_id: int | None = None, token_id: int | None = None
) -> GrantInfo:
    """Add one grant to a user or a token; granting it again changes nothing."""
    found = add_grants(session, grants=[grant], now=now, user_id=user_id, token_id=token_id)
    session.commit()
    return next(g for g in found if g.grant == grant)


def revoke_grant(session: Session, *, grant_id: int) -> GrantInfo:
    """Remove one grant; a holder left with none sees everything its roles or scopes allow."""
    row = session.execute(sa.select(access_grant).where(access_grant.c.id == grant_id)).first()
    if row is None:
        raise GrantNotFound(grant_id)
    session.execute(sa.delete(access_grant).where(access_grant.c.id == grant_id))
    session.commit()
    return _info(row)


def list_grants(
    session: Session, *, user_id: int | None = None, token_id: int | None = None
) -> list[GrantInfo]:
    """The grants of one user or one token, oldest first."""
    column, holder = _holder_column(user_id=user_id, token_id=token_id)
    rows = session.execute(sa.select(access_grant).where(column == holder).order_by(access_grant.c.id))
    return [_info(row) for row in rows]


def all_grants(session: Session) -> list[GrantInfo]:
    """Every grant, oldest first."""
    return [_info(row) for row in session.execute(sa.select(access_grant).order_by(access_grant.c.id))]


def grants_of(session: Session, *, user_id: int | None, token_id: int | None = None) -> Grants:
    """What a user, or a token acting for its owner, may see: every holder's grants narrow it."""
    found = EVERYTHING
    if user_id is not None:
        found = found.narrowed(g.grant for g in list_grants(session, user_id=user_id))
    if token_id is not None:
        found = found.narrowed(g.grant for g in list_grants(session, token_id=token_id))
    return found
