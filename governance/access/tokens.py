"""API tokens: 256-bit secrets shown once, kept only as HMAC-SHA-256 under a server pepper."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session, col

from governance.access.permissions import Scope
from governance.errors import InvalidInput, TokenNotFound, Unauthenticated
from governance.models import ApiToken

TOKEN_PREFIX = "hw_"
_DISPLAY_CHARS = 10


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as it may be listed: never its secret."""

    id: int
    name: str
    prefix: str
    scopes: frozenset[Scope]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    owner_id: int | None = None

    @classmethod
    def of(cls, row: ApiToken) -> TokenInfo:
        """Copy a row into a read model."""
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            scopes=parse_scopes(row.scopes.split(",")),
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
            owner_id=row.owner_id,
        )

    def allows(self, scope: Scope) -> bool:
        """True when the token carries ``scope`` or ``admin``."""
        return scope in self.scopes or Scope.ADMIN in self.scopes


@dataclass(frozen=True, slots=True)
class CreatedToken:
    """A new token with its secret, which is not stored and cannot be shown again."""

    info: TokenInfo
    secret: str


def parse_scopes(names: Iterable[str]) -> frozenset[Scope]:
    """Turn scope names into scopes.

    Raises:
        InvalidInput: for an unknown name or none at all.

    >>> sorted(parse_scopes(["read", "ingest"]))
    [<Scope.INGEST: 'ingest'>, <Scope.READ: 'read'>]
    """
    scopes = set()
    for name in names:
        try:
            scopes.add(Scope(name.strip().lower()))
        except ValueError:
            raise InvalidInput(f"unknown scope {name!r}; use {', '.join(s.value for s in Scope)}") from None
    if not scopes:
        raise InvalidInput("a token needs at least one scope")
    return frozenset(scopes)


def token_hmac(secret: str, pepper: bytes) -> str:
    """The stored form of a token secret."""
    return hmac.new(pepper, secret.encode(), hashlib.sha256).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    scopes: frozenset[Scope],
    pepper: bytes,
    now: datetime,
    expires_at: datetime | None = None,
    owner_id: int | None = None,
    commit: bool = True,
) -> CreatedToken:
    """Mint a token (acting for ``owner_id`` when given); its secret is returned once, its HMAC stored."""
    if not name.strip():
        raise InvalidInput("a token needs a name")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("a token cannot expire in the past")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name.strip(),
        token_hmac=token_hmac(secret, pepper),
        prefix=secret[:_DISPLAY_CHARS],
        scopes=",".join(sorted(scopes)),
        created_at=now,
        expires_at=expires_at,
        owner_id=owner_id,
    )
    session.add(row)
    if commit:
        session.commit()
    else:
        session.flush()
    return CreatedToken(info=TokenInfo.of(row), secret=secret)


def verify_token(session: Session, *, secret: str, pepper: bytes, now: datetime) -> TokenInfo:
    """The token behind ``secret`` if it is live.

    Raises:
        Unauthenticated: unknown, revoked or expired.
    """
    row = session.execute(
        select(ApiToken).where(col(ApiToken.token_hmac) == token_hmac(secret, pepper))
    ).scalar_one_or_none()
    if row is None:
        raise Unauthenticated("the token is not known")
    if row.revoked_at is not None:
        raise Unauthenticated("the token was revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthenticated("the token has expired")
    return TokenInfo.of(row)


def record_use(session: Session, *, token_id: int, now: datetime) -> None:
    """Note that a token was used."""
    session.execute(update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=now))
    session.commit()


def revoke_token(session: Session, *, token_id: int, now: datetime) -> TokenInfo:
    """Revoke a token; revoking it again keeps the first revocation time."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise TokenNotFound(token_id)
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        session.commit()
    return TokenInfo.of(row)


def list_tokens(session: Session, *, owner_id: int | None = None) -> list[TokenInfo]:
    """Every token (or those acting for ``owner_id``), newest first."""
    query = select(ApiToken).order_by(col(ApiToken.id).desc())
    if owner_id is not None:
        query = query.where(col(ApiToken.owner_id) == owner_id)
    rows = session.execute(query).scalars()
    return [TokenInfo.of(row) for row in rows]
