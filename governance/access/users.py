"""Users: accounts with roles, created from the command line or by an admin, never by default.

A new account gets either the password given or a generated one-time password, which must be
changed at first sign-in. Disabling a user, resetting a password or signing out rotates the
user's ``fs_uniquifier``, which ends every session the user has anywhere.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.access.passwords import hash_password, one_time_password
from governance.access.permissions import Role
from governance.access.tables import user_account, user_role
from governance.errors import InvalidInput, LastAdmin, UserExists, UserNotFound

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MAX_EMAIL_CHARS = 254


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as it may be shown: never the password hash or the session key."""

    id: int
    email: str
    roles: frozenset[Role]
    active: bool
    must_change_password: bool
    two_factor: bool
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True, slots=True)
class CreatedUser:
    """A new (or reset) account and its one-time password, shown once; None when one was given."""

    info: UserInfo
    one_time_password: str | None


def normalize_email(email: str) -> str:
    """The address as accounts are keyed: trimmed and lower-cased.

    Raises:
        InvalidInput: not an address.

    >>> normalize_email("  Ada@Example.ORG ")
    'ada@example.org'
    """
    text = email.strip().lower()
    if len(text) > MAX_EMAIL_CHARS or not _EMAIL.match(text):
        raise InvalidInput(f"{email!r} is not an e-mail address")
    return text


def _new_uniquifier() -> str:
    return uuid.uuid4().hex


def _info(session: Session, row: Any) -> UserInfo:
    roles = session.execute(sa.select(user_role.c.role).where(user_role.c.user_id == row.id)).scalars()
    return UserInfo(
        id=int(row.id),
        email=row.email,
        roles=frozenset(Role(r) for r in roles),
        active=bool(row.active),
        must_change_password=bool(row.must_change_password),
        two_factor=row.tf_primary_method is not None,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


def _row(session: Session, user_id: int) -> Any:
    row = session.execute(sa.select(user_account).where(user_account.c.id == user_id)).first()
    if row is None:
        raise UserNotFound(user_id)
    return row


def get_user(session: Session, user_id: int) -> UserInfo:
    """One user by id."""
    return _info(session, _row(session, user_id))


def find_user(session: Session, email: str) -> UserInfo:
    """One user by address, any case."""
    address = normalize_email(email)
    row = session.execute(sa.select(user_account).where(user_account.c.email == address)).first()
    if row is None:
        raise UserNotFound(address)
    return _info(session, row)


def list_users(session: Session) -> list[UserInfo]:
    """Every user, by address."""
    rows = session.execute(sa.select(user_account).order_by(user_account.c.email)).all()
    return [_info(session, row) for row in rows]


def _set_roles(session: Session, user_id: int, roles: Iterable[Role]) -> None:
    session.execute(sa.delete(user_role).where(user_role.c.user_id == user_id))
    for role in sorted(set(roles)):
        session.execute(sa.insert(user_role).values(user_id=user_id, role=role.value))


def create_user(
    session: Session, *, email: str, roles: frozenset[Role], password: str | None, now: datetime
) -> CreatedUser:
    """Create an account; without ``password`` it gets a one-time password to change at first sign-in.

    Raises:
        InvalidInput: a bad address, no role, or a password breaking the rules.
        UserExists: the address has an account.
    """
    address = normalize_email(email)
    if not roles:
        raise InvalidInput("a user needs at least one role")
    generated = None if password is not None else one_time_password()
    password_hash = hash_password(password if password is not None else str(generated))
    if session.execute(sa.select(user_account.c.id).where(user_account.c.email == address)).first():
        raise UserExists(address)
    user_id = session.execute(
        sa.insert(user_account)
        .values(
            email=address,
            password=password_hash,
            active=True,
            fs_uniquifier=_new_uniquifier(),
            must_change_password=generated is not None,
            created_at=now,
        )
        .returning(user_account.c.id)
    ).scalar_one()
    _set_roles(session, user_id, roles)
    session.commit()
    return CreatedUser(get_user(session, user_id), generated)


def _other_active_admins(session: Session, user_id: int) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(user_account.join(user_role, user_role.c.user_id == user_account.c.id))
        .where(user_role.c.role == Role.ADMIN.value, user_account.c.active, user_account.c.id != user_id)
    )
    return int(session.execute(query).scalar_one())


def _keep_an_admin(session: Session, user: UserInfo) -> None:
    if Role.ADMIN in user.roles and user.active and _other_active_admins(session, user.id) == 0:
        raise LastAdmin(user.id)


def set_roles(session: Session, *, user_id: int, roles: frozenset[Role]) -> UserInfo:
    """Replace a user's roles.

    Raises:
        LastAdmin: the user is the last active admin and would stop being one.
    """
    user = get_user(session, user_id)
    if not roles:
        raise InvalidInput("a user needs at least one role")
    if Role.ADMIN not in roles:
        _keep_an_admin(session, user)
    _set_roles(session, user_id, roles)
    session.commit()
    return get_user(session, user_id)


def disable_user(session: Session, *, user_id: int, now: datetime) -> UserInfo:
    """Disable an account and end its sessions; its tokens stop working with it.

    Raises:
        LastAdmin: the user is the last active admin.
    """
    user = get_user(session, user_id)
    if user.active:
        _keep_an_admin(session, user)
        session.execute(
            sa.update(user_account)
            .where(user_account.c.id == user_id)
            .values(active=False, disabled_at=now, fs_uniquifier=_new_uniquifier())
        )
        session.commit()
    return get_user(session, user_id)


def enable_user(session: Session, *, user_id: int) -> UserInfo:
    """Enable a disabled account again."""
    _row(session, user_id)
    session.execute(
        sa.update(user_account).where(user_account.c.id == user_id).values(active=True, disabled_at=None)
    )
    session.commit()
    return get_user(session, user_id)


def reset_password(session: Session, *, user_id: int, password: str | None) -> CreatedUser:
    """Set a new password (a one-time one when none is given) and end the user's sessions."""
    _row(session, user_id)
    generated = None if password is not None else one_time_password()
    session.execute(
        sa.update(user_account)
        .where(user_account.c.id == user_id)
        .values(
            password=hash_password(password if password is not None else str(generated)),
            must_change_password=generated is not None,
            fs_uniquifier=_new_uniquifier(),
        )
    )
    session.commit()
    return CreatedUser(get_user(session, user_id), generated)


def end_sessions(session: Session, *, user_id: int) -> None:
    """End every session of the user, on every device (sign-out does this)."""
    session.execute(
        sa.update(user_account).where(user_account.c.id == user_id).values(fs_uniquifier=_new_uniquifier())
    )
    session.commit()


def provision_user(session: Session, *, email: str, roles: frozenset[Role], now: datetime) -> CreatedUser:
    """The account of ``email`` with ``roles``, enabled, with a fresh one-time password, made if missing."""
    address = normalize_email(email)
    existing = session.execute(sa.select(user_account.c.id).where(user_account.c.email == address)).first()
    if existing is None:
        return create_user(session, email=address, roles=roles, password=None, now=now)
    user_id = int(existing.id)
    _set_roles(session, user_id, roles)
    session.execute(
        sa.update(user_account).where(user_account.c.id == user_id).values(active=True, disabled_at=None)
    )
    return reset_password(session, user_id=user_id, password=None)
