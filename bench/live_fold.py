"""Events folded into the graph per worker CPU-second, on a corpus replay through the live stack.

gunicorn (as in production), a Celery worker (one prefork child, ``--concurrency 1``) and the
database run on this machine. ``--clients`` threads replay the shared OpenLineage corpus (every
valid event, the Marquez demo seed at ``--copies`` start times; events repeated across copies are
stored once) to ``POST /api/v1/lineage``. The first half is sent while no worker runs; the worker
then starts and drains that backlog (**backlog**: its capacity, wall time from its start to the
last event folded). The second half is sent while it runs (**streaming**: folding keeps up with
ingest, so the wall rate is the ingest rate). Figures: events per CPU-second of the worker's
processes (psutil; the main process's setup before the prefork child appears is left out) and
per wall-clock second. PostgreSQL with Redis as the broker, then the embedded defaults.

    .venv/bin/python bench/live_fold.py [--copies 20] [--clients 4] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil
import requests
from sqlalchemy import text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from graph_processing import CORPORA, corpus_bodies  # noqa: E402
from ingest import flush_redis, free_port, gunicorn, mint_token, postgres_database, server_env  # noqa: E402

from governance.config import Settings  # noqa: E402
from governance.db import Database  # noqa: E402
from governance.schema_migrations import upgrade  # noqa: E402

GOAL = 500.0
DONE_TIMEOUT_SECONDS = 600


@dataclass(frozen=True, slots=True)
class Run:
    """One replay: how many events, the worker's CPU time, and the wall time to the last fold."""

    events: int
    worker_cpu_seconds: float
    wall_seconds: float

    @property
    def per_worker_second(self) -> float:
        """Events per CPU-second of the worker."""
        return self.events / self.worker_cpu_seconds

    @property
    def per_wall_second(self) -> float:
        """Events per second from the first request to the last event folded."""
        return self.events / self.wall_seconds


@contextmanager
def celery_worker(env: dict[str, str], log: Path) -> Iterator[tuple[psutil.Process, float]]:
    """``celery worker`` with one prefork child, until the block ends.

    Yields its main process and the main process's CPU time when the child appeared: the imports
    and setup before are not folding (the child's own CPU time counts from its fork).
    """
    argv = [
        sys.executable,
        *("-m", "celery", "-A", "governance.tasks", "worker", "--concurrency", "1"),
        *("--loglevel", "WARNING", "--without-mingle", "--without-gossip", "--hostname", "bench@%h"),
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        main = psutil.Process(process.pid)
        deadline = time.monotonic() + 60
        while not main.children():
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"the worker did not start; see {log}")
            time.sleep(0.01)
        yield main, sum(main.cpu_times()[:2])
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(main: psutil.Process) -> float:
    """User + system CPU time of the worker and its children so far."""
    processes = [main, *main.children(recursive=True)]
    return sum(sum(p.cpu_times()[:2]) for p in processes if p.is_running())


def drained(url: str) -> int:
    """Wait until no stored event waits to be folded; how many are done."""
    deadline = time.monotonic() + DONE_TIMEOUT_SECONDS
    while True:
        done, waiting = outbox(url)
        if waiting == 0:
            return done
        if time.monotonic() > deadline:
            raise SystemExit(f"{waiting} events not folded after {DONE_TIMEOUT_SECONDS}s")
        time.sleep(0.05)


def outbox(url: str) -> tuple[int, int]:
    """(done, not done) events in the outbox (one per distinct event stored)."""
    database = Database(url, pool_size=1)
    try:
        with database.session() as session:
            row = session.execute(
                text(
                    "SELECT sum(CASE WHEN status = 'done' THEN 1 ELSE 0 END),"
                    " sum(CASE WHEN status <> 'done' THEN 1 ELSE 0 END) FROM outbox"
                )
            ).one()
            return int(row[0] or 0), int(row[1] or 0)
    finally:
        database.dispose()


def replay(port: int, token: str, bodies: Sequence[bytes], clients: int) -> None:
    """POST every body once, from ``clients`` threads; every answer must be 201."""
    failures: list[str] = []

    def send(share: Sequence[bytes]) -> None:
        with requests.Session() as http:
            http.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            for body in share:
                response = http.post(f"http://127.0.0.1:{port}/api/v1/lineage", data=body, timeout=30)
                if response.status_code != 201:
                    failures.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=send, args=(bodies[i::clients],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} events were not accepted: {failures[:3]}")


def measure(
    url: str, env: dict[str, str], token: str, bodies: Sequence[bytes], *, clients: int, work: Path
) -> dict[str, Run]:
    """Two replays into one database: into a stopped worker, which then drains the backlog
    (its capacity), and, for the second half, into the running worker (at the offered load)."""
    half = len(bodies) // 2
    runs: dict[str, Run] = {}
    with gunicorn(env, work / "gunicorn.log") as server:
        replay(server.port, token, bodies[:half], clients)
        with celery_worker(env, work / "worker.log") as (worker, setup_cpu):
            started = time.perf_counter()
            done = drained(url)
            runs["backlog"] = Run(done, cpu_seconds(worker) - setup_cpu, time.perf_counter() - started)
            before = cpu_seconds(worker)
            started = time.perf_counter()
            replay(server.port, token, bodies[half:], clients)
            total = drained(url)
            runs["streaming"] = Run(total - done, cpu_seconds(worker) - before, time.perf_counter() - started)
    return runs


def run_postgres(bodies: Sequence[bytes], clients: int, admin_url: str, broker_url: str) -> dict[str, Run]:
    """One replay into a fresh PostgreSQL database, Redis as the broker."""
    secret = secrets.token_hex(16)
    flush_redis(broker_url)
    with tempfile.TemporaryDirectory() as directory, postgres_database(admin_url) as url:
        work = Path(directory)
        upgrade(url)
        token = mint_token(Settings(database_url=url, secret_key=secret, data_dir=work))
        env = server_env(work, free_port(), 2, secret, database_url=url, broker_url=broker_url)
        try:
            return measure(url, env, token, bodies, clients=clients, work=work)
        finally:
            flush_redis(broker_url)


def run_sqlite(bodies: Sequence[bytes], clients: int) -> dict[str, Run]:
    """One replay on the embedded defaults: a SQLite file and the SQLite broker."""
    secret = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        settings = Settings(database_url="", broker_url="", secret_key=secret, data_dir=work)
        upgrade(settings.resolved_database_url)
        token = mint_token(settings)
        env = server_env(work, free_port(), 2, secret)
        return measure(settings.resolved_database_url, env, token, bodies, clients=clients, work=work)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the folding rates of a live replay on each backend."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=20, help="instances of the demo seed (26 events each)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not CORPORA.is_dir():
        print(f"the corpus is not at {CORPORA}", file=sys.stderr)
        return 2
    bodies = corpus_bodies(args.copies)
    backends = {"postgresql": lambda: run_postgres(bodies, args.clients, args.database_url, args.broker_url)}
    if not args.skip_sqlite:
        backends["sqlite"] = lambda: run_sqlite(bodies, args.clients)
    results = {}
    for backend, run in backends.items():
        runs = [run() for _ in range(args.runs)]
        for mode in ("backlog", "streaming"):
            of_mode = [r[mode] for r in runs]
            results[f"{backend}, {mode}"] = {
                "events": of_mode[0].events,
                "per_worker_cpu_second_median": round(
                    statistics.median(r.per_worker_second for r in of_mode), 1
                ),
                "per_worker_cpu_second_range": [
                    round(min(r.per_worker_second for r in of_mode), 1),
                    round(max(r.per_worker_second for r in of_mode), 1),
                ],
                "per_wall_second_median": round(statistics.median(r.per_wall_second for r in of_mode), 1),
                "runs": [asdict(r) for r in of_mode],
                "goal": GOAL,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for backend, figures in results.items():
            low, high = figures["per_worker_cpu_second_range"]
            print(
                f"{backend:>22}: {figures['per_worker_cpu_second_median']:7.1f} events/worker CPU-second "
                f"({low}-{high}); {figures['per_wall_second_median']:6.1f} events/s wall, "
                f"{figures['events']} events; goal {GOAL:.0f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
