"""Column lineage from SQL: cases/s and edge precision/recall of Headwater's ``column_lineage``
beside ``openlineage-sql`` (the OpenLineage project's Rust parser), on the same cases, in one run.

Two case sets:

- **corpus**: every event of ``../shared/corpora/openlineage/events`` that carries both a ``sql``
  job facet and a ``columnLineage`` output facet; the producer's declared lineage is the truth,
  and the input datasets' ``schema`` facets are the schema both tools get where they take one.
- **fixtures**: the labelled cases of ``tests/fixtures/lineage/*.sql`` (written for Headwater's
  tests, so they favour it; reported for the comparison, not as an absolute score).

An edge is (target table, target column, source table, source column), tables by their last
name part, compared case-insensitively; a tool's edge counts as found when it matches one of
the truth's. Usage: ``.venv/bin/python bench/sql_lineage.py [--repeat N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import openlineage_sql

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from governance.lineage import column_lineage  # noqa: E402  # after the path is set

CORPUS = REPO.parent / "shared" / "corpora" / "openlineage" / "events"
FIXTURES = REPO / "tests" / "fixtures" / "lineage"
Edge = tuple[str, str, str, str]
_CASE = re.compile(r"(?m)^-- case: ")
_EXPECTED = re.compile(r"^(?P<target>\S+) <- (?P<sources>.+) \[(?:DIRECT|INDIRECT)\]$")


@dataclass(frozen=True)
class Case:
    """One SQL text with its dialect, the schema a tool may use, and the true edges."""

    name: str
    sql: str
    dialect: str | None
    schema: dict[str, dict[str, str | None]]
    default_target: str
    truth: frozenset[Edge]


@dataclass(frozen=True)
class Score:
    """One tool on one case set."""

    tool: str
    cases: str
    count: int
    cases_per_s: float
    precision: float
    recall: float
    failures: int


def short(name: str) -> str:
    """A table's last name part, lower case (``db.schema.t``, ``/warehouse/t`` -> ``t``)."""
    return re.split(r"[./]", name.strip().strip('`"').rstrip("/"))[-1].strip('`"').lower()


def split_column(qualified: str, default_table: str) -> tuple[str, str]:
    """``table.column`` -> (short table, column); a bare column belongs to ``default_table``."""
    table, _, column = qualified.rpartition(".")
    return (short(table) if table else short(default_table), column.lower())


# --- case sets ----------------------------------------------------------------------------------


def corpus_cases() -> Iterator[Case]:
    """Events declaring both their SQL and their column lineage."""
    index = [json.loads(line) for line in (CORPUS / "index.jsonl").read_text().splitlines()]
    seen: set[str] = set()
    for entry in index:
        if not (entry["sql"] and entry["columnLineage"]):
            continue
        for number, event in enumerate(_events(CORPUS / entry["file"])):
            case = _corpus_case(f"{entry['file']}#{number}", event)
            if case is not None and case.sql + case.default_target not in seen:
                seen.add(case.sql + case.default_target)
                yield case


def _events(path: Path) -> list[Any]:
    text = path.read_text()
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return document if isinstance(document, list) else [document]


def _corpus_case(name: str, event: Any) -> Case | None:
    if not isinstance(event, dict):
        return None
    sql_facet = ((event.get("job") or {}).get("facets") or {}).get("sql") or {}
    outputs = [o for o in event.get("outputs") or [] if ((o.get("facets") or {}).get("columnLineage"))]
    if not isinstance(sql_facet.get("query"), str) or not outputs:
        return None
    truth: set[Edge] = set()
    for output in outputs:
        for field, spec in output["facets"]["columnLineage"].get("fields", {}).items():
            for source in spec.get("inputFields", []):
                truth.add(
                    (short(output["name"]), field.lower(), short(source["name"]), source["field"].lower())
                )
    # Keyed by the table's last name part: Spark names datasets by path (/warehouse/t1), SQL by table.
    schema = {
        short(dataset["name"]): {
            f["name"]: f.get("type")
            for f in ((dataset.get("facets") or {}).get("schema") or {}).get("fields", [])
        }
        for dataset in event.get("inputs") or []
        if ((dataset.get("facets") or {}).get("schema") or {}).get("fields")
    }
    return Case(
        name, sql_facet["query"], sql_facet.get("dialect"), schema, outputs[0]["name"], frozenset(truth)
    )


def fixture_cases() -> Iterator[Case]:
    """The labelled fixtures, edges as the fixtures write them."""
    for path in sorted(FIXTURES.glob("*.sql")):
        for block in _CASE.split(path.read_text())[1:]:
            name, _, body = block.partition("\n")
            dialect, schema, sql, truth = None, {}, [], set()
            for line in body.splitlines():
                if line.startswith("-- dialect:"):
                    dialect = line.split(":", 1)[1].strip()
                elif line.startswith("-- schema:"):
                    schema = json.loads(line.split(":", 1)[1])
                elif (match := _EXPECTED.match(line[3:].strip())) and line.startswith("-- "):
                    target_table, target_column = split_column(match["target"], "query")
                    for source in match["sources"].split(", "):
                        truth.add((target_table, target_column, *split_column(source, "")))
                elif not line.startswith("--"):
                    sql.append(line)
            if truth:
                yield Case(
                    f"{path.stem}:{name.strip()}", "\n".join(sql), dialect, schema, "query", frozenset(truth)
                )


# --- the two tools ------------------------------------------------------------------------------


def headwater_edges(case: Case) -> set[Edge]:
    """Edges from Headwater's column_lineage."""
    found: set[Edge] = set()
    for edge in column_lineage(case.sql, dialect=case.dialect, schema=case.schema or None):
        target = split_column(edge.target, case.default_target)
        found.update((*target, *split_column(source, "")) for source in edge.sources)
    return found


def openlineage_sql_edges(case: Case) -> set[Edge]:
    """Edges from openlineage-sql; it takes no schema."""
    meta = openlineage_sql.parse([case.sql], case.dialect or "generic")
    target = short(meta.out_tables[0].name) if meta.out_tables else short(case.default_target)
    found: set[Edge] = set()
    for lineage in meta.column_lineage:
        descendant = lineage.descendant
        owner = short(descendant.origin.name) if descendant.origin else target
        for source in lineage.lineage:
            found.add(
                (
                    owner,
                    descendant.name.lower(),
                    short(source.origin.name) if source.origin else "",
                    source.name.lower(),
                )
            )
    return found


TOOLS: dict[str, Callable[[Case], set[Edge]]] = {
    "headwater": headwater_edges,
    "openlineage-sql": openlineage_sql_edges,
}


def matches(found: Edge, truth: Edge) -> bool:
    """Equal, where an unknown source table (a bare column) matches any table."""
    return found[:2] == truth[:2] and found[3] == truth[3] and (found[2] in ("", truth[2]))


def score(tool: str, label: str, cases: Sequence[Case], repeat: int) -> Score:
    """Run one tool over one case set ``repeat`` times; the median run's rate, and its accuracy."""
    extract = TOOLS[tool]
    runs: list[float] = []
    results: list[set[Edge]] = []
    failures = 0
    for attempt in range(repeat):
        started = time.perf_counter()
        current: list[set[Edge]] = []
        for case in cases:
            try:
                current.append(extract(case))
            except Exception:  # a tool that cannot read a case scores nothing on it
                current.append(set())
                failures += attempt == 0
        runs.append(time.perf_counter() - started)
        results = current
    true_positive = found_total = truth_total = recalled = 0
    for case, found in zip(cases, results, strict=True):
        true_positive += sum(1 for edge in found if any(matches(edge, t) for t in case.truth))
        found_total += len(found)
        recalled += sum(1 for t in case.truth if any(matches(edge, t) for edge in found))
        truth_total += len(case.truth)
    return Score(
        tool=tool,
        cases=label,
        count=len(cases),
        cases_per_s=round(len(cases) / statistics.median(runs), 1),
        precision=round(true_positive / found_total, 3) if found_total else 0.0,
        recall=round(recalled / truth_total, 3) if truth_total else 0.0,
        failures=failures,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Score both tools on both case sets and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over each case set (default 5)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    sets: list[tuple[str, list[Case]]] = [("fixtures", list(fixture_cases()))]
    if CORPUS.is_dir():
        sets.insert(0, ("corpus", list(corpus_cases())))
    else:
        print(f"the corpus is not at {CORPUS}; fixtures only", file=sys.stderr)
    scores = [score(tool, label, cases, args.repeat) for label, cases in sets for tool in TOOLS]
    print(f"{'cases':<9}{'tool':<17}{'n':>4}{'cases/s':>10}{'precision':>11}{'recall':>8}{'failed':>8}")
    for s in scores:
        print(
            f"{s.cases:<9}{s.tool:<17}{s.count:>4}{s.cases_per_s:>10.1f}{s.precision:>11.3f}{s.recall:>8.3f}{s.failures:>8}"
        )
    if args.json:
        print(json.dumps([asdict(s) for s in scores], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
