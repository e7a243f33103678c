"""Users, roles, grants and callers in the domain, over a migrated SQLite database."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from governance.access import (
    ROLE_PERMISSIONS,
    Grant,
    Permission,
    Role,
    Scope,
    create_token,
    create_user,
    disable_user,
    end_sessions,
    get_user,
    grant,
    issue_token,
    list_users,
    parse_roles,
    require,
    reset_password,
    revoke_for,
    set_roles,
    token_caller,
    tokens_for,
    user_caller,
    visible,
)
from governance.access.passwords import verify_password
from governance.access.tables import user_account
from governance.clock import utcnow
from governance.errors import (
    InvalidInput,
    LastAdmin,
    PermissionDenied,
    TokenNotFound,
    Unauthenticated,
    UserExists,
)

PEPPER = b"pepper"
PASSWORD = "correct horse battery"


def _user(session: Session, email: str, role: Role) -> int:
    """A user who has set a password already."""
    return create_user(session, email=email, roles=frozenset({role}), password=PASSWORD, now=utcnow()).info.id


def _uniquifier(session: Session, user_id: int) -> str:
    return str(session.execute(user_account.select().where(user_account.c.id == user_id)).one().fs_uniquifier)


def _password_hash(session: Session, user_id: int) -> str:
    return str(session.execute(user_account.select().where(user_account.c.id == user_id)).one().password)


def test_the_permission_table_is_small_and_admin_holds_everything() -> None:
    """Each role maps to a set of declared permissions; admin holds all of them; viewers only read."""
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert ROLE_PERMISSIONS[Role.ADMIN] == frozenset(Permission)
    assert Permission.USERS_MANAGE not in ROLE_PERMISSIONS[Role.STEWARD] | ROLE_PERMISSIONS[Role.ONCALL]
    assert ROLE_PERMISSIONS[Role.VIEWER] == {Permission.CATALOG_READ, Permission.TOKENS_MANAGE}
    with pytest.raises(InvalidInput, match="unknown role 'root'"):
        parse_roles(["root"])


def test_the_write_scope_is_catalog_write_and_only_stewards_and_admins_hold_it(session: Session) -> None:
    """A write token edits the catalog and nothing else; of the roles, stewards and admins edit."""
    assert {r for r in Role if Permission.CATALOG_WRITE in ROLE_PERMISSIONS[r]} == {Role.STEWARD, Role.ADMIN}
    writer = create_token(session, name="w", scopes=frozenset({Scope.WRITE}), pepper=PEPPER, now=utcnow())
    assert token_caller(session, writer.info).permissions == {Permission.CATALOG_WRITE}


def test_a_user_without_a_password_gets_a_one_time_one_to_change(session: Session) -> None:
    """The generated password is returned once, stored only as an argon2id hash, and flagged."""
    created = create_user(
        session, email=" Ada@Example.org", roles=frozenset({Role.ADMIN}), password=None, now=utcnow()
    )
    assert created.one_time_password and created.info.must_change_password
    assert created.info.email == "ada@example.org" and created.info.roles == {Role.ADMIN}
    stored = _password_hash(session, created.info.id)
    assert stored.startswith("$argon2id$") and created.one_time_password not in stored
    assert verify_password(stored, created.one_time_password)
    given = create_user(
        session,
        email="bo@example.org",
        roles=frozenset({Role.VIEWER}),
        password="correct horse battery",
        now=utcnow(),
    )
    assert given.one_time_password is None and not given.info.must_change_password


def test_bad_users_are_refused(session: Session) -> None:
    """A duplicate address, a short password, a non-address: each refused with its reason."""
    create_user(session, email="a@x.org", roles=frozenset({Role.VIEWER}), password=None, now=utcnow())
    with pytest.raises(UserExists):
        create_user(session, email="A@X.org", roles=frozenset({Role.VIEWER}), password=None, now=utcnow())
    with pytest.raises(InvalidInput, match="at least 12"):
        create_user(session, email="b@x.org", roles=frozenset({Role.VIEWER}), password="short", now=utcnow())
    with pytest.raises(InvalidInput, match="not an e-mail"):
        create_user(session, email="nobody", roles=frozenset({Role.VIEWER}), password=None, now=utcnow())


def test_disable_reset_and_sign_out_end_every_session(session: Session) -> None:
    """Each of them rotates the session key; a disabled user is no caller at all."""
    admin = create_user(
        session, email="root@x.org", roles=frozenset({Role.ADMIN}), password=None, now=utcnow()
    )
    user = create_user(session, email="u@x.org", roles=frozenset({Role.STEWARD}), password=None, now=utcnow())
    keys = [_uniquifier(session, user.info.id)]
    end_sessions(session, user_id=user.info.id)
    keys.append(_uniquifier(session, user.info.id))
    reset = reset_password(session, user_id=user.info.id, password=None)
    keys.append(_uniquifier(session, user.info.id))
    assert reset.one_time_password and reset.info.must_change_password
    disable_user(session, user_id=user.info.id, now=utcnow())
    keys.append(_uniquifier(session, user.info.id))
    assert len(set(keys)) == 4
    assert not get_user(session, user.info.id).active
    with pytest.raises(Unauthenticated, match="disabled"):
        user_caller(session, user.info.id)
    assert [u.email for u in list_users(session)] == ["root@x.org", "u@x.org"]
    assert user_caller(session, admin.info.id).may(Permission.USERS_MANAGE)


def test_the_last_admin_cannot_be_disabled_or_demoted(session: Session) -> None:
    """There is always an active admin to manage the others."""
    admin = create_user(
        session, email="root@x.org", roles=frozenset({Role.ADMIN}), password=None, now=utcnow()
    )
    with pytest.raises(LastAdmin):
        disable_user(session, user_id=admin.info.id, now=utcnow())
    with pytest.raises(LastAdmin):
        set_roles(session, user_id=admin.info.id, roles=frozenset({Role.VIEWER}))
    other = create_user(
        session, email="two@x.org", roles=frozenset({Role.ADMIN}), password=None, now=utcnow()
    )
    assert set_roles(session, user_id=admin.info.id, roles=frozenset({Role.VIEWER})).roles == {Role.VIEWER}
    assert get_user(session, other.info.id).active


def test_a_token_never_exceeds_its_owner(session: Session) -> None:
    """Scopes are narrowed by the owner's roles; a disabled owner ends the token; grants add up."""
    root = _user(session, "root@x.org", Role.ADMIN)
    viewer = _user(session, "v@x.org", Role.VIEWER)
    grant(session, grant=Grant("s3://lake", "*"), now=utcnow(), user_id=viewer)
    caller = user_caller(session, viewer)
    for scope, permission in ((Scope.INGEST, "lineage:ingest"), (Scope.WRITE, "catalog:write")):
        with pytest.raises(PermissionDenied, match=permission):
            issue_token(
                session,
                caller=caller,
                name="x",
                scopes=frozenset({scope}),
                grants=[],
                pepper=PEPPER,
                now=utcnow(),
            )
    created, stored = issue_token(
        session,
        caller=caller,
        name="reader",
        scopes=frozenset({Scope.READ}),
        grants=[Grant("*", "raw/*")],
        pepper=PEPPER,
        now=utcnow(),
    )
    assert [g.grant for g in stored] == [Grant("*", "raw/*")]
    as_token = token_caller(session, created.info)
    assert as_token.permissions == {Permission.CATALOG_READ} and as_token.user_id == viewer
    assert visible(as_token.grants, "s3://lake", "raw/plays")
    assert not visible(as_token.grants, "s3://lake", "curated/plays")
    assert not visible(as_token.grants, "s3://other", "raw/plays")
    # An admin-scoped token of a viewer is a viewer's token.
    legacy = create_token(
        session,
        name="old",
        scopes=frozenset({Scope.ADMIN}),
        pepper=PEPPER,
        now=utcnow(),
        owner_id=viewer,
    )
    assert token_caller(session, legacy.info).permissions == {
        Permission.CATALOG_READ,
        Permission.TOKENS_MANAGE,
    }
    disable_user(session, user_id=viewer, now=utcnow())
    with pytest.raises(Unauthenticated, match="owner is disabled"):
        token_caller(session, created.info)
    assert len(tokens_for(session, caller=user_caller(session, root))) == 2


def test_someone_elses_token_does_not_exist_for_you(session: Session) -> None:
    """Revoking another user's token is a not-found; an admin may revoke any token."""
    root = _user(session, "root@x.org", Role.ADMIN)
    a = _user(session, "a@x.org", Role.STEWARD)
    b = _user(session, "b@x.org", Role.STEWARD)
    token, _ = issue_token(
        session,
        caller=user_caller(session, a),
        name="a's",
        scopes=frozenset({Scope.INGEST}),
        grants=[],
        pepper=PEPPER,
        now=utcnow(),
    )
    with pytest.raises(TokenNotFound):
        revoke_for(session, caller=user_caller(session, b), token_id=token.info.id, now=utcnow())
    assert tokens_for(session, caller=user_caller(session, b)) == []
    revoked = revoke_for(session, caller=user_caller(session, root), token_id=token.info.id, now=utcnow())
    assert revoked.revoked_at is not None


def test_require_tells_anonymous_from_forbidden(session: Session) -> None:
    """Nobody is 401-like, a caller without the permission is 403-like, a pending password change blocks."""
    from governance.access import ANONYMOUS

    with pytest.raises(Unauthenticated):
        require(ANONYMOUS, Permission.CATALOG_READ)
    user = create_user(session, email="v@x.org", roles=frozenset({Role.VIEWER}), password=None, now=utcnow())
    caller = user_caller(session, user.info.id)
    with pytest.raises(PermissionDenied, match="one-time password"):
        require(caller, Permission.CATALOG_READ)


def test_the_demo_admin_is_provisioned_afresh_each_time(session: Session) -> None:
    """headwater up --demo: the first run creates the admin, a later one gives it a new one-time password."""
    from governance.access import provision_user

    first = provision_user(session, email="admin@headwater.demo", roles=frozenset({Role.ADMIN}), now=utcnow())
    again = provision_user(session, email="admin@headwater.demo", roles=frozenset({Role.ADMIN}), now=utcnow())
    assert first.info.id == again.info.id and first.one_time_password != again.one_time_password
    assert again.info.must_change_password and again.info.roles == {Role.ADMIN}
    assert verify_password(_password_hash(session, again.info.id), str(again.one_time_password))
