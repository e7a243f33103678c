"""Ingest throughput: accepted events/s over HTTP (gunicorn) against raw INSERT + COMMIT of the same bodies.

For PostgreSQL and for the embedded SQLite default, the same run measures

* the raw peer: ``--clients`` processes, each with its own connection, doing one
  ``INSERT INTO raw_event(body) VALUES (...)`` and ``COMMIT`` per body;
* HTTP ingest: ``--clients`` processes, each with one keep-alive connection, posting one
  event per ``POST /api/v1/lineage`` to gunicorn; every answer must be 201.

Both phases use the same pre-serialized, distinct RunEvent bodies. Usage::

    .venv/bin/python bench/ingest.py [--events 4000] [--clients 8] [--web-workers 2] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import queue
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]  # no stubs installed
import psycopg
import redis
import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

from governance.access import create_token, parse_scopes
from governance.clock import utcnow
from governance.config import Settings
from governance.db import Database
from governance.schema_migrations import upgrade

REPO = Path(__file__).resolve().parents[1]
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
BROKER_URL = "redis://127.0.0.1:6379/15"
WARMUP_REQUESTS = 200
READY_TIMEOUT_SECONDS = 60.0
PHASE_TIMEOUT_SECONDS = 600.0
LINEAGE_PATH = "/api/v1/lineage"
BATCH_PATH = "/api/v1/lineage/batch"
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.24.2/integration/spark"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
FACET_URL = "https://openlineage.io/spec/facets/1-1-1/{}.json#/$defs/{}"
COLUMNS = (
    ("order_id", "BIGINT"),
    ("customer_id", "BIGINT"),
    ("order_date", "DATE"),
    ("status", "VARCHAR"),
    ("currency", "CHAR(3)"),
    ("amount", "DECIMAL(12,2)"),
    ("discount", "DECIMAL(12,2)"),
    ("shipping_country", "VARCHAR"),
    ("created_at", "TIMESTAMP"),
    ("updated_at", "TIMESTAMP"),
)


@dataclass(frozen=True, slots=True)
class Phase:
    """What one measured phase did: how many events, in how long, with which latencies."""

    events: int
    seconds: float
    latencies_ms: list[float]
    failures: dict[str, int]
    server_cpu_ms: float = 0.0
    spread: tuple[int, ...] = ()

    @property
    def rate(self) -> float:
        """Events per second over the phase's wall time."""
        return self.events / self.seconds


@dataclass(frozen=True, slots=True)
class Figures:
    """The reported figures for one backend."""

    backend: str
    events: int
    clients: int
    web_workers: int
    raw_events_per_s: float
    raw_p99_ms: float
    ingest_events_per_s: float
    ratio: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    non_201: int
    server_cpu_ms: float
    connections_per_worker: str
    stored: int

    @property
    def goal_met(self) -> bool:
        """Ingest at least half the raw rate, p99 under 50 ms, nothing refused."""
        return self.ratio >= 0.5 and self.p99_ms < 50 and self.non_201 == 0


# --- bodies -------------------------------------------------------------------------------------


def _facet(name: str, **fields: Any) -> dict[str, Any]:
    """A facet with the producer and schema URL that real integrations send."""
    return {"_producer": PRODUCER, "_schemaURL": FACET_URL.format(name, name), **fields}


def _schema_facet() -> dict[str, Any]:
    """A schema facet of ten typed columns."""
    fields = [{"name": name, "type": kind} for name, kind in COLUMNS]
    return _facet("SchemaDatasetFacet", fields=fields)


def _column_lineage(namespace: str, name: str) -> dict[str, Any]:
    """Column lineage of five output columns: four copied, one computed from two inputs."""

    def source(column: str, subtype: str = "IDENTITY") -> dict[str, Any]:
        transformation = {"type": "DIRECT", "subtype": subtype}
        return {"namespace": namespace, "name": name, "field": column, "transformations": [transformation]}

    fields: dict[str, Any] = {column: {"inputFields": [source(column)]} for column, _ in COLUMNS[:4]}
    computed = [source("amount", "TRANSFORMATION"), source("discount", "TRANSFORMATION")]
    fields["amount"] = {"inputFields": computed}
    return _facet("ColumnLineageDatasetFacet", fields=fields)


def run_event(index: int, base: datetime) -> dict[str, Any]:
    """A Spark-like COMPLETE RunEvent with one input and one output, unique by runId and eventTime."""
    source_ns, source = "postgres://pg-main:5432", "sales.public.orders"
    job = f"orders_daily.transform_{index % 50}"
    return {
        "eventType": "COMPLETE",
        "eventTime": (base + timedelta(milliseconds=index)).isoformat(),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": str(uuid.uuid4())},
        "job": {
            "namespace": "spark://etl-cluster",
            "name": job,
            "facets": {
                "jobType": _facet(
                    "JobTypeJobFacet", processingType="BATCH", integration="SPARK", jobType="JOB"
                )
            },
        },
        "inputs": [{"namespace": source_ns, "name": source, "facets": {"schema": _schema_facet()}}],
        "outputs": [
            {
                "namespace": "s3://lake-curated",
                "name": f"orders/daily_{index % 50}",
                "facets": {"schema": _schema_facet(), "columnLineage": _column_lineage(source_ns, source)},
                "outputFacets": {
                    "outputStatistics": _facet(
                        "OutputStatisticsOutputDatasetFacet", rowCount=1000 + index, size=65536 + index
                    )
                },
            }
        ],
    }


def make_bodies(count: int, base: datetime) -> list[bytes]:
    """``count`` distinct events, serialized once."""
    return [json.dumps(run_event(index, base)).encode() for index in range(count)]


# --- measuring ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def shards(items: list[bytes], parts: int) -> list[list[bytes]]:
    """Deal ``items`` round-robin into ``parts`` lists."""
    return [items[part::parts] for part in range(parts)]


class Client:
    """One connection of one client process; ``send`` returns "" on success, else what went wrong."""

    def connect(self) -> None:
        """Open the connection (in the client process)."""
        raise NotImplementedError

    def send(self, body: bytes) -> str:
        """Deliver one body."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection."""


class HttpClient(Client):
    """POST to the ingest API over one keep-alive connection: one event per request to
    /api/v1/lineage (success: 201), or a JSON array to /api/v1/lineage/batch (success: 200 with
    no failed event)."""

    def __init__(self, port: int, token: str, *, batch: bool = False) -> None:
        self.port = port
        self.path = BATCH_PATH if batch else LINEAGE_PATH
        self.batch = batch
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn: http.client.HTTPConnection | None = None

    def connect(self) -> None:
        """Open the keep-alive connection."""
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def send(self, body: bytes) -> str:
        """POST one event; a dropped connection is reopened and counted as a failure."""
        assert self.conn is not None
        try:
            self.conn.request("POST", self.path, body=body, headers=self.headers)
            response = self.conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as err:
            self.conn.close()
            self.connect()
            return type(err).__name__
        if self.batch:
            ok = response.status == 200 and json.loads(answer)["summary"]["failed"] == 0
            return "" if ok else f"HTTP {response.status}"
        return "" if response.status == 201 else f"HTTP {response.status}"

    def close(self) -> None:
        """Close the connection."""
        if self.conn is not None:
            self.conn.close()


class PostgresClient(Client):
    """INSERT + COMMIT of each body into raw_event over one psycopg connection."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.conn: psycopg.Connection[Any] | None = None

    def connect(self) -> None:
        """Open the connection."""
        self.conn = psycopg.connect(self.conninfo)

    def send(self, body: bytes) -> str:
        """Insert and commit one body."""
        assert self.conn is not None
        self.conn.execute("INSERT INTO raw_event(body) VALUES (%s)", (body.decode(),))
        self.conn.commit()
        return ""

    def close(self) -> None:
        """Close the connection."""
        if self.conn is not None:
            self.conn.close()


class SqliteClient(Client):
    """INSERT + COMMIT of each body into raw_event of a WAL-mode, synchronous=FULL SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None

    def connect(self) -> None:
        """Open the connection with the same durability and busy timeout as Headwater's."""
        self.conn = sqlite3.connect(self.path, timeout=10)
        self.conn.execute("PRAGMA synchronous=FULL")

    def send(self, body: bytes) -> str:
        """Insert and commit one body."""
        assert self.conn is not None
        self.conn.execute("INSERT INTO raw_event(body) VALUES (?)", (body.decode(),))
        self.conn.commit()
        return ""

    def close(self) -> None:
        """Close the connection."""
        if self.conn is not None:
            self.conn.close()


@dataclass(frozen=True, slots=True)
class ClientRun:
    """One client process's measured share."""

    start: float
    end: float
    latencies_ms: list[float]
    failures: dict[str, int]


def _client_main(
    client: Client, warmup: list[bytes], bodies: list[bytes], barrier: Any, results: Any
) -> None:
    """One client process: warm up, wait for the others, then send its share and report."""
    try:
        results.put(("ok", _client_run(client, warmup, bodies, barrier)))
    except Exception as err:  # reported to the parent, which fails the run
        barrier.abort()
        results.put(("error", f"{type(err).__name__}: {err}"))


def _client_run(client: Client, warmup: list[bytes], bodies: list[bytes], barrier: Any) -> ClientRun:
    """Send the warm-up bodies, then time each of the measured ones."""
    client.connect()
    for body in warmup:
        client.send(body)
    barrier.wait(READY_TIMEOUT_SECONDS)
    latencies: list[float] = []
    failures: dict[str, int] = {}
    start = time.monotonic()
    for body in bodies:
        sent = time.perf_counter()
        problem = client.send(body)
        latencies.append((time.perf_counter() - sent) * 1000)
        if problem:
            failures[problem] = failures.get(problem, 0) + 1
    end = time.monotonic()
    client.close()
    return ClientRun(start=start, end=end, latencies_ms=latencies, failures=failures)


def run_phase(
    client: Client,
    warmup: list[bytes],
    bodies: list[bytes],
    clients: int,
    watch: Callable[[], None] = lambda: None,
) -> Phase:
    """Run ``client`` in ``clients`` processes at once, from the first one's start to the last one's end."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients)
    results = context.Queue()
    processes = [
        context.Process(target=_client_main, args=(client, warm, share, barrier, results), daemon=True)
        for warm, share in zip(shards(warmup, clients), shards(bodies, clients), strict=True)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = _collect(results, len(processes), watch)
    except BaseException:
        for process in processes:
            process.kill()
        raise
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()
    errors = [detail for kind, detail in outcomes if kind == "error"]
    if errors:
        raise RuntimeError(f"a client failed: {errors[0]}")
    return _merge([detail for _, detail in outcomes])


def _collect(results: Any, count: int, watch: Callable[[], None]) -> list[tuple[str, Any]]:
    """Wait for ``count`` outcomes, calling ``watch`` about twice a second meanwhile."""
    outcomes: list[tuple[str, Any]] = []
    deadline = time.monotonic() + PHASE_TIMEOUT_SECONDS
    while len(outcomes) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the clients did not finish within {PHASE_TIMEOUT_SECONDS:.0f}s")
        try:
            outcomes.append(results.get(timeout=0.5))
        except queue.Empty:
            watch()
    return outcomes


def _merge(runs: list[ClientRun]) -> Phase:
    """One phase from every client's share."""
    failures: dict[str, int] = {}
    for run in runs:
        for problem, count in run.failures.items():
            failures[problem] = failures.get(problem, 0) + count
    latencies = [latency for run in runs for latency in run.latencies_ms]
    seconds = max(run.end for run in runs) - min(run.start for run in runs)
    return Phase(events=len(latencies), seconds=seconds, latencies_ms=latencies, failures=failures)


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(data_dir: Path, port: int, web_workers: int, secret: str, **headwater: str) -> dict[str, str]:
    """The gunicorn environment: ours without HEADWATER_*, plus the given settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEADWATER_")}
    env.update(
        HEADWATER_SECRET_KEY=secret,
        HEADWATER_DATA_DIR=str(data_dir),
        HEADWATER_PORT=str(port),
        HEADWATER_LOG_LEVEL="WARNING",
        HEADWATER_WEB_WORKERS=str(web_workers),
        PYTHONPATH=str(REPO),
        **{f"HEADWATER_{name.upper()}": value for name, value in headwater.items()},
    )
    return env


@dataclass(frozen=True, slots=True)
class Server:
    """A running gunicorn: where it listens and its master's pid."""

    port: int
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time (user + system) its workers used so far."""
        return sum(sum(child.cpu_times()[:2]) for child in psutil.Process(self.pid).children())

    def spread(self) -> tuple[int, ...]:
        """How many client connections each worker holds, most first."""
        counts = []
        for worker in psutil.Process(self.pid).children():
            try:
                sockets = worker.net_connections(kind="tcp")
            except psutil.Error:
                continue
            mine = [c for c in sockets if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == self.port]
            counts.append(len(mine))
        return tuple(sorted(counts, reverse=True))


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[Server]:
    """Run gunicorn as in production until the block ends; yields it once /readyz says 200."""
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:web.gunicorn_conf", "web.wsgi:app"]
    with log.open("ab") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        port = int(env["HEADWATER_PORT"])
        _wait_ready(port, process, log)
        yield Server(port=port, pid=process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll /readyz until 200; fail with the log's tail if the server exits or takes too long."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
    raise RuntimeError(f"gunicorn did not become ready on port {port}:\n{tail}")


def batched(bodies: list[bytes], size: int) -> list[bytes]:
    """The bodies as JSON arrays of ``size`` events (the last may be shorter)."""
    return [b"[" + b",".join(bodies[i : i + size]) + b"]" for i in range(0, len(bodies), size)]


def ingest_phase(
    server: Server, token: str, warmup: list[bytes], bodies: list[bytes], clients: int, *, batch_size: int = 0
) -> Phase:
    """The HTTP phase, with gunicorn's CPU time per event (warm-up included) and connections per worker.

    With ``batch_size``, each request carries that many events to the batch endpoint; the rate
    counts events, the latencies are per request.
    """
    if batch_size:
        events = len(warmup) + len(bodies)
        warmup, bodies = batched(warmup, batch_size), batched(bodies, batch_size)
        per_request = batch_size
    else:
        events, per_request = len(warmup) + len(bodies), 1
    spread: tuple[int, ...] = ()

    def watch() -> None:
        nonlocal spread
        seen = server.spread()
        if sum(seen) > sum(spread):
            spread = seen

    before = server.cpu_seconds()
    phase = run_phase(HttpClient(server.port, token, batch=bool(batch_size)), warmup, bodies, clients, watch)
    cpu_ms = (server.cpu_seconds() - before) * 1000 / events
    return Phase(
        phase.events * per_request, phase.seconds, phase.latencies_ms, phase.failures, cpu_ms, spread
    )


def stored_events(url: str) -> int:
    """How many events the server stored."""
    database = Database(url, pool_size=1)
    try:
        with database.session() as session:
            return int(session.execute(text("SELECT count(*) FROM lineage_event")).scalar_one())
    finally:
        database.dispose()


def mint_token(settings: Settings) -> str:
    """An ingest-scoped token in the settings' database."""
    database = Database(settings.resolved_database_url, pool_size=1)
    try:
        with database.session() as session:
            pepper, scopes = settings.token_pepper(), parse_scopes(["ingest"])
            created = create_token(session, name="bench", scopes=scopes, pepper=pepper, now=utcnow())
        return created.secret
    finally:
        database.dispose()


# --- backends -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    """The command line."""

    events: int
    clients: int
    web_workers: int
    database_url: str
    broker_url: str
    skip_sqlite: bool
    json: bool
    batch_size: int


def figures(backend: str, options: Options, raw: Phase, ingest: Phase, stored: int) -> Figures:
    """The reported figures of one backend's two phases."""
    return Figures(
        backend=f"{backend}/b{options.batch_size}" if options.batch_size else backend,
        events=ingest.events,
        clients=options.clients,
        web_workers=options.web_workers,
        raw_events_per_s=round(raw.rate, 1),
        raw_p99_ms=round(percentile(raw.latencies_ms, 0.99), 2),
        ingest_events_per_s=round(ingest.rate, 1),
        ratio=round(ingest.rate / raw.rate, 3),
        p50_ms=round(percentile(ingest.latencies_ms, 0.50), 2),
        p95_ms=round(percentile(ingest.latencies_ms, 0.95), 2),
        p99_ms=round(percentile(ingest.latencies_ms, 0.99), 2),
        non_201=sum(ingest.failures.values()),
        server_cpu_ms=round(ingest.server_cpu_ms, 2),
        connections_per_worker="+".join(map(str, ingest.spread)),
        stored=stored,
    )


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """The URL of a fresh database, dropped WITH (FORCE) at the end."""
    admin = make_url(admin_url.replace("postgresql+psycopg://", "postgresql://")).set(drivername="postgresql")
    admin_conninfo = admin.render_as_string(hide_password=False)
    name = f"hw_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis(url: str) -> None:
    """Empty the benchmark's Redis database: the tasks of accepted events nobody consumes."""
    redis.Redis.from_url(url).flushdb()


def bench_postgres(options: Options, warmup: list[bytes], bodies: list[bytes], work: Path) -> Figures:
    """Raw psycopg INSERT + COMMIT, then HTTP ingest, into one fresh PostgreSQL database."""
    secret = secrets.token_hex(16)
    data_dir = work / "postgres"
    data_dir.mkdir()
    flush_redis(options.broker_url)
    try:
        with postgres_database(options.database_url) as url:
            upgrade(url)
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("CREATE TABLE raw_event (id bigserial PRIMARY KEY, body text NOT NULL)")
            raw = run_phase(PostgresClient(url), warmup, bodies, options.clients)
            token = mint_token(Settings(database_url=url, secret_key=secret, data_dir=data_dir))
            env = server_env(
                data_dir,
                free_port(),
                options.web_workers,
                secret,
                database_url=url,
                broker_url=options.broker_url,
            )
            with gunicorn(env, data_dir / "gunicorn.log") as server:
                ingest = ingest_phase(
                    server, token, warmup, bodies, options.clients, batch_size=options.batch_size
                )
            stored = stored_events(url)
    finally:
        flush_redis(options.broker_url)
    return figures("postgresql", options, raw, ingest, stored)


def bench_sqlite(options: Options, warmup: list[bytes], bodies: list[bytes], work: Path) -> Figures:
    """Raw sqlite3 INSERT + COMMIT into its own WAL file, then HTTP ingest into the embedded default."""
    secret = secrets.token_hex(16)
    raw_path = work / "raw.db"
    with closing(sqlite3.connect(raw_path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE raw_event (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    raw = run_phase(SqliteClient(raw_path), warmup, bodies, options.clients)
    data_dir = work / "sqlite"
    settings = Settings(database_url="", broker_url="", secret_key=secret, data_dir=data_dir)
    upgrade(settings.resolved_database_url)
    token = mint_token(settings)
    env = server_env(data_dir, free_port(), options.web_workers, secret)
    with gunicorn(env, work / "gunicorn-sqlite.log") as server:
        ingest = ingest_phase(server, token, warmup, bodies, options.clients, batch_size=options.batch_size)
    return figures("sqlite", options, raw, ingest, stored_events(settings.resolved_database_url))


# --- report -------------------------------------------------------------------------------------


def table(results: list[Figures]) -> str:
    """The figures as a fixed-width table."""
    head = (
        f"{'backend':<11}{'raw ev/s':>9}{'raw p99':>8}{'ingest ev/s':>12}{'ratio':>6}{'p50 ms':>7}"
        f"{'p95 ms':>7}{'p99 ms':>7}{'non-201':>8}{'cpu ms/req':>11}  goal    conns"
    )
    rows = [
        f"{f.backend:<11}{f.raw_events_per_s:>9.0f}{f.raw_p99_ms:>8.1f}{f.ingest_events_per_s:>12.0f}"
        f"{f.ratio:>6.2f}{f.p50_ms:>7.1f}{f.p95_ms:>7.1f}{f.p99_ms:>7.1f}{f.non_201:>8}{f.server_cpu_ms:>11.2f}"
        f"  {'met' if f.goal_met else 'missed':<8}{f.connections_per_worker}"
        for f in results
    ]
    return "\n".join([head, *rows])


def check_stored(results: list[Figures], warmup: int) -> None:
    """Say so on stderr when the server did not store exactly the events it answered 201 for."""
    for f in results:
        if f.non_201 or f.stored != warmup + f.events:
            sent = warmup + f.events
            print(f"{f.backend}: {f.non_201} non-201 answers; {f.stored} of {sent} stored", file=sys.stderr)


def load() -> str:
    """The 1-minute load average, to judge whether something else shared the machine."""
    return f"{os.getloadavg()[0]:.2f}"


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=4000, help="measured events per phase (default 4000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client processes (default 8)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--database-url", default=ADMIN_URL, help=f"PostgreSQL admin URL ({ADMIN_URL})")
    parser.add_argument("--broker-url", default=BROKER_URL, help=f"Redis database, flushed ({BROKER_URL})")
    parser.add_argument("--skip-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=0,
        help="N events per request to /api/v1/lineage/batch, not one per /api/v1/lineage (default 0)",
    )
    args = parser.parse_args(argv)
    if args.events < args.clients or args.clients < 1:
        parser.error("need at least one client and at least one event per client")
    return Options(
        events=args.events,
        clients=args.clients,
        web_workers=args.web_workers,
        database_url=args.database_url,
        broker_url=args.broker_url,
        skip_sqlite=args.skip_sqlite,
        json=args.json,
        batch_size=args.batch_size,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run every phase and print the figures."""
    options = parse_args(argv)
    # On SIGTERM, unwind through the finally blocks that stop gunicorn and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    base = datetime.now(UTC).replace(microsecond=0)
    everything = make_bodies(WARMUP_REQUESTS + options.events, base)
    warmup, bodies = everything[:WARMUP_REQUESTS], everything[WARMUP_REQUESTS:]
    mean_kb = sum(map(len, bodies)) / len(bodies) / 1024
    print(
        f"{options.events} events per phase ({mean_kb:.1f} KB each), {options.clients} clients, "
        f"gunicorn {options.web_workers} workers, {os.cpu_count()} CPUs, load {load()}",
        flush=True,
    )
    results: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="hw-bench-") as work:
        results.append(bench_postgres(options, warmup, bodies, Path(work)))
        if not options.skip_sqlite:
            results.append(bench_sqlite(options, warmup, bodies, Path(work)))
    print(table(results))
    print(f"load {load()}; cpu ms/req: gunicorn workers' CPU per request; conns: connections per worker")
    check_stored(results, len(warmup))
    if options.json:
        print(json.dumps([{**asdict(f), "goal_met": f.goal_met} for f in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
