"""The console's catalog search at scale: ``search_catalog`` over a synthetic estate in PostgreSQL.

The estate (``--scale 1``): 100,000 datasets in 20 lake namespaces and 50,000 jobs in 10 Airflow
namespaces, 10 current fields each dataset (1,000,000 fields), a ``schema`` facet on every
dataset, a ``tags`` facet on one in five (a tier tag and a field-level tag), an ``ownership``
facet on one dataset in two and one job in three (40 teams), and 300,000 runs' worth of run
facets (two each) so that the facet table is as crowded as a real one. Rows go in with COPY;
``facet_label`` is then filled by the fold's own ``refresh_labels``, and the tables ANALYZEd.

Each query is run ``--repeat`` times after one warm-up, one session each, as a console request
does (the page's hits enriched with descriptions, tags and owners included); the table gives the
median and the slowest. A limited caller (grants on two lake namespaces and one Airflow one) runs
the same queries. Usage::

    .venv/bin/python bench/catalog_search.py [--scale 1.0] [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from governance.access import EVERYTHING, Grant, Grants  # noqa: E402  # after the path is set
from governance.db import Database  # noqa: E402
from governance.lineage.catalog_query import CatalogQuery  # noqa: E402
from governance.lineage.catalog_search import search_catalog  # noqa: E402
from governance.lineage.labels_write import refresh_labels  # noqa: E402
from governance.lineage.upsert import Upserts  # noqa: E402
from governance.schema_migrations import upgrade  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=UTC)
LAKES, ORCHESTRATORS, TEAMS = 20, 10, 40
QUERIES = {
    "recently changed": CatalogQuery(),
    "a name (111 hits)": CatalogQuery(text="table_123"),
    "an owner, as text (17k hits)": CatalogQuery(text="team:3"),
    "a field name in a namespace": CatalogQuery(namespace="s3://lake-3", text="col_5"),
    "a tag filter": CatalogQuery(tag="tier3"),
    "an owner filter, jobs": CatalogQuery(owner="team:9", kind="job"),
}
LIMITED = Grants().narrowed([Grant("s3://lake-1?", "*"), Grant("airflow-3", "*")])


def _copy(
    conn: psycopg.Connection[Any], table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]
) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _facets(datasets: int, jobs: int, runs: int) -> Iterator[tuple[Any, ...]]:
    for d in range(1, datasets + 1):
        yield (
            f"dataset:{d}",
            "schema",
            START,
            "h",
            json.dumps({"fields": [{"name": f"col_{k}"} for k in range(10)]}),
        )
        if d % 5 == 0:
            tags = [{"key": f"tier{d % 7}", "value": ""}, {"key": "pii", "value": "true", "field": "col_1"}]
            yield f"dataset:{d}", "tags", START, "h", json.dumps({"tags": tags})
        if d % 2 == 0:
            owners = [{"name": f"team:{d % TEAMS}", "type": "MAINTAINER"}]
            yield f"dataset:{d}", "ownership", START, "h", json.dumps({"owners": owners})
    for j in range(1, jobs + 1):
        if j % 3 == 0:
            yield f"job:{j}", "ownership", START, "h", json.dumps({"owners": [{"name": f"team:{j % TEAMS}"}]})
    for r in range(runs):
        run = uuid.UUID(int=r)
        yield (
            f"run:{run}",
            "nominalTime",
            START,
            "h",
            json.dumps({"nominalStartTime": "2026-01-01T00:00:00Z"}),
        )
        yield f"run-job:{run}", "ownership", START, "h", json.dumps({"owners": [{"name": "team:1"}]})


def build(url: str, scale: float) -> None:
    """Migrate a fresh database and fill it with the estate."""
    datasets, jobs, runs = int(100_000 * scale), int(50_000 * scale), int(300_000 * scale)
    upgrade(url)
    namespaces = [f"s3://lake-{i}" for i in range(LAKES)] + [f"airflow-{i}" for i in range(ORCHESTRATORS)]
    with psycopg.connect(url) as conn:
        _copy(
            conn, "namespace", ["name", "created_at", "updated_at"], ((n, START, START) for n in namespaces)
        )
        _copy(
            conn,
            "dataset",
            ["id", "namespace", "name", "created_at", "updated_at", "deleted"],
            (
                (
                    i,
                    namespaces[i % LAKES],
                    f"db{i % 97}.table_{i}",
                    START,
                    START + timedelta(seconds=i),
                    False,
                )
                for i in range(1, datasets + 1)
            ),
        )
        _copy(
            conn,
            "job",
            ["id", "namespace", "name", "created_at", "updated_at", "deleted"],
            (
                (
                    i,
                    namespaces[LAKES + i % ORCHESTRATORS],
                    f"dag{i % 300}.task_{i}",
                    START,
                    START + timedelta(seconds=i),
                    False,
                )
                for i in range(1, jobs + 1)
            ),
        )
        _copy(
            conn,
            "dataset_field",
            ["dataset_id", "path", "type", "ordinal"],
            ((d, f"col_{k}_{d % 13}", "STRING", k) for d in range(1, datasets + 1) for k in range(10)),
        )
        _copy(
            conn,
            "facet",
            ["subject", "name", "event_time", "content_hash", "payload"],
            _facets(datasets, jobs, runs),
        )
    database = Database(url)
    with database.session() as session:
        subjects = [f"dataset:{d}" for d in range(1, datasets + 1)] + [f"job:{j}" for j in range(1, jobs + 1)]
        refresh_labels(Upserts(session), subjects)
        session.commit()
    database.dispose()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def measure(url: str, repeat: int) -> list[dict[str, Any]]:
    """Median and slowest milliseconds of each query, for everything and for the limited caller."""
    database = Database(url)
    results = []
    try:
        for who, grants in (("unrestricted", EVERYTHING), ("limited", LIMITED)):
            for label, query in QUERIES.items():
                times, total = [], 0
                for attempt in range(repeat + 1):
                    with database.session() as session:
                        began = time.perf_counter()
                        total = search_catalog(session, query, grants=grants, limit=25, offset=0).total
                        elapsed = (time.perf_counter() - began) * 1000
                    if attempt:
                        times.append(elapsed)
                results.append(
                    {
                        "caller": who,
                        "query": label,
                        "total": total,
                        "median_ms": round(statistics.median(times), 1),
                        "max_ms": round(max(times), 1),
                    }
                )
    finally:
        database.dispose()
    return results


def main() -> None:
    """Build the estate in a fresh database, time the queries, print the table, drop the database."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    admin = make_url(args.database_url.replace("+psycopg", ""))
    conninfo = admin.render_as_string(hide_password=False)
    name = f"hw_catalog_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        began = time.perf_counter()
        build(url, args.scale)
        print(f"estate built in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        results = measure(url, args.repeat)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'caller':<13} {'query':<30} {'total':>7} {'median ms':>10} {'max ms':>8}")
    for r in results:
        print(f"{r['caller']:<13} {r['query']:<30} {r['total']:>7} {r['median_ms']:>10} {r['max_ms']:>8}")


if __name__ == "__main__":
    main()
