"""Lineage reads at scale: /lineage and /column-lineage at depth 20 over a synthetic estate in
PostgreSQL, beside a networkx BFS of the same graph in memory, in one run.

The estate (``--scale 1``: 100,000 datasets, 1,000,000 fields, 50,000 jobs, 1,000,000 column
edges) is a layered streaming estate, written straight into the graph's tables with COPY and
then VACUUM ANALYZEd:

* 20 layers of datasets: Kafka topics (``kafka://prod``, layers 0-7), warehouse tables
  (``postgres://warehouse:5432``, 8-13) and lake tables (``s3://lake-curated``, 14-19), each
  with the same ten fields; a layer's datasets sit on a ring split into business domains;
* each job writes one or two neighbouring datasets of one layer and reads one to three of the
  earlier layers (mostly the one before), near the same place on the ring: pipelines stay
  local, so a depth-20 walk reaches a neighbourhood of hundreds of nodes, not the estate;
* the jobs of every other domain declare column lineage: each output field DIRECT from the
  same field of one of the inputs, and INDIRECT from the join and filter keys of the inputs
  (``event_id``, ``customer_id``, ``order_id``, ``event_time``), as many as make up exactly
  the requested number of edges; every edge is current, consistent with ``job_io``.

No runs, versions or facets are seeded: the API's node data is the rows alone, so its
serialisation here is the lightest it can be. The COPY skips the foreign key triggers
(``session_replication_role = replica``, hence a superuser such as the default ``postgres``).

Measured, from the same ``--starts`` random start nodes (datasets with lineage for /lineage,
fields with column lineage for /column-lineage, ``withDownstream=true``), each at ``--depth``:

* **http**: one request after the other over a keep-alive connection to gunicorn started as
  in production (``HEADWATER_READ_AUTH=off``), until the whole body has arrived;
* **in-process**: ``traverse.lineage`` / ``column_walk.column_lineage`` called directly, one
  session each, as the route does: the walk plus the node data, without HTTP or JSON;
* **walk**: the breadth-first walk alone (``traverse._table_walk`` / ``column_walk.column_walk``), one
  batched query per level and direction;
* **bfs**: networkx BFS over the same rows loaded into a DiGraph (dataset -> job -> dataset
  from ``job_io``, field -> field from current ``column_edge`` rows), upstream over
  predecessors and downstream over successors, to the same depth the walks go.

Every answer's node set is checked against the BFS's (a wrong walk fails the run). The goal is
p95 under 200 ms over HTTP, and at most 3 x the in-memory BFS's p95. Usage::

    .venv/bin/python bench/lineage_query.py [--scale 1.0] [--starts 100] [--keep] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx  # type: ignore[import-untyped]  # no stubs installed
import psycopg
import requests
from sqlalchemy.engine import make_url

from governance.access import EVERYTHING
from governance.db import Database
from governance.lineage import column_walk, traverse
from governance.lineage.nodes import dataset_node_id, field_node_id, job_node_id, resolve_node
from governance.schema_migrations import upgrade

REPO = Path(__file__).resolve().parents[1]
# The server helpers are bench/ingest.py's; this file runs as a script, from any directory.
sys.path.insert(0, str(REPO))

from bench import ingest as ingest_bench  # noqa: E402  # after the path is set
from bench.ingest import free_port, server_env  # noqa: E402

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE = "headwater_bench_lineage"
REQUEST_TIMEOUT_SECONDS = 120.0
WARMUP_STARTS = 10
GOAL_P95_MS = 200.0
GOAL_RATIO = 3.0

# --- the estate's shape (at --scale 1) ------------------------------------------------------------

DATASETS = 100_000
JOBS = 50_000
COLUMN_EDGES = 1_000_000
LAYERS = 20
WINDOW = 6  # how far from its outputs' place on the ring a job reads
DOMAIN_WIDTH = 125  # datasets of one layer per business domain
INPUT_COUNTS, INPUT_WEIGHTS = (1, 2, 3), (35, 40, 25)
LAYERS_BACK, BACK_WEIGHTS = (1, 2, 3), (80, 15, 5)
DIRECT_SHARE = 0.9  # of the non-key output fields; the rest are computed from the keys alone
FIELDS = (
    ("event_id", "STRING"),
    ("customer_id", "BIGINT"),
    ("order_id", "BIGINT"),
    ("event_time", "TIMESTAMP"),
    ("status", "STRING"),
    ("amount", "DECIMAL(12,2)"),
    ("currency", "STRING"),
    ("country", "STRING"),
    ("channel", "STRING"),
    ("payload", "STRING"),
)
KEY_FIELDS = (0, 1, 2, 3)  # the fields joins and filters use
ALWAYS_DIRECT = (0, 1)  # copied by every job that declares column lineage
DOMAINS = (
    "orders",
    "payments",
    "customers",
    "inventory",
    "shipping",
    "marketing",
    "fraud",
    "billing",
    "search",
    "ads",
    "support",
    "identity",
    "pricing",
    "catalog",
    "returns",
    "loyalty",
    "risk",
    "logistics",
    "reviews",
    "sessions",
)
# (first layer, dataset namespace, namespace of the jobs writing it, how its datasets are named)
TIERS = (
    (0, "kafka://prod", "flink://streaming", "prod.{domain}.l{layer:02d}.events_{pos:05d}"),
    (8, "postgres://warehouse:5432", "dbt://analytics", "warehouse.{domain}.l{layer:02d}_t{pos:05d}"),
    (14, "s3://lake-curated", "spark://etl-cluster", "curated/{domain}/l{layer:02d}/part_{pos:05d}"),
)
JOB_NAMES = {
    "flink://streaming": "{domain}.enrich_l{layer:02d}_{pos:05d}",
    "dbt://analytics": "analytics.{domain}.model_l{layer:02d}_{pos:05d}",
    "spark://etl-cluster": "{domain}.batch_l{layer:02d}_{pos:05d}",
}
BASE_TIME = datetime(2025, 1, 6, tzinfo=UTC)
In = TypeVar("In")
Out = TypeVar("Out")


@dataclass
class Estate:
    """The synthetic graph, with the ids its rows get."""

    namespaces: list[str] = field(default_factory=list)
    datasets: list[tuple[str, str]] = field(default_factory=list)  # id = index + 1
    jobs: list[tuple[str, str]] = field(default_factory=list)  # id = index + 1
    # (job id, direction, dataset id)
    io: list[tuple[int, str, int]] = field(default_factory=list)
    # (job id, source field id, target field id, transformation)
    edges: list[tuple[int, int, int, str]] = field(default_factory=list)


def field_id(dataset_id: int, ordinal: int) -> int:
    """The id of a dataset's field: ten per dataset, in dataset order."""
    return (dataset_id - 1) * len(FIELDS) + ordinal + 1


def _split(total: int, parts: int) -> list[int]:
    """``total`` dealt into ``parts`` near-equal whole numbers."""
    return [total // parts + (1 if part < total % parts else 0) for part in range(parts)]


def _tier(layer: int) -> tuple[str, str, str]:
    found = TIERS[0]
    for tier in TIERS:
        if layer >= tier[0]:
            found = tier
    return found[1], found[2], found[3]


def _domain(pos: int, size: int) -> int:
    return pos * max(1, size // DOMAIN_WIDTH) // size


def make_estate(scale: float, seed: int) -> Estate:
    """The estate at ``scale``: datasets, jobs and their IO, then the column edges."""
    rng = random.Random(seed)
    estate = Estate(namespaces=sorted({tier[1] for tier in TIERS} | {tier[2] for tier in TIERS}))
    sizes = _split(round(DATASETS * scale), LAYERS)
    first = [sum(sizes[:layer]) + 1 for layer in range(LAYERS)]  # id of each layer's first dataset
    for layer, size in enumerate(sizes):
        namespace, _, pattern = _tier(layer)
        for pos in range(size):
            label = DOMAINS[_domain(pos, size) % len(DOMAINS)]
            estate.datasets.append((namespace, pattern.format(domain=label, layer=layer, pos=pos)))
    lineage_outputs: list[tuple[int, list[int], int]] = []  # (job id, inputs, output) declaring columns
    for layer, count in zip(range(1, LAYERS), _split(round(JOBS * scale), LAYERS - 1), strict=True):
        size = sizes[layer]
        widths = [rng.choice((1, 2)) for _ in range(count)]
        # Every dataset past the sources has its producer: widen jobs until the layer is covered.
        ones = [i for i, w in enumerate(widths) if w == 1]
        while sum(widths) < size and ones:
            widths[ones.pop()] = 2
        twos = [i for i, w in enumerate(widths) if w == 2]
        while sum(widths) > size and twos:
            widths[twos.pop()] = 1
        slots = widths + [0] * max(0, size - sum(widths))
        rng.shuffle(slots)
        pos = 0
        for width in slots:
            if width == 0:
                pos += 1
                continue
            job_id = len(estate.jobs) + 1
            outputs = [first[layer] + (pos + k) % size for k in range(width)]
            inputs = _inputs(rng, layer, pos, width, sizes=sizes, first=first)
            domain = _domain(pos, size)
            _, job_namespace, _ = _tier(layer)
            name = JOB_NAMES[job_namespace].format(
                domain=DOMAINS[domain % len(DOMAINS)], layer=layer, pos=pos
            )
            estate.jobs.append((job_namespace, name))
            estate.io += [(job_id, "in", d) for d in inputs] + [(job_id, "out", d) for d in outputs]
            if domain % 2 == 0:
                lineage_outputs += [(job_id, inputs, output) for output in outputs]
            pos += width
    estate.edges = _column_edges(rng, lineage_outputs, round(COLUMN_EDGES * scale))
    return estate


def _inputs(
    rng: random.Random, layer: int, pos: int, width: int, *, sizes: list[int], first: list[int]
) -> list[int]:
    """The datasets a job at ``pos`` of ``layer`` reads: the same place one layer up, then nearby."""
    wanted = rng.choices(INPUT_COUNTS, INPUT_WEIGHTS)[0]
    above = sizes[layer - 1]
    place = pos * above // sizes[layer]
    chosen = {first[layer - 1] + place % above}
    if width == 2 and wanted >= 2:
        chosen.add(first[layer - 1] + (place + 1) % above)
    while len(chosen) < min(wanted, above):
        source = max(0, layer - rng.choices(LAYERS_BACK, BACK_WEIGHTS)[0])
        size = sizes[source]
        near = pos * size // sizes[layer] + rng.randint(-WINDOW, WINDOW)
        chosen.add(first[source] + near % size)
    return sorted(chosen)


def _column_edges(
    rng: random.Random, outputs: list[tuple[int, list[int], int]], total: int
) -> list[tuple[int, int, int, str]]:
    """DIRECT edges field to same field, then INDIRECT ones from the inputs' keys up to ``total``."""
    edges: list[tuple[int, int, int, str]] = []
    for job_id, inputs, output in outputs:
        for ordinal in range(len(FIELDS)):
            if ordinal in ALWAYS_DIRECT or rng.random() < DIRECT_SHARE:
                source = field_id(rng.choice(inputs), ordinal)
                edges.append((job_id, source, field_id(output, ordinal), "DIRECT"))
    if not outputs or len(edges) > total:
        raise ValueError(f"{len(edges)} DIRECT edges already exceed the {total} wanted")
    base, extra = divmod(total - len(edges), len(outputs))
    bonus = set(rng.sample(range(len(outputs)), extra))
    for index, (job_id, inputs, output) in enumerate(outputs):
        wanted = base + (index in bonus)
        keys = rng.sample([(d, k) for d in inputs for k in KEY_FIELDS], k=-(-wanted // len(FIELDS)))
        for number, (dataset, key) in enumerate(keys):
            # Each key but the last drives every output field; the last one only what is left.
            left = min(len(FIELDS), wanted - number * len(FIELDS))
            for ordinal in rng.sample(range(len(FIELDS)), left):
                edges.append((job_id, field_id(dataset, key), field_id(output, ordinal), "INDIRECT"))
    return edges


# --- seeding --------------------------------------------------------------------------------------


def _stamp(seconds: int) -> str:
    return (BASE_TIME + timedelta(seconds=seconds)).isoformat()


def _copy(conn: psycopg.Connection[Any], table: str, columns: str, rows: Iterable[str]) -> None:
    """COPY text rows (tab-separated, no newline) into ``table`` in chunks."""
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for count, row in enumerate(rows, 1):
            buffer.write(row)
            buffer.write("\n")
            if count % 100_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def seed(conninfo: str, estate: Estate) -> tuple[float, float]:
    """Write the estate into the (migrated, empty) database, fix the id sequences, and analyze;
    the seconds the COPY and the VACUUM ANALYZE took."""
    started = time.perf_counter()
    with psycopg.connect(conninfo) as conn:
        # The rows are consistent by construction: skip the per-row foreign key triggers.
        conn.execute("SET session_replication_role = replica")
        _copy(
            conn,
            "namespace",
            "name, created_at, updated_at",
            (f"{n}\t{_stamp(0)}\t{_stamp(0)}" for n in estate.namespaces),
        )
        _copy(
            conn,
            "dataset",
            "id, namespace, name, created_at, updated_at",
            (
                f"{i}\t{ns}\t{name}\t{_stamp(i)}\t{_stamp(i + 86_400)}"
                for i, (ns, name) in enumerate(estate.datasets, 1)
            ),
        )
        _copy(
            conn,
            "dataset_field",
            "id, dataset_id, path, type, ordinal",
            (
                f"{field_id(d, k)}\t{d}\t{name}\t{kind}\t{k}"
                for d in range(1, len(estate.datasets) + 1)
                for k, (name, kind) in enumerate(FIELDS)
            ),
        )
        _copy(
            conn,
            "job",
            "id, namespace, name, created_at, updated_at",
            (
                f"{i}\t{ns}\t{name}\t{_stamp(i)}\t{_stamp(i + 86_400)}"
                for i, (ns, name) in enumerate(estate.jobs, 1)
            ),
        )
        _copy(conn, "job_io", "job_id, direction, dataset_id", (f"{j}\t{d}\t{ds}" for j, d, ds in estate.io))
        _copy(
            conn,
            "column_edge",
            "id, job_id, source_field_id, target_field_id, transformation, subtype, masking, derived, "
            "is_current",
            (f"{i}\t{j}\t{s}\t{t}\t{kind}\t\tf\tf\tt" for i, (j, s, t, kind) in enumerate(estate.edges, 1)),
        )
        for table in ("dataset", "dataset_field", "job", "column_edge"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    copied = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return copied - started, time.perf_counter() - copied


@contextmanager
def bench_database(admin_url: str, name: str, *, keep: bool) -> Iterator[str]:
    """The URL of a fresh database ``name`` (dropped first if it exists), dropped at the end unless
    ``keep``."""
    admin = make_url(admin_url.replace("postgresql+psycopg://", "postgresql://")).set(drivername="postgresql")
    admin_conninfo = admin.render_as_string(hide_password=False)
    if name == admin.database:
        raise ValueError(f"the bench database {name!r} must not be the maintenance database")
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with psycopg.connect(admin_conninfo, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the same graph in memory ---------------------------------------------------------------------


@dataclass
class Graphs:
    """The stored graph read back into networkx, and the API's node id of every node.

    Table level: a dataset is its id, a job minus its id; column level: a field is its id.
    """

    table: Any
    columns: Any
    names: dict[int, str]
    field_names: dict[int, str]


def load_graphs(conninfo: str) -> Graphs:
    """Read ``job_io`` and the current ``column_edge`` rows into two DiGraphs."""
    with psycopg.connect(conninfo) as conn:
        datasets = conn.execute("SELECT id, namespace, name FROM dataset").fetchall()
        names = {int(i): dataset_node_id(ns, name) for i, ns, name in datasets}
        jobs = conn.execute("SELECT id, namespace, name FROM job").fetchall()
        names |= {-int(i): job_node_id(ns, name) for i, ns, name in jobs}
        where = {int(i): (ns, name) for i, ns, name in datasets}
        fields = conn.execute("SELECT id, dataset_id, path FROM dataset_field").fetchall()
        field_names = {int(i): field_node_id(*where[int(d)], path) for i, d, path in fields}
        table = nx.DiGraph()
        table.add_edges_from(
            (ds, -job) if direction == "in" else (-job, ds)
            for job, direction, ds in conn.execute("SELECT job_id, direction, dataset_id FROM job_io")
        )
        columns = nx.DiGraph()
        columns.add_edges_from(
            conn.execute("SELECT source_field_id, target_field_id FROM column_edge WHERE is_current")
        )
    return Graphs(table=table, columns=columns, names=names, field_names=field_names)


def bfs(graph: Any, start: int, limit: int) -> set[int]:
    """The nodes within ``limit`` hops of ``start`` downstream (successors) and upstream (predecessors)."""
    found = {start}
    found.update(v for _, v in nx.bfs_edges(graph, start, depth_limit=limit))
    found.update(v for _, v in nx.bfs_edges(graph, start, reverse=True, depth_limit=limit))
    return found


# --- measuring ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def timed(call: Callable[[In], Out], argument: In) -> tuple[float, Out]:
    """(milliseconds, result) of one call."""
    started = time.perf_counter()
    result = call(argument)
    return (time.perf_counter() - started) * 1000, result


@dataclass(frozen=True, slots=True)
class Walk:
    """One endpoint's start nodes: the API's node ids, and what the BFS makes of each."""

    endpoint: str
    node_ids: list[str]
    expected_ids: list[set[int]]
    expected: list[set[str]]
    bfs_ms: list[float]


@dataclass(frozen=True, slots=True)
class Latency:
    """Milliseconds per start node: median, 95th percentile, worst."""

    p50_ms: float
    p95_ms: float
    max_ms: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Latency:
        """The summary of ``values``."""
        return cls(
            round(percentile(values, 0.50), 3), round(percentile(values, 0.95), 3), round(max(values), 3)
        )


@dataclass(frozen=True, slots=True)
class Figures:
    """The reported figures for one endpoint."""

    endpoint: str
    starts: int
    depth: int
    nodes_p50: float
    nodes_p95: float
    nodes_max: int
    response_kb_p50: float
    http: Latency
    in_process: Latency
    walk: Latency
    bfs: Latency
    ratio_p95: float  # http p95 / bfs p95
    ratio_median: float  # the median of http / bfs per start node

    @property
    def goal_met(self) -> bool:
        """p95 under 200 ms over HTTP, and at most 3 x the in-memory BFS's p95."""
        return self.http.p95_ms < GOAL_P95_MS and self.ratio_p95 <= GOAL_RATIO


def bfs_phase(
    endpoint: str, graph: Any, names: dict[int, str], starts: list[int], limit: int
) -> tuple[Walk, list[str]]:
    """Time the BFS from each start (after one untimed pass); the warm-up nodes come first in ``starts``."""
    for start in starts:
        bfs(graph, start, limit)
    times, found_ids = [], []
    for start in starts[WARMUP_STARTS:]:
        ms, found = timed(lambda node: bfs(graph, node, limit), start)
        times.append(ms)
        found_ids.append(found)
    expected = [{names[n] for n in found} for found in found_ids]
    node_ids = [names[s] for s in starts]
    return Walk(endpoint, node_ids[WARMUP_STARTS:], found_ids, expected, times), node_ids[:WARMUP_STARTS]


def _check(walk: Walk, index: int, found: set[str], how: str) -> None:
    expected = walk.expected[index]
    if found != expected:
        missing, extra = sorted(expected - found)[:3], sorted(found - expected)[:3]
        raise AssertionError(
            f"{walk.endpoint} {how} from {walk.node_ids[index]}: {len(found)} nodes, "
            f"the BFS {len(expected)}; missing {missing}, extra {extra}"
        )


def _graph_ids(answer: Any) -> set[str]:
    if answer["truncated"]:
        raise AssertionError("a walk was truncated: the neighbourhood exceeds traverse.MAX_NODES")
    return {node["id"] for node in answer["graph"]}


def in_process_phase(url: str, walk: Walk, warmup: list[str], depth: int) -> tuple[list[float], list[float]]:
    """Milliseconds of the walk alone, and of the whole traverse call, per start; both checked."""
    database = Database(url, pool_size=2)
    table = walk.endpoint == "/lineage"

    def walk_only(node_id: str) -> set[int]:
        with database.session() as session:
            root = resolve_node(session, node_id)
            if table:
                found = traverse._table_walk(session, root, depth, None)
                return found.datasets | {-job for job in found.jobs}
            start = column_walk.start_fields(session, root)
            return set(
                column_walk.column_walk(
                    session, start, depth, upstream=True, downstream=True, as_of=None
                ).fields
            )

    def whole(node_id: str) -> Any:
        with database.session() as session:
            if table:
                return traverse.lineage(session, node_id, grants=EVERYTHING, depth=depth)
            return column_walk.column_lineage(
                session, node_id, grants=EVERYTHING, depth=depth, with_downstream=True
            )

    try:
        for node_id in warmup:
            walk_only(node_id)
            whole(node_id)
        walk_ms, whole_ms = [], []
        for index, node_id in enumerate(walk.node_ids):
            ms, found = timed(walk_only, node_id)
            walk_ms.append(ms)
            if found != walk.expected_ids[index]:
                raise AssertionError(
                    f"{walk.endpoint} walk from {node_id}: {len(found)} nodes, "
                    f"the BFS {len(walk.expected_ids[index])}"
                )
            ms, answer = timed(whole, node_id)
            whole_ms.append(ms)
            _check(walk, index, _graph_ids(answer), "in-process")
    finally:
        database.dispose()
    return walk_ms, whole_ms


# --- the server -----------------------------------------------------------------------------------


@contextmanager
def gunicorn(url: str, data_dir: Path, web_workers: int) -> Iterator[str]:
    """gunicorn as in production, reading ``url`` without tokens; yields its base URL once /readyz is 200."""
    port = free_port()
    env = server_env(data_dir, port, web_workers, secrets.token_hex(16), database_url=url, read_auth="off")
    with ingest_bench.gunicorn(env, data_dir / "gunicorn.log") as server:
        yield f"http://127.0.0.1:{server.port}"


def http_phase(base: str, walk: Walk, warmup: list[str], depth: int) -> tuple[list[float], list[float]]:
    """Milliseconds per request until the whole body is in, and the body's KB; every answer checked."""
    params = {"depth": str(depth)}
    if walk.endpoint == "/column-lineage":
        params["withDownstream"] = "true"
    url = f"{base}/api/v1{walk.endpoint}"
    with requests.Session() as client:

        def get(node_id: str) -> bytes:
            response = client.get(url, params={"nodeId": node_id, **params}, timeout=REQUEST_TIMEOUT_SECONDS)
            body = response.content
            if response.status_code != 200:
                raise AssertionError(
                    f"GET {walk.endpoint} {node_id}: HTTP {response.status_code} {body[:300]!r}"
                )
            return body

        for node_id in warmup:
            get(node_id)
        times, sizes = [], []
        for index, node_id in enumerate(walk.node_ids):
            ms, body = timed(get, node_id)
            times.append(ms)
            sizes.append(len(body) / 1024)
            _check(walk, index, _graph_ids(json.loads(body)), "over HTTP")
    return times, sizes


# --- report ---------------------------------------------------------------------------------------


def figures(
    walk: Walk,
    depth: int,
    *,
    http_ms: list[float],
    kb: list[float],
    in_process_ms: list[float],
    walk_ms: list[float],
) -> Figures:
    """The reported figures of one endpoint."""
    nodes = [len(found) for found in walk.expected]
    return Figures(
        endpoint=walk.endpoint,
        starts=len(walk.node_ids),
        depth=depth,
        nodes_p50=statistics.median(nodes),
        nodes_p95=percentile(nodes, 0.95),
        nodes_max=max(nodes),
        response_kb_p50=round(statistics.median(kb), 1),
        http=Latency.of(http_ms),
        in_process=Latency.of(in_process_ms),
        walk=Latency.of(walk_ms),
        bfs=Latency.of(walk.bfs_ms),
        ratio_p95=round(percentile(http_ms, 0.95) / percentile(walk.bfs_ms, 0.95), 1),
        ratio_median=round(statistics.median(h / b for h, b in zip(http_ms, walk.bfs_ms, strict=True)), 1),
    )


def report(results: list[Figures]) -> str:
    """The figures as fixed-width tables: neighbourhoods, then latencies and the goal."""
    lines = [f"{'endpoint':<17}{'starts':>7}{'nodes p50':>10}{'p95':>7}{'max':>7}{'answer KB p50':>15}"]
    lines += [
        f"{f.endpoint:<17}{f.starts:>7}{f.nodes_p50:>10.0f}{f.nodes_p95:>7.0f}{f.nodes_max:>7}"
        f"{f.response_kb_p50:>15.0f}"
        for f in results
    ]
    lines += ["", f"{'endpoint':<17}{'measured':<14}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"]
    for f in results:
        rows = (("http", f.http), ("in-process", f.in_process), ("walk", f.walk), ("networkx bfs", f.bfs))
        for number, (label, latency) in enumerate(rows):
            digits = 2 if label == "networkx bfs" else 1
            lines.append(
                f"{f.endpoint if number == 0 else '':<17}{label:<14}{latency.p50_ms:>9.{digits}f}"
                f"{latency.p95_ms:>9.{digits}f}{latency.max_ms:>9.{digits}f}"
            )
        lines.append(
            f"{'':<17}http / bfs: p95 {f.ratio_p95:.0f} x, median per start {f.ratio_median:.0f} x; goal "
            f"(p95 < {GOAL_P95_MS:.0f} ms, <= {GOAL_RATIO:.0f} x): {'met' if f.goal_met else 'missed'}"
        )
    return "\n".join(lines)


# --- the run --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    """The command line."""

    scale: float
    starts: int
    depth: int
    seed: int
    web_workers: int
    database_url: str
    database: str
    keep: bool
    json: bool


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full estate (default 1.0)")
    parser.add_argument("--starts", type=int, default=100, help="start nodes per endpoint (default 100)")
    parser.add_argument("--depth", type=int, default=20, help="walk depth (default 20)")
    parser.add_argument("--seed", type=int, default=20_250_106, help="random seed of the estate and starts")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--database-url", default=ADMIN_URL, help=f"PostgreSQL admin URL ({ADMIN_URL})")
    parser.add_argument("--database", default=DATABASE, help=f"bench database, recreated ({DATABASE})")
    parser.add_argument("--keep", action="store_true", help="keep the bench database at the end")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 10 or args.starts < 1 or not 0 <= args.depth <= traverse.MAX_DEPTH:
        parser.error(f"need 0 < scale <= 10, starts >= 1 and 0 <= depth <= {traverse.MAX_DEPTH}")
    return Options(
        scale=args.scale,
        starts=args.starts,
        depth=args.depth,
        seed=args.seed,
        web_workers=args.web_workers,
        database_url=args.database_url,
        database=args.database,
        keep=args.keep,
        json=args.json,
    )


def say(text: str) -> None:
    """Progress, as it happens."""
    print(text, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Seed the estate, measure both endpoints three ways beside networkx, and print the figures."""
    options = parse_args(argv)
    # On SIGTERM, unwind through the finally blocks that stop gunicorn and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    say(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; scale {options.scale}, seed {options.seed}")
    timings: dict[str, float] = {}
    with bench_database(options.database_url, options.database, keep=options.keep) as url:
        upgrade(url)
        started = time.perf_counter()
        estate = make_estate(options.scale, options.seed)
        timings["generate_s"] = time.perf_counter() - started
        timings["copy_s"], timings["vacuum_analyze_s"] = seed(url, estate)
        timings["seed_s"] = time.perf_counter() - started
        counts = {
            "datasets": len(estate.datasets),
            "fields": len(estate.datasets) * len(FIELDS),
            "jobs": len(estate.jobs),
            "job_io": len(estate.io),
            "column_edges": len(estate.edges),
        }
        del estate
        say(
            f"estate: {counts['datasets']} datasets, {counts['fields']} fields, {counts['jobs']} jobs, "
            f"{counts['job_io']} job_io rows, {counts['column_edges']} column edges; seeded in "
            f"{timings['seed_s']:.1f} s (generate {timings['generate_s']:.1f} s, "
            f"COPY {timings['copy_s']:.1f} s, VACUUM ANALYZE {timings['vacuum_analyze_s']:.1f} s)"
        )
        started = time.perf_counter()
        graphs = load_graphs(url)
        timings["load_graphs_s"] = time.perf_counter() - started
        say(f"networkx graphs loaded from the tables in {timings['load_graphs_s']:.1f} s")
        rng = random.Random(options.seed + 1)
        wanted = options.starts + WARMUP_STARTS
        table_starts = rng.sample(sorted(n for n in graphs.table if n > 0), wanted)
        column_starts = rng.sample(sorted(graphs.columns), wanted)
        walks = [
            bfs_phase("/lineage", graphs.table, graphs.names, table_starts, 2 * options.depth + 2),
            bfs_phase("/column-lineage", graphs.columns, graphs.field_names, column_starts, options.depth),
        ]
        del graphs
        results = []
        with tempfile.TemporaryDirectory(prefix="hw-bench-lineage-") as work:
            in_process = [in_process_phase(url, walk, warmup, options.depth) for walk, warmup in walks]
            say("in-process walks checked against the BFS")
            with gunicorn(url, Path(work), options.web_workers) as base:
                for (walk, warmup), (walk_ms, whole_ms) in zip(walks, in_process, strict=True):
                    http_ms, kb = http_phase(base, walk, warmup, options.depth)
                    results.append(
                        figures(
                            walk,
                            options.depth,
                            http_ms=http_ms,
                            kb=kb,
                            in_process_ms=whole_ms,
                            walk_ms=walk_ms,
                        )
                    )
        say("answers over HTTP checked against the BFS")
    say(report(results))
    say(
        f"load {os.getloadavg()[0]:.2f}; nodes: datasets + jobs (/lineage) or fields (/column-lineage) "
        f"within depth {options.depth} up- and downstream of a start; in-process: traverse.lineage / "
        "column_lineage called directly; walk: its per-level queries alone"
    )
    if options.keep:
        say(f"kept database {options.database}")
    if options.json:
        print(
            json.dumps(
                {
                    "scale": options.scale,
                    "seed": options.seed,
                    "estate": counts,
                    "timings": {k: round(v, 2) for k, v in timings.items()},
                    "endpoints": [{**asdict(f), "goal_met": f.goal_met} for f in results],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
