"""Hostile SQL is refused before the parser sees it, and parsing is bounded in time."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
import sqlglot

from governance.lineage.sql_guard import SqlLimits, SqlRejected, screen_sql, time_limit

LIMITS = SqlLimits()


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT " + "(" * 101 + "1" + ")" * 101, "brackets nest 101 deep"),
        ("SELECT " + "CASE WHEN a THEN " * 51 + "1" + " END" * 51, "CASE expressions nest 51 deep"),
        ("SELECT * FROM t WHERE " + " OR ".join(f"c = {i}" for i in range(2_002)), "2001 AND/OR terms"),
        ("SELECT 1 " + "x" * 1_000_001, "characters"),
        ("SELECT " + ", ".join("c" for _ in range(130_000)), "260000 tokens"),
    ],
    ids=["brackets", "case", "or-chain", "size", "tokens"],
)
def test_hostile_shapes_are_refused_with_the_limit_named(sql: str, reason: str) -> None:
    """Each kind of parser-stalling SQL is refused quickly, naming what was too much."""
    started = time.perf_counter()
    with pytest.raises(SqlRejected, match=reason):
        screen_sql(sql, LIMITS)
    assert time.perf_counter() - started < 2.0


def test_brackets_and_keywords_inside_literals_and_comments_do_not_count() -> None:
    """Text in strings, quoted names, dollar quotes and comments is not structure."""
    noise = "(" * 500 + " CASE " * 100 + " OR " * 3000
    sql = (
        f"SELECT '{noise}' AS a, \"{noise}\" AS b, $body${noise}$body$ AS c -- {noise}\n"
        f"/* {noise} */ FROM t WHERE x = 'it''s (' OR y = 1"
    )
    screen_sql(sql, LIMITS)


def test_a_procedure_body_with_begin_end_blocks_is_not_deep() -> None:
    """END closing BEGIN blocks does not unbalance the CASE count."""
    body = "BEGIN " * 80 + "UPDATE t SET a = CASE WHEN b THEN 1 ELSE 2 END; " + "END; " * 80
    screen_sql(body, LIMITS)


def test_realistic_dbt_model_passes() -> None:
    """A large but ordinary query is parsed."""
    columns = ",\n".join(f"  coalesce(s.col_{i}, 0) AS col_{i}" for i in range(400))
    sql = f"WITH s AS (SELECT * FROM raw.events WHERE dt >= '2024-01-01')\nSELECT\n{columns}\nFROM s"
    screen_sql(sql, LIMITS)
    assert sqlglot.parse_one(sql) is not None


def _in_a_fresh_process(body: str) -> subprocess.CompletedProcess[str]:
    """Run ``body`` in its own interpreter: a re-firing alarm may land anywhere, the test
    runner's own hooks included, so it must only meet the code under test."""
    script = (
        "import time, contextlib, sqlglot\nfrom governance.lineage.sql_guard import SqlTimeout, time_limit\n"
        + body
    )
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )


def test_time_limit_interrupts_long_parsing() -> None:
    """A parse that outlives its limit is cut short with SqlTimeout, even though sqlglot's
    tokenizer wraps the first interruption in its own error."""
    result = _in_a_fresh_process(
        textwrap.dedent(
            """
            huge = "SELECT * FROM t WHERE " + " OR ".join(f"c{i} = {i}" for i in range(200_000))
            started = time.perf_counter()
            try:
                with time_limit(0.2):
                    sqlglot.parse_one(huge)
            except SqlTimeout as err:
                print("timeout", err, round(time.perf_counter() - started, 1))
            """
        )
    )
    assert result.returncode == 0, result.stderr
    verdict, *_, seconds = result.stdout.split()
    assert verdict == "timeout" and "longer than 0.2 s" in result.stdout
    assert float(seconds) < 2.0


def test_time_limit_holds_when_library_code_swallows_the_interruption() -> None:
    """Code that swallows the first interruption and works on is interrupted again."""
    result = _in_a_fresh_process(
        textwrap.dedent(
            """
            def careless_library():
                with contextlib.suppress(Exception):
                    while True:
                        sum(range(1_000))
                while True:
                    sum(range(1_000))

            started = time.perf_counter()
            try:
                with time_limit(0.1):
                    careless_library()
            except SqlTimeout:
                print("timeout", round(time.perf_counter() - started, 1))
            """
        )
    )
    assert result.returncode == 0, result.stderr
    verdict, seconds = result.stdout.split()
    assert verdict == "timeout" and float(seconds) < 1.0


def test_time_limit_leaves_fast_work_alone() -> None:
    """Work that ends in time is untouched and the alarm is cleared."""
    with time_limit(5):
        assert sqlglot.parse_one("SELECT 1").sql() == "SELECT 1"
    time.sleep(0.01)
