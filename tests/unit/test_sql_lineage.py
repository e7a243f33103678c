"""Column lineage from SQL: the fixture cases, scripts, determinism and the OpenLineage corpus."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot.dialects.dialect import Dialect

from governance.lineage.edges import Transformation
from governance.lineage.sql import ColumnEdge, UnparsableSql, column_lineage

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lineage"
CASE_MARKER = re.compile(r"(?m)^-- case: ")
NO_EDGES = "(no edges)"
# The corpus floors were measured on the shared corpus; a drop below them is a regression.
CORPUS_PRECISION_FLOOR = 1.0
CORPUS_RECALL_FLOOR = 1.0


@dataclass(frozen=True)
class Case:
    """One fixture case: SQL, its dialect and schema, and the edges it must give, as text."""

    file: str
    name: str
    sql: str
    dialect: str | None
    schema: dict[str, Any] | None
    expected: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.file}:{self.name}"


def load_cases() -> Iterator[Case]:
    """Every case of every ``tests/fixtures/lineage/*.sql`` file."""
    for path in sorted(FIXTURES.glob("*.sql")):
        for block in CASE_MARKER.split(path.read_text())[1:]:
            name, _, body = block.partition("\n")
            dialect, schema, sql, expected = None, None, [], []
            for line in body.splitlines():
                if line.startswith("-- dialect:"):
                    dialect = line.partition(":")[2].strip()
                elif line.startswith("-- schema:"):
                    schema = json.loads(line.partition(":")[2])
                elif line.startswith("-- "):
                    expected.append(line[3:].strip())
                else:
                    sql.append(line)
            yield Case(path.stem, name.strip(), "\n".join(sql).strip(), dialect, schema, tuple(expected))


def render(edges: list[ColumnEdge]) -> tuple[str, ...]:
    """Edges in the fixtures' notation, a line per target and kind: ``target <- source, source [KIND]``."""
    lines = []
    for edge in edges:
        assert edge.sources == sorted(edge.by_source), edge
        for kind in Transformation:
            chosen = [source for source, how in edge.by_source.items() if how is kind]
            if chosen:
                lines.append(f"{edge.target} <- {', '.join(chosen)} [{kind}]")
    return tuple(lines) or (NO_EDGES,)


CASES = list(load_cases())


def test_fixtures_cover_every_statement_kind() -> None:
    assert len(CASES) >= 40
    assert {"postgres", "snowflake", "bigquery", "spark", "tsql", "duckdb"} <= {c.dialect for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture_case_gives_its_edges(case: Case) -> None:
    assert render(column_lineage(case.sql, case.dialect, case.schema)) == case.expected


def test_unparseable_statement_leaves_the_others() -> None:
    script = "INSERT INTO b SELECT x FROM a; THIS IS ( NOT SQL; INSERT INTO c SELECT y FROM b"
    assert render(column_lineage(script)) == ("b.x <- a.x [DIRECT]", "c.y <- b.y [DIRECT]")


@pytest.mark.parametrize("garbage", ["SELEC a FROM t", "this is not sql", "FOO BAR BAZ; SELECT FROM WHERE"])
def test_input_that_cannot_be_parsed_raises(garbage: str) -> None:
    with pytest.raises(UnparsableSql):
        column_lineage(garbage)


def test_edges_are_frozen_and_typed() -> None:
    edge = column_lineage("INSERT INTO t SELECT s.a FROM s")[0]
    assert edge == ColumnEdge("t.a", ["s.a"])
    assert edge.by_source == {"s.a": Transformation.DIRECT}
    with pytest.raises(AttributeError):
        edge.target = "x"  # type: ignore[misc]  # frozen dataclass: assignment must fail


@pytest.mark.parametrize("case", CASES[::7], ids=[c.id for c in CASES[::7]])
def test_same_input_gives_same_output(case: Case) -> None:
    first = column_lineage(case.sql, case.dialect, case.schema)
    assert column_lineage(case.sql, case.dialect, case.schema) == first


# Reserved words only: a non-reserved keyword may be an identifier, whose spelling is kept in the output.
RESERVED_WORDS = (
    "SELECT FROM WHERE JOIN LEFT FULL OUTER CROSS ON AS INSERT INTO GROUP BY ORDER HAVING CASE WHEN THEN "
    "ELSE END UNION ALL WITH CREATE TABLE VIEW UPDATE SET MERGE USING MATCHED NOT AND OR OVER PARTITION "
    "FILTER DISTINCT VALUES IN EXISTS IS NULL"
)
RESERVED = frozenset(RESERVED_WORDS.split())


def respell(sql: str, dialect: str | None, upper: list[bool], spaces: list[str]) -> str:
    """``sql`` with reserved words' case flipped and each run of whitespace replaced; tokens untouched."""
    pieces, end = [], 0
    for i, token in enumerate(Dialect.get_or_raise(dialect).tokenize(sql)):
        gap = sql[end : token.start]
        pieces.append(spaces[i % len(spaces)] if gap and not gap.strip() else gap)
        text = sql[token.start : token.end + 1]
        if text.upper() in RESERVED:
            text = text.upper() if upper[i % len(upper)] else text.lower()
        pieces.append(text)
        end = token.end + 1
    return "".join(pieces) + sql[end:]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from(CASES),
    upper=st.lists(st.booleans(), min_size=1, max_size=5),
    spaces=st.lists(st.sampled_from([" ", "  ", "\n", "\t", " \n  "]), min_size=1, max_size=4),
)
def test_whitespace_and_keyword_case_do_not_change_edges(
    case: Case, upper: list[bool], spaces: list[str]
) -> None:
    respelled = respell(case.sql, case.dialect, upper, spaces)
    assert render(column_lineage(respelled, case.dialect, case.schema)) == case.expected


# --- the shared OpenLineage corpus -------------------------------------------------------------


def _table_name(dataset_name: str) -> str:
    """A dataset's table as SQL names it: ``/user/hive/warehouse/t1`` -> ``t1``, ``public.orders`` kept."""
    return dataset_name.rstrip("/").rsplit("/", 1)[-1]


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()


def _corpus_events(corpora: Path) -> Iterator[dict[str, Any]]:
    events_dir = corpora / "openlineage" / "events"
    for line in (events_dir / "index.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["kind"] not in {"full", "partial-expected"} or not (row["sql"] and row["columnLineage"]):
            continue
        document = json.loads((events_dir / row["file"]).read_text())
        yield document[row["idx"]] if isinstance(document, list) else document


def _declared_and_found(event: dict[str, Any]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(target, source) pairs the event declares and the ones column_lineage finds, names shortened."""
    facet = event["job"]["facets"]["sql"]
    schema = {
        _table_name(dataset["name"]): {
            f["name"]: f.get("type") for f in dataset["facets"]["schema"]["fields"]
        }
        for dataset in event.get("inputs", [])
        if dataset.get("facets", {}).get("schema", {}).get("fields")
    }
    declared = {
        (f"{_short(_table_name(output['name']))}.{field.lower()}", _field_name(source))
        for output in event.get("outputs", [])
        for field, lineage in output.get("facets", {}).get("columnLineage", {}).get("fields", {}).items()
        for source in lineage.get("inputFields", [])
    }
    edges = column_lineage(facet["query"], facet.get("dialect"), schema)
    found = {(_short_target(e.target), _short_source(s)) for e in edges for s in e.sources}
    return declared, found


def _field_name(source: dict[str, Any]) -> str:
    return f"{_short(_table_name(source['name']))}.{source['field'].lower()}"


def _short_target(target: str) -> str:
    table, _, column = target.rpartition(".")
    return f"{_short(table)}.{column.lower()}"


def _short_source(source: str) -> str:
    return _short_target(source)


def test_corpus_column_lineage_matches_declared(corpora: Path, capsys: pytest.CaptureFixture[str]) -> None:
    declared_total = found_total = matched = events = 0
    for event in _corpus_events(corpora):
        declared, found = _declared_and_found(event)
        events += 1
        declared_total += len(declared)
        found_total += len(found)
        matched += len(declared & found)
    if not events:
        pytest.skip("the corpus holds no event with both a sql facet and a columnLineage facet")
    precision = matched / found_total if found_total else 0.0
    recall = matched / declared_total if declared_total else 0.0
    with capsys.disabled():
        print(f"\ncorpus column lineage: {events} events, precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= CORPUS_PRECISION_FLOOR
    assert recall >= CORPUS_RECALL_FLOOR
