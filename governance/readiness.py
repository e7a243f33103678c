"""Can this process take events: database reachable, migrations current, broker reachable."""

from __future__ import annotations

from dataclasses import dataclass

from kombu.connection import Connection
from sqlalchemy import Engine, text

from governance import schema_migrations

BROKER_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Readiness:
    """The result of each check; ``problems`` says what is wrong, in words."""

    database: bool
    migrations: bool
    broker: bool
    problems: tuple[str, ...]

    @property
    def ready(self) -> bool:
        """True when every check passed."""
        return self.database and self.migrations and self.broker


def check_readiness(engine: Engine, broker_url: str) -> Readiness:
    """Run every check; none raises."""
    problems: list[str] = []
    database = migrations = False
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database = True
        migrations = schema_migrations.is_current(engine)
        if not migrations:
            problems.append(
                f"database is at revision {schema_migrations.current_revision(engine)}, "
                f"code expects {schema_migrations.head_revision()}: run 'headwater db upgrade'"
            )
    except Exception as err:  # a readiness probe reports, it does not fail
        problems.append(f"database unreachable: {type(err).__name__}")
    broker = check_broker(broker_url)
    if not broker:
        problems.append("broker unreachable")
    return Readiness(database=database, migrations=migrations, broker=broker, problems=tuple(problems))


def check_broker(broker_url: str) -> bool:
    """True when a connection to the broker opens within the timeout."""
    try:
        with Connection(broker_url, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:  # type: ignore[no-untyped-call]  # kombu is untyped
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
        return True
    except Exception:  # any failure to connect means "not reachable"
        return False
