"""What each role and each token scope may do: one table of permissions, declared once.

A route declares the one permission it needs; a caller holds a set of them, from its roles (a
signed-in user) or its scopes (an API token, never more than its owner's roles allow).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from governance.errors import InvalidInput


class Permission(StrEnum):
    """One thing a caller may do."""

    CATALOG_READ = "catalog:read"
    """Read the catalog, the lineage graph, raw events and stats (within the caller's grants)."""
    CATALOG_WRITE = "catalog:write"
    """Change catalog metadata: tags, descriptions, classifications, soft deletes of datasets and jobs."""
    LINEAGE_INGEST = "lineage:ingest"
    """Send OpenLineage events."""
    INCIDENTS_ACK = "incidents:ack"
    """Acknowledge and resolve incidents."""
    TOKENS_MANAGE = "tokens:manage"
    """Create, list and revoke one's own API tokens."""
    USERS_MANAGE = "users:manage"
    """Create and disable users, set roles and grants, see and revoke every token."""


class Role(StrEnum):
    """A user's role; a user may hold several."""

    VIEWER = "viewer"
    STEWARD = "steward"
    ONCALL = "oncall"
    ADMIN = "admin"


class Scope(StrEnum):
    """What a token may do; ``admin`` may do everything."""

    INGEST = "ingest"  # send OpenLineage events
    READ = "read"  # read the catalog, the lineage graph and the raw events
    WRITE = "write"  # edit catalog metadata: tags and soft deletes of datasets and jobs
    ADMIN = "admin"


ALL_PERMISSIONS = frozenset(Permission)

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.CATALOG_READ, Permission.TOKENS_MANAGE}),
    Role.STEWARD: frozenset(
        {
            Permission.CATALOG_READ,
            Permission.CATALOG_WRITE,
            Permission.LINEAGE_INGEST,
            Permission.TOKENS_MANAGE,
        }
    ),
    Role.ONCALL: frozenset({Permission.CATALOG_READ, Permission.INCIDENTS_ACK, Permission.TOKENS_MANAGE}),
    Role.ADMIN: ALL_PERMISSIONS,
}

SCOPE_PERMISSIONS: Mapping[Scope, frozenset[Permission]] = {
    Scope.INGEST: frozenset({Permission.LINEAGE_INGEST}),
    Scope.READ: frozenset({Permission.CATALOG_READ}),
    Scope.WRITE: frozenset({Permission.CATALOG_WRITE}),
    Scope.ADMIN: ALL_PERMISSIONS,
}


def role_permissions(roles: Iterable[Role]) -> frozenset[Permission]:
    """Everything any of ``roles`` may do.

    >>> sorted(role_permissions([Role.VIEWER]))
    [<Permission.CATALOG_READ: 'catalog:read'>, <Permission.TOKENS_MANAGE: 'tokens:manage'>]
    """
    found: set[Permission] = set()
    for role in roles:
        found |= ROLE_PERMISSIONS[role]
    return frozenset(found)


def scope_permissions(scopes: Iterable[Scope]) -> frozenset[Permission]:
    """Everything a token with ``scopes`` may do, before its owner's roles narrow it.

    >>> sorted(scope_permissions([Scope.INGEST]))
    [<Permission.LINEAGE_INGEST: 'lineage:ingest'>]
    """
    found: set[Permission] = set()
    for scope in scopes:
        found |= SCOPE_PERMISSIONS[scope]
    return frozenset(found)


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    """Turn role names into roles.

    Raises:
        InvalidInput: for an unknown name or none at all.

    >>> sorted(parse_roles(["Admin", " viewer"]))
    [<Role.ADMIN: 'admin'>, <Role.VIEWER: 'viewer'>]
    """
    roles = set()
    for name in names:
        try:
            roles.add(Role(name.strip().lower()))
        except ValueError:
            raise InvalidInput(f"unknown role {name!r}; use {', '.join(r.value for r in Role)}") from None
    if not roles:
        raise InvalidInput("a user needs at least one role")
    return frozenset(roles)
