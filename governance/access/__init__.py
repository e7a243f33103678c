"""Who may do what: API tokens and their scopes."""

from governance.access.tokens import (
    CreatedToken,
    Scope,
    TokenInfo,
    create_token,
    list_tokens,
    parse_scopes,
    record_use,
    revoke_token,
    verify_token,
)

__all__ = [
    "CreatedToken",
    "Scope",
    "TokenInfo",
    "create_token",
    "list_tokens",
    "parse_scopes",
    "record_use",
    "revoke_token",
    "verify_token",
]
