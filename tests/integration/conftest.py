"""Integration fixtures: a fresh PostgreSQL database with the migrations applied, Redis as the
broker, and the real processes (gunicorn, Celery worker, Celery beat) started on free ports.

Needs HEADWATER_TEST_DATABASE_URL (a PostgreSQL URL whose server lets us create databases)
and HEADWATER_TEST_REDIS_URL; each test module skips, saying why, when they are unset.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from governance.config import Settings
from governance.db import Database
from governance.models import Outbox, OutboxStatus
from governance.schema_migrations import upgrade
from tests.builders import mint_token
from tests.conftest import REPO, require_env

TEST_SECRET = "integration-test-pepper"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.2) -> None:
    """Poll ``predicate`` until it holds, failing the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A new, migrated PostgreSQL database for this module, dropped afterwards."""
    admin_url = require_env("HEADWATER_TEST_DATABASE_URL", "PostgreSQL")
    name = f"hw_test_{uuid.uuid4().hex[:12]}"
    admin = make_url(admin_url.replace("postgresql+psycopg://", "postgresql://"))
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def redis_url() -> str:
    """A Redis database for this module's broker, emptied first."""
    base = require_env("HEADWATER_TEST_REDIS_URL", "Redis")
    import redis

    url = base.rsplit("/", 1)[0] + f"/{int(uuid.uuid4().int % 12) + 2}"
    redis.Redis.from_url(url).flushdb()
    return url


@dataclass
class Stack:
    """The running processes of one Headwater deployment under test."""

    base_url: str
    env: dict[str, str]
    database: Database
    token: str
    data_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], **env: str) -> subprocess.Popen[bytes]:
        """Start (or restart) one process of the stack, logging to a file."""
        log = self.data_dir / f"{name}.log"
        self.logs[name] = log
        with log.open("ab") as out:  # the child keeps its own handle
            process = subprocess.Popen(
                argv, env={**self.env, **env}, stdout=out, stderr=subprocess.STDOUT, cwd=REPO
            )
        self.processes[name] = process
        return process

    def start_worker(self, **env: str) -> subprocess.Popen[bytes]:
        """A Celery worker consuming from Redis, one prefork child."""
        return self.start(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "governance.tasks",
                "worker",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--hostname",
                f"test-{uuid.uuid4().hex[:6]}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
            **env,
        )

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        """Stop one process and wait for it."""
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def post(self, event: Any, **kwargs: Any) -> requests.Response:
        """POST one event to /api/v1/lineage with the stack's token."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return requests.post(
            f"{self.base_url}/api/v1/lineage", json=event, headers=headers, timeout=30, **kwargs
        )

    def outbox_count(self, status: OutboxStatus) -> int:
        """How many outbox rows have ``status``."""
        with self.database.session() as session:
            return int(session.execute(select(func.count()).where(Outbox.status == status)).scalar_one())

    def wait_processed(self, *, timeout: float = 60) -> None:
        """Wait until no accepted event is pending."""
        wait_until(
            lambda: self.outbox_count(OutboxStatus.PENDING) == 0, timeout=timeout, what="the outbox to drain"
        )

    def log_tail(self, name: str, lines: int = 40) -> str:
        """The end of one process's log, for failure messages."""
        path = self.logs.get(name)
        return (
            "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            if path and path.exists()
            else ""
        )


def _stack_env(postgres_url: str, broker_url: str, data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update(
        HEADWATER_DATABASE_URL=postgres_url,
        HEADWATER_BROKER_URL=broker_url,
        HEADWATER_SECRET_KEY=TEST_SECRET,
        HEADWATER_DATA_DIR=str(data_dir),
        HEADWATER_PORT=str(port),
        HEADWATER_WEB_WORKERS="2",
        HEADWATER_OUTBOX_PUBLISH_GRACE_SECONDS="3",
        HEADWATER_OUTBOX_PROCESSING_LEASE_SECONDS="6",
        HEADWATER_OUTBOX_SWEEP_SECONDS="1",
        HEADWATER_LOG_FORMAT="json",
        PYTHONPATH=str(REPO),
    )
    return env


@contextlib.contextmanager
def running_stack(postgres_url: str, broker_url: str, data_dir: Path) -> Iterator[Stack]:
    """gunicorn, a Celery worker and Celery beat over ``postgres_url`` and ``broker_url``,
    run as ``headwater up`` runs them (with a Prometheus multiprocess directory)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = _stack_env(postgres_url, broker_url, data_dir, port)
    metrics_dir = data_dir / "metrics"
    metrics_dir.mkdir(exist_ok=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    database = Database(postgres_url, pool_size=2)
    settings = Settings(database_url=postgres_url, secret_key=TEST_SECRET, data_dir=data_dir)
    token = mint_token(database, settings, "admin")
    running = Stack(
        base_url=f"http://127.0.0.1:{port}", env=env, database=database, token=token, data_dir=data_dir
    )
    celery = [sys.executable, "-m", "celery", "-A", "governance.tasks"]
    try:
        running.start(
            "web", [sys.executable, "-m", "gunicorn", "-c", "python:web.gunicorn_conf", "web.wsgi:app"]
        )
        running.start_worker()
        running.start(
            "beat", [*celery, "beat", "--loglevel", "INFO", "--schedule", str(data_dir / "beat-schedule")]
        )

        def ready() -> bool:
            try:
                return requests.get(f"{running.base_url}/readyz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(ready, timeout=60, what=f"the web server to be ready\n{running.log_tail('web')}")
        yield running
    finally:
        for name in list(running.processes):
            running.stop(name)
        database.dispose()


@pytest.fixture(scope="module")
def stack(postgres_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """gunicorn, a Celery worker and Celery beat over PostgreSQL and Redis, for one module."""
    with running_stack(postgres_url, redis_url, tmp_path_factory.mktemp("stack")) as running:
        yield running
