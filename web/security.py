"""Sign-in for people: Flask-Security over the accounts tables, argon2 passwords, TOTP, revocation.

The domain owns the tables (``governance.access.tables``); this module maps Flask-Security's user
class onto them, configures it, and ends every session of a user at sign-out and on a password
change (both rotate ``fs_uniquifier``, which the session cookie carries).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import flask_login
from flask import Flask, request
from flask_security import RoleMixin, Security, SQLAlchemySessionUserDatastore, UserMixin
from flask_security.signals import password_changed
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import registry, relationship, scoped_session, sessionmaker

from governance.access import end_sessions
from governance.access.passwords import MIN_PASSWORD_CHARS, NORMAL_FORM
from governance.access.tables import user_account, user_role
from governance.config import Settings, Switch
from governance.db import make_engine
from web.runtime import runtime

csrf = CSRFProtect()
SECURITY_PREFIX = "/auth"
HOME = "/console/"


class AccountRole(RoleMixin):
    """One of a user's roles, a row of ``user_role``, as Flask-Security sees it: a name."""

    user_id: int
    name: str
    permissions = None


class AccountUser(UserMixin):
    """A row of ``user_account`` as Flask-Security and Flask-Login see it."""

    id: int
    email: str
    password: str | None
    active: bool
    fs_uniquifier: str
    must_change_password: bool
    tf_primary_method: str | None
    tf_totp_secret: str | None
    tf_phone_number: str | None
    roles: list[RoleMixin]


_mapper = registry()
_mapper.map_imperatively(AccountRole, user_role, properties={"name": user_role.c.role})
# Roles load with the user: the user object outlives the request's first query. The domain
# changes roles; Flask-Security only reads them.
_mapper.map_imperatively(
    AccountUser,
    user_account,
    properties={"roles": relationship(AccountRole, lazy="selectin", viewonly=True)},
)


def derived_secret(pepper: bytes, purpose: str) -> str:
    """A secret for one purpose, derived from the server pepper so that one key configures all."""
    return hmac.new(pepper, f"headwater:{purpose}".encode(), hashlib.sha256).hexdigest()


def cookie_names(settings: Settings) -> tuple[str, str]:
    """The session and remember-me cookie names: ``__Host-`` prefixed when cookies are Secure."""
    prefix = "__Host-" if settings.secure_cookies == Switch.ON else ""
    return f"{prefix}headwater-session", f"{prefix}headwater-remember"


def _configure(app: Flask, settings: Settings, pepper: bytes) -> None:
    secure = settings.secure_cookies == Switch.ON
    session_cookie, remember_cookie = cookie_names(settings)
    app.secret_key = derived_secret(pepper, "session")
    app.config.update(
        SESSION_COOKIE_NAME=session_cookie,
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        REMEMBER_COOKIE_NAME=remember_cookie,
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        # Forms carry their CSRF token; JSON calls made with the session cookie are checked by
        # web.auth, while bearer-token calls (pipelines, scripts) need none.
        WTF_CSRF_CHECK_DEFAULT=False,
        SECURITY_PASSWORD_SALT=derived_secret(pepper, "password-salt"),
        SECURITY_PASSWORD_HASH="argon2",
        # The domain hashes with argon2-cffi alone (the CLI has no Flask), so no HMAC pre-hash.
        SECURITY_PASSWORD_SINGLE_HASH=True,
        SECURITY_PASSWORD_NORMALIZE_FORM=NORMAL_FORM,
        SECURITY_PASSWORD_LENGTH_MIN=MIN_PASSWORD_CHARS,
        SECURITY_URL_PREFIX=SECURITY_PREFIX,
        SECURITY_STATIC_FOLDER=None,
        SECURITY_POST_LOGIN_VIEW=HOME,
        SECURITY_POST_LOGOUT_VIEW=f"{SECURITY_PREFIX}/login",
        SECURITY_POST_CHANGE_VIEW=f"{HOME}account",
        SECURITY_CHANGEABLE=True,
        SECURITY_SEND_PASSWORD_CHANGE_EMAIL=False,
        SECURITY_REGISTERABLE=False,
        SECURITY_RECOVERABLE=False,
        SECURITY_CONFIRMABLE=False,
        SECURITY_TRACKABLE=False,
        SECURITY_DEFAULT_REMEMBER_ME=False,
        SECURITY_RETURN_GENERIC_RESPONSES=True,
        SECURITY_API_ENABLED_METHODS=["session"],
        SECURITY_EMAIL_VALIDATOR_ARGS={"check_deliverability": False, "globally_deliverable": False},
        SECURITY_TWO_FACTOR=True,
        SECURITY_TWO_FACTOR_ENABLED_METHODS=["authenticator"],
        SECURITY_TWO_FACTOR_RESCUE_EMAIL=False,
        SECURITY_TWO_FACTOR_VALIDITY_COOKIE={"httponly": True, "secure": secure, "samesite": "Strict"},
        SECURITY_TOTP_SECRETS={1: derived_secret(pepper, "totp")},
        SECURITY_TOTP_ISSUER="Headwater",
    )


def init_app(app: Flask, settings: Settings, pepper: bytes) -> Security:
    """Configure Flask-Security and CSRF on ``app``, over its own sessions of the database."""
    _configure(app, settings, pepper)
    csrf.init_app(app)
    engine = make_engine(settings.resolved_database_url, pool_size=4, sqlite_write_lock_first=False)
    sessions = scoped_session(sessionmaker(bind=engine, expire_on_commit=False))
    datastore = SQLAlchemySessionUserDatastore(sessions, AccountUser, AccountRole)
    security = Security(app, datastore)
    # Flask-Security's request loader looks for its own auth tokens in a JSON body, which would
    # consume an ingest request's stream; API tokens are ours (web.auth), so it finds nothing.
    app.login_manager.request_loader(_no_request_user)  # type: ignore[attr-defined]  # set by Flask-Login

    @app.teardown_appcontext
    def _end_security_session(_error: BaseException | None) -> None:
        sessions.remove()

    app.extensions["headwater_security_engine"] = engine
    flask_login.user_logged_out.connect(_sign_out_everywhere, app)
    password_changed.connect(_password_changed, app)
    return security


def _no_request_user(_request: Any) -> None:
    return None


def _sign_out_everywhere(_app: Flask, user: Any = None, **_extra: Any) -> None:
    # A client-side session cookie cannot be recalled, so sign-out changes the key it carries.
    # Only the sign-out route does: Flask-Security also signs a browser out to restart a
    # two-factor flow, which must not end the person's other sessions.
    if isinstance(user, AccountUser) and request.endpoint == "security.logout":
        with runtime().database.session() as session:
            end_sessions(session, user_id=user.id)


def _password_changed(_app: Flask, user: Any = None, **_extra: Any) -> None:
    # Flask-Security has rotated fs_uniquifier already; the view commits this with it.
    if isinstance(user, AccountUser):
        user.must_change_password = False
