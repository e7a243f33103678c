"""Tables. The schema changes only through Alembic migrations in ``migrations/versions``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

# SQLite has no 64-bit autoincrementing BIGINT; INTEGER PRIMARY KEY is its rowid and is 64-bit.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc(nullable: bool = False, **kwargs: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, **kwargs))


class OutboxStatus(StrEnum):
    """Where an accepted event is in its processing."""

    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"


class RunState(StrEnum):
    """A run's state, named as Marquez names it."""

    NEW = "NEW"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    ABORTED = "ABORTED"
    FAILED = "FAILED"


class LineageEvent(SQLModel, table=True):
    """One accepted OpenLineage event, stored verbatim, once per content hash."""

    __tablename__ = "lineage_event"
    __table_args__ = (
        Index("ix_lineage_event_event_time", "event_time"),
        Index("ix_lineage_event_run_uuid", "run_uuid"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    content_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    event_type: str | None = Field(default=None, sa_column=Column(String(16)))
    event_time: datetime = _utc()
    run_uuid: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid()))
    job_namespace: str | None = Field(default=None, sa_column=Column(Text))
    job_name: str | None = Field(default=None, sa_column=Column(Text))
    producer: str = Field(sa_column=Column(Text, nullable=False))
    schema_url: str | None = Field(default=None, sa_column=Column(Text))
    body: str = Field(sa_column=Column(Text, nullable=False))
    body_bytes: int = Field(sa_column=Column(Integer, nullable=False))
    received_at: datetime = _utc()


class Outbox(SQLModel, table=True):
    """The processing job of an accepted event, committed with it (transactional outbox)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending_lease",
            "lease_until",
            postgresql_where="status = 'pending'",
            sqlite_where="status = 'pending'",
        ),
        Index(
            "ix_outbox_dead", "event_id", postgresql_where="status = 'dead'", sqlite_where="status = 'dead'"
        ),
    )

    event_id: int = Field(
        sa_column=Column(BigId, ForeignKey("lineage_event.id", ondelete="CASCADE"), primary_key=True)
    )
    status: str = Field(sa_column=Column(String(8), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    lease_until: datetime = _utc()
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _utc()
    processed_at: datetime | None = _utc(nullable=True)


class Run(SQLModel, table=True):
    """A run's current state, folded from its transitions ordered by eventTime."""

    __tablename__ = "run"

    run_uuid: uuid.UUID = Field(sa_column=Column(Uuid(), primary_key=True))
    job_namespace: str = Field(sa_column=Column(Text, nullable=False))
    job_name: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    state_event_time: datetime = _utc()
    started_at: datetime | None = _utc(nullable=True)
    ended_at: datetime | None = _utc(nullable=True)
    updated_at: datetime = _utc()


class RunTransition(SQLModel, table=True):
    """One state-changing event of a run; the history the state is folded from."""

    __tablename__ = "run_transition"
    __table_args__ = (Index("ix_run_transition_run_uuid", "run_uuid"),)

    event_id: int = Field(
        sa_column=Column(BigId, ForeignKey("lineage_event.id", ondelete="CASCADE"), primary_key=True)
    )
    run_uuid: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    event_type: str = Field(sa_column=Column(String(16), nullable=False))
    event_time: datetime = _utc()
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))


class ApiToken(SQLModel, table=True):
    """An API token: only its HMAC is kept; the secret is shown once at creation."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    name: str = Field(sa_column=Column(Text, nullable=False))
    token_hmac: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    prefix: str = Field(sa_column=Column(String(16), nullable=False))
    scopes: str = Field(sa_column=Column(Text, nullable=False))
    # The user the token acts for; NULL for a token minted from the command line.
    owner_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("user_account.id", ondelete="CASCADE", name="fk_api_token_owner"),
            nullable=True,
            index=True,
        ),
    )
    created_at: datetime = _utc()
    expires_at: datetime | None = _utc(nullable=True)
    revoked_at: datetime | None = _utc(nullable=True)
    last_used_at: datetime | None = _utc(nullable=True)


# The lineage graph's tables live with the lineage code; importing them here puts every table
# on one metadata, which Alembic compares against.
from governance.access import tables as _access_tables  # noqa: E402, F401
from governance.lineage import tables as _lineage_tables  # noqa: E402, F401
