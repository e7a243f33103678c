"""API tokens: shown once, stored hashed, scoped, revocable, expiring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from governance.access import Scope, create_token, list_tokens, parse_scopes, revoke_token, verify_token
from governance.access.tokens import token_hmac
from governance.clock import utcnow
from governance.errors import InvalidInput, TokenNotFound, Unauthenticated
from governance.models import ApiToken

PEPPER = b"pepper"


def test_only_the_hmac_of_a_token_is_stored(session: Session) -> None:
    """The secret never reaches the database; its HMAC under the pepper does."""
    created = create_token(
        session, name="airflow", scopes=parse_scopes(["ingest"]), pepper=PEPPER, now=utcnow()
    )
    rows = session.execute(select(ApiToken)).scalars().all()
    assert len(created.secret) >= 43 and created.secret.startswith("hw_")
    assert all(created.secret not in str(value) for row in rows for value in row.model_dump().values())
    assert rows[0].token_hmac == token_hmac(created.secret, PEPPER)
    assert verify_token(session, secret=created.secret, pepper=PEPPER, now=utcnow()).allows(Scope.INGEST)


def test_a_token_under_another_pepper_is_unknown(session: Session) -> None:
    """Stolen hashes are useless without the server's pepper."""
    created = create_token(session, name="x", scopes=parse_scopes(["read"]), pepper=PEPPER, now=utcnow())
    with pytest.raises(Unauthenticated, match="not known"):
        verify_token(session, secret=created.secret, pepper=b"other", now=utcnow())


def test_revoked_and_expired_tokens_are_refused(session: Session) -> None:
    """Revocation and expiry both end a token."""
    now = utcnow()
    revoked = create_token(session, name="r", scopes=parse_scopes(["ingest"]), pepper=PEPPER, now=now)
    revoke_token(session, token_id=revoked.info.id, now=now)
    with pytest.raises(Unauthenticated, match="revoked"):
        verify_token(session, secret=revoked.secret, pepper=PEPPER, now=now)
    expiring = create_token(
        session,
        name="e",
        scopes=parse_scopes(["ingest"]),
        pepper=PEPPER,
        now=now,
        expires_at=now + timedelta(days=1),
    )
    with pytest.raises(Unauthenticated, match="expired"):
        verify_token(session, secret=expiring.secret, pepper=PEPPER, now=now + timedelta(days=2))


def test_admin_allows_every_scope_and_others_only_their_own(session: Session) -> None:
    """admin implies ingest, read and write; write implies neither of the others."""
    assert parse_scopes(["admin"]) == {Scope.ADMIN}
    assert parse_scopes([" Write "]) == {Scope.WRITE}
    admin = create_token(session, name="a", scopes=parse_scopes(["admin"]), pepper=PEPPER, now=utcnow())
    writer = create_token(session, name="w", scopes=parse_scopes(["write"]), pepper=PEPPER, now=utcnow())
    assert all(admin.info.allows(scope) for scope in Scope)
    assert [scope for scope in Scope if writer.info.allows(scope)] == [Scope.WRITE]
    with pytest.raises(InvalidInput, match="unknown scope 'delete'"):
        parse_scopes(["delete"])
    with pytest.raises(InvalidInput, match="at least one"):
        parse_scopes([])


def test_listing_shows_prefixes_never_secrets(session: Session) -> None:
    """A token list carries a display prefix, not the secret."""
    created = create_token(session, name="dbt", scopes=parse_scopes(["ingest"]), pepper=PEPPER, now=utcnow())
    [info] = list_tokens(session)
    assert created.secret.startswith(info.prefix) and len(info.prefix) < 16
    with pytest.raises(TokenNotFound):
        revoke_token(session, token_id=999, now=utcnow())
