"""Settings read from the environment (prefix ``HEADWATER_``), with embedded defaults.

This is the only module that reads the environment. Every field is documented in
``docs/CONFIGURATION.md``; a test fails when one is not.
"""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from limits import parse_many
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from governance.errors import ConfigurationError

MIB = 1024 * 1024


class Switch(StrEnum):
    """An on/off setting."""

    ON = "on"
    OFF = "off"


class LogFormat(StrEnum):
    """How log lines are written."""

    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


class Settings(BaseSettings):
    """Everything Headwater reads from the environment (HEADWATER_DATABASE_URL -> database_url)."""

    model_config = SettingsConfigDict(env_prefix="HEADWATER_", frozen=True, extra="ignore")

    data_dir: Path = Field(Path("var"), description="Where the embedded SQLite files and secrets live.")
    database_url: str = Field("", description="SQLAlchemy URL; empty means SQLite in data_dir.")
    broker_url: str = Field("", description="Celery broker URL; empty means an SQLite broker in data_dir.")
    secret_key: str = Field("", description="Pepper for token hashes; generated into data_dir if empty.")
    port: int = Field(5000, ge=1, le=65535, description="Port `headwater up` and `web` listen on.")
    bind_host: str = Field("127.0.0.1", description="Interface the web server binds to.")
    web_workers: int = Field(2, ge=1, le=64, description="gunicorn worker processes.")
    web_threads: int = Field(4, ge=1, le=64, description="Threads per gunicorn worker.")
    worker_concurrency: int = Field(2, ge=1, le=64, description="Celery worker processes.")
    ingest_auth: Switch = Field(Switch.ON, description="'off' accepts events without a token.")
    read_auth: Switch = Field(Switch.ON, description="'off' serves the read API without a token.")
    write_auth: Switch = Field(
        Switch.ON, description="'off' takes catalog edits (tags, soft deletes) without a token."
    )
    max_body_bytes: int = Field(32 * MIB, ge=1024, description="Cap on a decoded request body.")
    max_json_depth: int = Field(1000, ge=8, le=2000, description="Deepest JSON nesting accepted.")
    max_batch_events: int = Field(1000, ge=1, description="Most events in one batch request.")
    outbox_publish_grace_seconds: float = Field(
        30.0,
        gt=0,
        description="How long an accepted event may wait in the broker before a sweep re-sends it.",
    )
    outbox_processing_lease_seconds: float = Field(
        120.0, gt=0, description="How long a worker may hold an event before a sweep re-sends it."
    )
    outbox_sweep_seconds: float = Field(10.0, gt=0, description="How often beat sweeps the outbox.")
    outbox_max_attempts: int = Field(5, ge=1, description="Attempts before an event is marked dead.")
    token_cache_seconds: float = Field(
        5.0, ge=0, description="How long a web process trusts a verified token before re-reading it."
    )
    log_format: LogFormat = Field(LogFormat.AUTO, description="json, console, or auto (JSON unless a TTY).")
    log_level: str = Field("INFO", description="Python log level name.")
    metrics_dir: Path | None = Field(None, description="Prometheus multiprocess directory.")
    worker_metrics_port: int = Field(
        0, ge=0, le=65535, description="Port a Celery worker serves Prometheus metrics on; 0 turns it off."
    )
    public_url: str = Field("", description="URL pipelines use to reach this server; derived if empty.")
    secure_cookies: Switch = Field(
        Switch.ON,
        description="'on': __Host- prefixed Secure cookies (HTTPS); 'off' for plain-HTTP localhost.",
    )
    ratelimit_storage_url: str = Field(
        "",
        description="Where rate-limit counters live; empty: the Redis broker, else memory.",
    )
    login_rate_limit: str = Field("10 per minute", description="Sign-in attempts allowed per client address.")
    token_rate_limit: str = Field("20 per hour", description="Token creations allowed per caller.")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @field_validator("login_rate_limit", "token_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate limit such as '10 per minute'") from None
        return value

    @property
    def is_embedded(self) -> bool:
        """True when the database is the local SQLite file."""
        return self.resolved_database_url.startswith("sqlite")

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite in data_dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'headwater.db'}"

    @property
    def resolved_broker_url(self) -> str:
        """The broker URL, defaulting to an SQLite-backed kombu transport in data_dir."""
        return self.broker_url or f"sqla+sqlite:///{self.data_dir / 'broker.db'}"

    @property
    def resolved_public_url(self) -> str:
        """Where pipelines should send events."""
        host = "localhost" if self.bind_host in {"0.0.0.0", "127.0.0.1", "::"} else self.bind_host
        return self.public_url or f"http://{host}:{self.port}"

    @property
    def resolved_ratelimit_storage_url(self) -> str:
        """Rate-limit storage: the setting, else the broker's Redis, else this process's memory."""
        if self.ratelimit_storage_url:
            return self.ratelimit_storage_url
        if self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return "memory://"

    def token_pepper(self) -> bytes:
        """The server-side pepper for token hashes; generated once into data_dir in embedded mode."""
        if self.secret_key:
            return self.secret_key.encode()
        if not self.is_embedded:
            raise ConfigurationError("HEADWATER_SECRET_KEY", "must be set when the database is not SQLite")
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_hex(32))
        return path.read_text().strip().encode()


_SECRET_FIELDS = ("database_url", "broker_url", "secret_key", "ratelimit_storage_url")


def load_settings(environ: dict[str, str]) -> Settings:
    """Build settings from an environment mapping, resolving ``*_FILE`` secrets.

    Raises:
        ConfigurationError: naming the first bad variable.
    """
    overrides: dict[str, Any] = {
        name: environ[f"HEADWATER_{name.upper()}"]
        for name in Settings.model_fields
        if f"HEADWATER_{name.upper()}" in environ
    }
    for name in _SECRET_FIELDS:
        file_var = f"HEADWATER_{name.upper()}_FILE"
        if file_var in environ:
            try:
                overrides[name] = Path(environ[file_var]).read_text().strip()
            except OSError as err:
                raise ConfigurationError(
                    file_var, f"cannot read {environ[file_var]!r}: {err.strerror}"
                ) from err
    try:
        return Settings(**overrides)
    except ValidationError as err:
        first = err.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        raise ConfigurationError(f"HEADWATER_{field.upper()}", first["msg"]) from err


@cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return load_settings(dict(os.environ))
