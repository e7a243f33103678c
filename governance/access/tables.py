"""The accounts tables: users, their roles, and per-dataset grants of users and tokens.

Flask-Security reads and writes ``user_account`` through its own mapping in ``web.security``;
the columns it needs (``fs_uniquifier``, ``tf_*``) are here so that the schema has one source,
the Alembic migrations.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from governance.models import UTCDateTime

metadata = SQLModel.metadata

user_account = sa.Table(
    "user_account",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # Kept lower-cased: one address, one account.
    sa.Column("email", sa.String(255), nullable=False, unique=True),
    # argon2id PHC string; NULL for an account that cannot sign in with a password.
    sa.Column("password", sa.String(255), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    # Flask-Login's session id for the user: changing it ends every session of the user.
    sa.Column("fs_uniquifier", sa.String(64), nullable=False, unique=True),
    sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("tf_primary_method", sa.String(64), nullable=True),
    sa.Column("tf_totp_secret", sa.String(255), nullable=True),
    sa.Column("tf_phone_number", sa.String(128), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("disabled_at", UTCDateTime(), nullable=True),
)

user_role = sa.Table(
    "user_role",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role", sa.String(16), primary_key=True),
)

access_grant = sa.Table(
    "access_grant",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=True),
    sa.Column("token_id", sa.Integer, sa.ForeignKey("api_token.id", ondelete="CASCADE"), nullable=True),
    sa.Column("namespace_pattern", sa.Text, nullable=False),
    sa.Column("name_pattern", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("(user_id IS NULL) <> (token_id IS NULL)", name="ck_access_grant_one_holder"),
    sa.Index("ix_access_grant_user", "user_id"),
    sa.Index("ix_access_grant_token", "token_id"),
)
