"""Faults of a live deployment: a Celery worker killed mid-task, a web worker killed, a broker
that loses its queue, a database restart. Each runs the real processes (gunicorn, Celery worker
and beat) and shows that no accepted event is lost and none is processed twice.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest
import redis
import requests
from sqlalchemy.engine import make_url

from governance.schema_migrations import upgrade
from governance.tasks import QUEUE
from tests.builders import lifecycle, run_event
from tests.conftest import require_env
from tests.integration.conftest import Stack, free_port, running_stack, wait_until

pytestmark = pytest.mark.integration

PROCESSING_LEASE_SECONDS = 6  # as the conftest stack sets HEADWATER_OUTBOX_PROCESSING_LEASE_SECONDS
REQUEST_TIMEOUT_SECONDS = 10


# --- small helpers ---------------------------------------------------------------------------


def _conninfo(url: str) -> str:
    """A psycopg conninfo for a SQLAlchemy PostgreSQL URL."""
    parsed = make_url(url.replace("postgresql+psycopg://", "postgresql://"))
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _rows(conninfo: str, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one query on a fresh autocommit connection and return every row."""
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        return list(conn.execute(query, params).fetchall())  # type: ignore[arg-type]


def _hash_of(response: requests.Response) -> str:
    """The content hash a 201 names."""
    return str(response.json()["eventHash"]).removeprefix("sha256:")


def _event_id(conninfo: str, response: requests.Response) -> int:
    """The stored id of the event a 201 answered."""
    rows = _rows(conninfo, "SELECT id FROM lineage_event WHERE content_hash = %s", (_hash_of(response),))
    assert len(rows) == 1, f"expected the event stored once, found {len(rows)} rows"
    return int(rows[0][0])


def _outbox(conninfo: str, event_id: int) -> tuple[str, int] | None:
    """(status, attempts) of one event's outbox row."""
    rows = _rows(conninfo, "SELECT status, attempts FROM outbox WHERE event_id = %s", (event_id,))
    return (str(rows[0][0]), int(rows[0][1])) if rows else None


def _status(conninfo: str, event_id: int) -> str | None:
    row = _outbox(conninfo, event_id)
    return None if row is None else row[0]


def _pending(conninfo: str) -> int:
    return int(_rows(conninfo, "SELECT count(*) FROM outbox WHERE status = 'pending'")[0][0])


def _tails(stack: Stack, names: Sequence[str] = ("web", "worker", "beat"), lines: int = 40) -> str:
    """The end of each named process log, for failure messages."""
    return "".join(f"\n--- {name} log ---\n{stack.log_tail(name, lines)}" for name in names)


def _eventually(predicate: Callable[[], bool], *, timeout: float, what: str, logs: Callable[[], str]) -> None:
    """wait_until, with the process logs as they are at the moment of failure."""
    try:
        wait_until(predicate, timeout=timeout, what=what)
    except pytest.fail.Exception as failure:
        pytest.fail(f"{failure}{logs()}")


def _post(stack: Stack, event: dict[str, Any]) -> requests.Response:
    """POST one event with a short timeout: a fault must be answered, never hang."""
    try:
        return requests.post(
            f"{stack.base_url}/api/v1/lineage",
            json=event,
            headers={"Authorization": f"Bearer {stack.token}"},
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
    except requests.RequestException as err:
        failure = f"POST /api/v1/lineage got no answer ({type(err).__name__}: {err})"
        pytest.fail(failure + _tails(stack, ["web"]))


def _post_until_created(stack: Stack, event: dict[str, Any], *, timeout: float) -> requests.Response:
    """POST until 201, accepting only 503 (with Retry-After) on the way."""
    deadline = time.monotonic() + timeout
    while True:
        response = _post(stack, event)
        if response.status_code == 201:
            return response
        assert response.status_code == 503, f"{response.status_code} {response.text}{_tails(stack, ['web'])}"
        assert response.headers.get("Retry-After"), "a 503 must say when to retry"
        if time.monotonic() > deadline:
            pytest.fail(f"still 503 after {timeout:.0f}s: {response.text}{_tails(stack, ['web'])}")
        time.sleep(0.5)


def _assert_stored_once_and_processed(stack: Stack, conninfo: str, hashes: Sequence[str]) -> None:
    """Every hash is stored in exactly one event row whose outbox row is done; nothing else is stored."""
    rows = _rows(
        conninfo,
        "SELECT e.content_hash, o.status FROM lineage_event e LEFT JOIN outbox o ON o.event_id = e.id",
    )
    stored = [str(r[0]) for r in rows]
    counts = f"stored {len(stored)} events, accepted {len(hashes)}"
    assert sorted(stored) == sorted(hashes), counts + _tails(stack)
    not_done = [(h, s) for h, s in rows if s != "done"]
    assert not not_done, f"events not processed: {not_done}{_tails(stack)}"


@contextlib.contextmanager
def _fresh_database(admin_url: str) -> Iterator[str]:
    """A new, migrated database on the server of ``admin_url``, dropped afterwards."""
    admin = _conninfo(admin_url)
    name = f"hw_fault_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with contextlib.suppress(psycopg.OperationalError), psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


# --- a Redis server of our own, to kill ----------------------------------------------------------


class RedisServer:
    """A private redis-server that keeps nothing on disk, so a kill loses its queues."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.log = directory / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=2)

    def ping(self) -> bool:
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        argv = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
        ]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        wait_until(self.ping, timeout=10, what=f"redis-server on port {self.port} to answer")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def queue_length(self) -> int:
        with self.client() as client:
            return int(client.llen(QUEUE))  # type: ignore[arg-type]


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server on a free port, for this test alone."""
    require_env("HEADWATER_TEST_DATABASE_URL", "PostgreSQL")
    require_env("HEADWATER_TEST_REDIS_URL", "Redis")
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not on PATH: cannot run a private broker to kill")
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()


# --- a PostgreSQL cluster of our own, to stop ------------------------------------------------------


def _postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server binaries (Debian layout), if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


class PostgresCluster:
    """A private PostgreSQL cluster (trust auth, TCP on 127.0.0.1) in a temporary directory."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="hw-fault-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.sockets.mkdir()
        self.server_log = self.root / "server.log"
        self.ctl_log = self.root / "ctl.log"
        self.port = free_port()
        # The server refuses to run as root: run it as the postgres user.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            for path in (self.root, self.sockets):
                shutil.chown(path, "postgres", "postgres")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        with self.ctl_log.open("ab") as out:
            result = subprocess.run(
                [*self.as_user, str(self.bin_dir / tool), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if result.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} exited {result.returncode}:\n{self.log_tail()}")

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "--auth=trust",
            "-U",
            "postgres",
            "--no-sync",
            "--locale=C",
            "-E",
            "UTF8",
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.data),
            "-l",
            str(self.server_log),
            "-w",
            "-t",
            "30",
            "-o",
            options,
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "30")

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def log_tail(self, lines: int = 30) -> str:
        parts = [
            p.read_text(errors="replace").splitlines()[-lines:]
            for p in (self.ctl_log, self.server_log)
            if p.exists()
        ]
        return "\n".join(line for part in parts for line in part)

    def destroy(self) -> None:
        if self.is_running():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster for this test alone, with a migrated database ``headwater``."""
    require_env("HEADWATER_TEST_DATABASE_URL", "PostgreSQL")
    require_env("HEADWATER_TEST_REDIS_URL", "Redis")
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server in /usr/lib/postgresql/*/bin: cannot run a private cluster")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as the postgres user")
    cluster = PostgresCluster(bin_dir)
    try:
        try:
            cluster.init()
            cluster.start()
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as err:
            pytest.skip(f"cannot run a private PostgreSQL cluster on this machine: {err}")
        with psycopg.connect(_conninfo(cluster.url("postgres")), autocommit=True) as conn:
            conn.execute("CREATE DATABASE headwater")
        upgrade(cluster.url("headwater"))
        yield cluster
    finally:
        cluster.destroy()


# --- 1. a worker killed while it holds an event ------------------------------------------------


@pytest.fixture
def live_stack(postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    """A stack of its own on this module's database and Redis database."""
    with running_stack(postgres_url, redis_url, tmp_path / "s") as running:
        yield running


def test_worker_killed_mid_task_processes_event_exactly_once(live_stack: Stack) -> None:
    """A worker child SIGKILLed inside a task leaves its event to the sweep, which folds it exactly once."""
    stack = live_stack
    conninfo = _conninfo(stack.env["HEADWATER_DATABASE_URL"])
    run_id = str(uuid.uuid4())
    start, _, complete = lifecycle(run_id, final="COMPLETE")
    logs = lambda: _tails(stack, ["worker", "beat"])  # noqa: E731

    started = stack.post(start)
    assert started.status_code == 201, started.text
    start_id = _event_id(conninfo, started)
    _eventually(
        lambda: _status(conninfo, start_id) == "done",
        timeout=30,
        what="the START event to be processed",
        logs=logs,
    )

    worker = stack.processes["worker"]
    with psycopg.connect(conninfo, connect_timeout=5) as holder:
        # Hold the run row so that the worker blocks inside the task, after claiming the event.
        holder.execute("SELECT * FROM run WHERE run_uuid = %s FOR UPDATE", (run_id,))
        holder_pid = holder.info.backend_pid

        completed = stack.post(complete)
        assert completed.status_code == 201, completed.text
        event_id = _event_id(conninfo, completed)
        _eventually(
            lambda: (_outbox(conninfo, event_id) or ("", 0))[1] >= 1,
            timeout=30,
            what="the worker to claim the COMPLETE event",
            logs=logs,
        )

        def worker_blocked() -> bool:
            query = "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))"
            rows = _rows(conninfo, query, (holder_pid,))
            return int(rows[0][0]) >= 1

        _eventually(worker_blocked, timeout=15, what="the worker to wait on the run row lock", logs=logs)

        children = psutil.Process(worker.pid).children()
        assert len(children) == 1, f"expected one prefork child, found {children}{logs()}"
        victim = children[0].pid
        os.kill(victim, signal.SIGKILL)

        def replaced() -> bool:
            pids = [child.pid for child in psutil.Process(worker.pid).children()]
            return victim not in pids and len(pids) == 1

        _eventually(replaced, timeout=30, what="Celery to fork a new pool child", logs=logs)
        assert _status(conninfo, event_id) == "pending", "the killed attempt must not have finished"
        holder.rollback()

    _eventually(
        lambda: _status(conninfo, event_id) == "done",
        timeout=PROCESSING_LEASE_SECONDS + 30,
        what="the sweep to re-send and process the event",
        logs=logs,
    )

    assert worker.poll() is None, f"the worker's main process died{logs()}"
    status, attempts = _outbox(conninfo, event_id) or ("", 0)
    assert status == "done"
    assert attempts >= 2, f"the killed attempt was not counted: attempts={attempts}"
    transitions = _rows(conninfo, "SELECT count(*) FROM run_transition WHERE event_id = %s", (event_id,))
    assert int(transitions[0][0]) == 1, f"the COMPLETE event was folded {transitions[0][0]} times"
    state = _rows(conninfo, "SELECT state FROM run WHERE run_uuid = %s", (run_id,))
    assert state == [("COMPLETED",)], f"run state {state}"
    assert _pending(conninfo) == 0


# --- 1b. a web worker killed ----------------------------------------------------------------------


def test_web_worker_killed_is_replaced_and_ingest_goes_on(live_stack: Stack) -> None:
    """A gunicorn worker SIGKILLed is replaced by the master, and ingest keeps answering 201."""
    stack = live_stack
    web = stack.processes["web"]
    workers = psutil.Process(web.pid).children()
    assert len(workers) == 2, f"expected two gunicorn workers, found {workers}"
    victim = workers[0].pid
    os.kill(victim, signal.SIGKILL)

    def replaced() -> bool:
        assert web.poll() is None, "the gunicorn master exited" + _tails(stack, ["web"])
        pids = [child.pid for child in psutil.Process(web.pid).children()]
        return victim not in pids and len(pids) == 2

    _eventually(
        replaced, timeout=20, what="gunicorn to replace its worker", logs=lambda: _tails(stack, ["web"])
    )
    for i in range(4):  # reach both workers
        response = _post(stack, run_event("START", job=f"after_web_kill_{i}"))
        assert response.status_code == 201, response.text


# --- 2. a broker restart that loses every queued message -----------------------------------------


@pytest.fixture
def broker_fault_stack(private_redis: RedisServer, tmp_path: Path) -> Iterator[Stack]:
    """A stack on its own database and its own Redis."""
    admin_url = require_env("HEADWATER_TEST_DATABASE_URL", "PostgreSQL")
    with _fresh_database(admin_url) as url, running_stack(url, private_redis.url, tmp_path / "s") as running:
        yield running


def test_broker_restart_losing_its_queue_loses_no_accepted_event(
    broker_fault_stack: Stack, private_redis: RedisServer
) -> None:
    """Events queued in a broker that dies with its queue, or sent while it is down, are still processed."""
    stack = broker_fault_stack
    conninfo = _conninfo(stack.env["HEADWATER_DATABASE_URL"])
    stack.stop("worker")  # messages now sit in the broker

    queued = [_post(stack, run_event("START", job=f"queued_{i}")) for i in range(20)]
    assert [r.status_code for r in queued] == [201] * 20, [r.text for r in queued if r.status_code != 201]
    _eventually(
        lambda: private_redis.queue_length() >= 20,
        timeout=20,
        what="the 20 tasks to be queued in Redis",
        logs=lambda: _tails(stack, ["web", "beat"]),
    )

    with private_redis.client() as client:
        client.set("fault-test-sentinel", "kept only in memory")
    private_redis.kill()
    while_down = [_post(stack, run_event("START", job=f"while_down_{i}")) for i in range(3)]
    assert [r.status_code for r in while_down] == [201] * 3, [r.text for r in while_down]
    _eventually(
        lambda: "relay_send_failed" in stack.log_tail("web", 400),
        timeout=20,
        what="the web to log the failed publish",
        logs=lambda: _tails(stack, ["web"]),
    )

    private_redis.start()
    with private_redis.client() as client:
        assert not client.exists("fault-test-sentinel"), "the restarted broker should have lost everything"
    assert private_redis.queue_length() < 20, "the restarted broker should have lost its queue"
    assert _pending(conninfo) == 23

    stack.start_worker()
    _eventually(
        lambda: _pending(conninfo) == 0,
        timeout=60,
        what="the outbox to drain after the restart",
        logs=lambda: _tails(stack),
    )
    _assert_stored_once_and_processed(stack, conninfo, [_hash_of(r) for r in queued + while_down])
    runs = _rows(conninfo, "SELECT count(*) FROM run WHERE state = 'RUNNING'")
    assert int(runs[0][0]) == 23


# --- 3. a database restart ---------------------------------------------------------------------


@pytest.fixture
def database_fault_stack(
    private_postgres: PostgresCluster, private_redis: RedisServer, tmp_path: Path
) -> Iterator[Stack]:
    """A stack on a private PostgreSQL cluster (and a private Redis)."""
    with running_stack(private_postgres.url("headwater"), private_redis.url, tmp_path / "stack") as running:
        yield running


def test_database_restart_keeps_accepted_events_and_answers_503_meanwhile(
    database_fault_stack: Stack, private_postgres: PostgresCluster
) -> None:
    """While PostgreSQL is down ingest answers 503 with Retry-After; every event answered 201 is kept once."""
    stack = database_fault_stack
    conninfo = _conninfo(private_postgres.url("headwater"))
    logs = lambda: _tails(stack) + f"\n--- postgresql ---\n{private_postgres.log_tail()}"  # noqa: E731
    accepted: list[requests.Response] = []

    for i in range(5):
        response = _post(stack, run_event("START", job=f"before_{i}"))
        assert response.status_code == 201, response.text
        accepted.append(response)

    private_postgres.stop("fast")
    refused = run_event("START", job="during_outage")
    for _ in range(4):  # enough to reach both gunicorn workers, cached token or not
        began = time.monotonic()
        response = _post(stack, refused)
        assert response.status_code == 503, f"{response.status_code} {response.text}{logs()}"
        assert time.monotonic() - began < REQUEST_TIMEOUT_SECONDS
        assert int(response.headers["Retry-After"]) > 0
        assert response.headers["Content-Type"].startswith("application/problem+json"), response.headers
        problem = response.json()
        assert problem["status"] == 503
        assert problem["type"] == "urn:headwater:problem:database-unavailable"

    private_postgres.start()
    # The client sends the refused event again, as Retry-After asks, then goes on.
    accepted.append(_post_until_created(stack, refused, timeout=15))
    for i in range(5):
        accepted.append(_post_until_created(stack, run_event("START", job=f"after_{i}"), timeout=5))

    _eventually(
        lambda: _pending(conninfo) == 0, timeout=60, what="the outbox to drain after the restart", logs=logs
    )
    _assert_stored_once_and_processed(stack, conninfo, [_hash_of(r) for r in accepted])
