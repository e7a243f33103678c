"""Request models and response shapes of the API, in one place."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from governance.access import Caller, GrantInfo, TokenInfo
from governance.ingest.accept import Acceptance, BatchResult
from governance.lineage.read_model import iso
from governance.lineage.tagging import Tag


class TagIn(BaseModel):
    """The body of ``PUT /tags/{tag}``: Marquez's ``{"description": ...}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    description: str | None = None


def tag(value: Tag) -> dict[str, Any]:
    """A tag as Marquez writes it."""
    return {"name": value.name, "description": value.description}


def acceptance(result: Acceptance) -> dict[str, Any]:
    """The body of a 201 for one event."""
    return {"status": result.status.value, "eventHash": f"sha256:{result.content_hash}"}


def batch(result: BatchResult) -> dict[str, Any]:
    """The batch answer exactly as the OpenLineage consumer spec defines it."""
    failed = len(result.failures)
    retriable = sum(1 for f in result.failures if f.retriable)
    return {
        "status": "partial_success" if failed else "success",
        "summary": {
            "received": result.received,
            "successful": len(result.accepted),
            "failed": failed,
            "retriable": retriable,
            "non_retriable": failed - retriable,
        },
        "failed_events": [
            {"index": f.index, "reason": f.reason, "retriable": f.retriable} for f in result.failures
        ],
    }


class GrantIn(BaseModel):
    """A namespace pattern and a name pattern (globs: ``*`` any run, ``?`` one character)."""

    model_config = ConfigDict(extra="forbid")
    namespace: str = Field(min_length=1, max_length=512)
    name: str = Field(default="*", min_length=1, max_length=512)


class TokenIn(BaseModel):
    """The body of ``POST /api/v1/tokens``."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1, max_length=4)
    grants: list[GrantIn] = Field(default_factory=list, max_length=100)
    expiresDays: int | None = Field(default=None, ge=1, le=3650)  # noqa: N815  (the API's camelCase)


def grant_json(info: GrantInfo) -> dict[str, Any]:
    """One grant."""
    return {"id": info.id, "namespace": info.grant.namespace, "name": info.grant.name}


def token_json(info: TokenInfo, grants: list[GrantInfo]) -> dict[str, Any]:
    """A token as listed: never its secret."""
    return {
        "id": info.id,
        "name": info.name,
        "prefix": info.prefix,
        "scopes": sorted(info.scopes),
        "ownerId": info.owner_id,
        "createdAt": iso(info.created_at),
        "expiresAt": iso(info.expires_at),
        "revokedAt": iso(info.revoked_at),
        "lastUsedAt": iso(info.last_used_at),
        "grants": [grant_json(g) for g in grants],
    }


def caller_json(caller: Caller, email: str | None) -> dict[str, Any]:
    """Who the caller is and what it may do."""
    return {
        "kind": caller.kind.value,
        "userId": caller.user_id,
        "tokenId": caller.token_id,
        "email": email,
        "permissions": sorted(caller.permissions),
        "limitedByGrants": not caller.grants.is_unrestricted,
        "mustChangePassword": caller.must_change_password,
    }
