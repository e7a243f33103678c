"""Events folded into the lineage graph per worker-second, on PostgreSQL and on SQLite.

The shared OpenLineage corpus is accepted (every valid ``full`` event once, and the Marquez
demo seed instantiated at ``--copies`` start times, so that its runs are distinct), then one
process folds every event as a Celery worker does (``process_events``: claim, lock, run state
and graph handlers, done). Tasks carry ``--task-sizes`` event ids each (the relay sends what
waits, 1 when idle and up to 100 under load; the sweep 100), folded as they come; then, as the
worker runs, tasks of one id each filled from the never-tried backlog up to ``FOLD_BATCH``
(their messages for events already folded are skipped, and counted in the time). The figure is
events / wall-clock seconds of that loop: one worker process, the database on the same machine.
Each run starts from an empty database; the median of ``--runs`` is reported, with the spread.

    .venv/bin/python bench/graph_processing.py [--copies 20] [--runs 3] [--task-sizes 1,10,100] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import structlog

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from governance.db import Database  # noqa: E402  # after the path is set
from governance.ingest.accept import accept_event  # noqa: E402
from governance.ingest.process import ProcessOutcome, process_events  # noqa: E402
from governance.schema_migrations import upgrade  # noqa: E402
from governance.tasks import FOLD_BATCH  # noqa: E402
from tests.corpus import valid_bodies  # noqa: E402

CORPORA = REPO.parent / "shared" / "corpora"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
GOAL = 500.0


def corpus_bodies(copies: int) -> list[bytes]:
    """The valid corpus events, with the demo seed's runs repeated ``copies`` times."""
    bodies: list[bytes] = []
    for copy in range(copies):
        bodies.extend(valid_bodies(CORPORA, datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=copy)))
    return bodies


def fold_rate(url: str, bodies: Sequence[bytes], task_size: int, fill_to: int) -> tuple[int, float]:
    """Accept ``bodies`` into a fresh database at ``url``, then fold them in one process as
    tasks of ``task_size`` event ids, each filled from the backlog up to ``fill_to``."""
    upgrade(url)
    database = Database(url)
    ids: list[int] = []
    now = datetime.now(UTC)
    with database.session() as session:
        for body in bodies:
            accept_event(
                session,
                body,
                max_depth=1000,
                now=now,
                publish_grace=timedelta(seconds=30),
                enqueue=ids.append,
            )
    started = time.perf_counter()
    done: set[int] = set()
    with database.session() as session:
        for start in range(0, len(ids), task_size):
            outcomes = process_events(
                session,
                event_ids=ids[start : start + task_size],
                now=now,
                processing_lease=timedelta(seconds=60),
                max_attempts=1,
                fill_to=fill_to,
            )
            done |= {i for i, o in outcomes.items() if o is ProcessOutcome.DONE}
    if done != set(ids):
        raise SystemExit(f"{len(set(ids) - done)} events did not fold")
    elapsed = time.perf_counter() - started
    database.dispose()
    return len(ids), elapsed


def run_postgres(bodies: Sequence[bytes], task_size: int, fill_to: int) -> tuple[int, float]:
    """One run on a database of its own, dropped afterwards."""
    name = f"headwater_bench_fold_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{POSTGRES}/test", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        return fold_rate(f"{POSTGRES}/{name}", bodies, task_size, fill_to)
    finally:
        with psycopg.connect(f"{POSTGRES}/test", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def run_sqlite(bodies: Sequence[bytes], task_size: int, fill_to: int) -> tuple[int, float]:
    """One run on a fresh SQLite file."""
    with tempfile.TemporaryDirectory() as directory:
        return fold_rate(f"sqlite:///{directory}/bench.db", bodies, task_size, fill_to)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the folding rate on each backend."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=20, help="instances of the demo seed (26 events each)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--task-sizes",
        default="1,10,100",
        help="event ids per task, comma-separated, folded without filling from the backlog",
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not CORPORA.is_dir():
        print(f"the corpus is not at {CORPORA}", file=sys.stderr)
        return 2
    # A log line per event is the worker's business, not this figure's.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    bodies = corpus_bodies(args.copies)
    backends = {"postgresql": run_postgres} | ({} if args.skip_sqlite else {"sqlite": run_sqlite})
    results: dict[str, dict[str, float]] = {}
    for backend, run in backends.items():
        modes = [(int(size), 0) for size in args.task_sizes.split(",")] + [(1, FOLD_BATCH)]
        for task_size, fill_to in modes:
            rates, events = [], 0
            for _ in range(args.runs):
                events, elapsed = run(bodies, task_size, fill_to)
                rates.append(events / elapsed)
            label = f"{backend}, tasks of {task_size}" + (f" filled to {fill_to}" if fill_to else "")
            results[label] = {
                "events": events,
                "events_per_worker_second_median": round(statistics.median(rates), 1),
                "min": round(min(rates), 1),
                "max": round(max(rates), 1),
                "goal": GOAL,
            }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for backend, figures in results.items():
            print(
                f"{backend:>38}: {figures['events_per_worker_second_median']:7.1f} events/worker-second "
                f"(min {figures['min']}, max {figures['max']}, {figures['events']} events; goal {GOAL:.0f})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
