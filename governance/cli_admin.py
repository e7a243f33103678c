"""``headwater admin ...``: users, roles and grants from the terminal, thin over governance.access.

There is no default account: the first admin is made here (``headwater up --demo`` makes a demo
admin instead). A password given on stdin is used as is; otherwise a one-time password is
printed, to be changed at first sign-in.
"""

from __future__ import annotations

import sys

import click

from governance.access import (
    Grant,
    create_user,
    disable_user,
    enable_user,
    find_user,
    grant,
    list_grants,
    list_users,
    parse_roles,
    reset_password,
    revoke_grant,
    set_roles,
)
from governance.clock import utcnow
from governance.config import get_settings
from governance.db import Database


def _database() -> Database:
    return Database(get_settings().resolved_database_url, pool_size=1)


def _read_password(password_stdin: bool) -> str | None:
    return sys.stdin.readline().rstrip("\r\n") if password_stdin else None


@click.group()
def admin() -> None:
    """Users, roles and per-dataset grants."""


@admin.command("create-user")
@click.option("--email", required=True, help="The user's address; it signs them in.")
@click.option(
    "--role", "roles", multiple=True, required=True, help="viewer, steward, oncall or admin; repeatable."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def create_user_command(email: str, roles: tuple[str, ...], password_stdin: bool) -> None:
    """Create a user; without --password-stdin a one-time password is printed."""
    with _database().session() as session:
        created = create_user(
            session,
            email=email,
            roles=parse_roles(roles),
            password=_read_password(password_stdin),
            now=utcnow(),
        )
    click.echo(
        f"user {created.info.id} {created.info.email} ({', '.join(sorted(created.info.roles))})", err=True
    )
    if created.one_time_password:
        click.echo(created.one_time_password)
        click.echo("one-time password above: shown once, to be changed at first sign-in", err=True)


@admin.command("list-users")
def list_users_command() -> None:
    """List users with their roles, state and number of grants."""
    with _database().session() as session:
        users = [(u, len(list_grants(session, user_id=u.id))) for u in list_users(session)]
    for user, grants in users:
        state = "active" if user.active else "disabled"
        limited = f"{grants} grants" if grants else "all datasets"
        click.echo(f"{user.id}\t{user.email}\t{','.join(sorted(user.roles))}\t{state}\t{limited}")


@admin.command("disable-user")
@click.argument("email")
def disable_user_command(email: str) -> None:
    """Disable a user: their sessions end and their tokens stop working."""
    with _database().session() as session:
        user = disable_user(session, user_id=find_user(session, email).id, now=utcnow())
    click.echo(f"user {user.id} {user.email} disabled")


@admin.command("enable-user")
@click.argument("email")
def enable_user_command(email: str) -> None:
    """Enable a disabled user again."""
    with _database().session() as session:
        user = enable_user(session, user_id=find_user(session, email).id)
    click.echo(f"user {user.id} {user.email} enabled")


@admin.command("set-roles")
@click.argument("email")
@click.option(
    "--role", "roles", multiple=True, required=True, help="viewer, steward, oncall or admin; repeatable."
)
def set_roles_command(email: str, roles: tuple[str, ...]) -> None:
    """Replace a user's roles."""
    with _database().session() as session:
        user = set_roles(session, user_id=find_user(session, email).id, roles=parse_roles(roles))
    click.echo(f"user {user.id} {user.email}: {', '.join(sorted(user.roles))}")


@admin.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def reset_password_command(email: str, password_stdin: bool) -> None:
    """Set a new password (a printed one-time one by default) and end the user's sessions."""
    with _database().session() as session:
        reset = reset_password(
            session, user_id=find_user(session, email).id, password=_read_password(password_stdin)
        )
    if reset.one_time_password:
        click.echo(reset.one_time_password)
    click.echo(f"user {reset.info.id} {reset.info.email}: password reset, sessions ended", err=True)


@admin.command("grant")
@click.argument("email")
@click.option("--namespace", required=True, help="Namespace pattern: * any run of characters, ? one.")
@click.option("--name", default="*", show_default=True, help="Dataset or job name pattern.")
def grant_command(email: str, namespace: str, name: str) -> None:
    """Limit a user to datasets and jobs matching the patterns (added to their other grants)."""
    with _database().session() as session:
        info = grant(
            session, grant=Grant(namespace, name), now=utcnow(), user_id=find_user(session, email).id
        )
    click.echo(f"grant {info.id}: {email} may see {info.grant.namespace} {info.grant.name}")


@admin.command("revoke-grant")
@click.argument("grant_id", type=int)
def revoke_grant_command(grant_id: int) -> None:
    """Remove a grant by id (a user left with none sees everything their roles allow)."""
    with _database().session() as session:
        info = revoke_grant(session, grant_id=grant_id)
    click.echo(f"grant {info.id} revoked")


@admin.command("list-grants")
@click.argument("email")
def list_grants_command(email: str) -> None:
    """List a user's grants."""
    with _database().session() as session:
        grants = list_grants(session, user_id=find_user(session, email).id)
    for info in grants:
        click.echo(f"{info.id}\t{info.grant.namespace}\t{info.grant.name}")
