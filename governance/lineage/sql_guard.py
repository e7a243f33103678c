"""Screen SQL before parsing it, and bound how long parsing may take.

``column_lineage`` stays pure; these guards stand around it in the worker. SQL arrives in
event facets from anyone holding an ingest token, and a parser is easy to stall: sqlglot
recurses per nesting level (a few hundred levels raise RecursionError) and its ``qualify``
step is quadratic in long OR/AND chains. Everything here is linear in the text and runs
before the parser sees it.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from governance.errors import InvalidInput

# String literals (with doubled-quote escapes), quoted identifiers, dollar-quoted bodies and
# comments: their brackets and keywords are text, not structure.
_OPAQUE = re.compile(
    r"""'(?:[^']|'')*'?"""
    r"""|"(?:[^"]|"")*"?"""
    r"|`[^`]*`?"
    r"|\$(?P<tag>[A-Za-z_]*)\$.*?(?:\$(?P=tag)\$|\Z)"
    r"|--[^\n]*"
    r"|/\*.*?(?:\*/|\Z)",
    re.DOTALL,
)
_BRACKET = re.compile(r"[()]")
_CASE_OR_END = re.compile(r"\b(CASE|END)\b", re.IGNORECASE)
_BOOLEAN = re.compile(r"\b(?:AND|OR)\b", re.IGNORECASE)
_TOKEN = re.compile(r"\w+|[^\s\w]")
REFIRE_SECONDS = 0.05


class SqlRejected(InvalidInput):
    """SQL that the worker will not parse, with the reason (stored as ``sql_unparsed``)."""

    code = "sql-rejected"


class SqlTimeout(SqlRejected):
    """Parsing or lineage extraction ran past its time limit."""

    code = "sql-timeout"


@dataclass(frozen=True, slots=True)
class SqlLimits:
    """How much SQL the worker is willing to parse."""

    max_chars: int = 1_000_000
    max_nesting: int = 100
    max_case_nesting: int = 50
    max_boolean_terms: int = 2_000
    max_tokens: int = 250_000
    time_limit_seconds: float = 10.0


DEFAULT_LIMITS = SqlLimits()


def screen_sql(sql: str, limits: SqlLimits = DEFAULT_LIMITS) -> None:
    """Refuse SQL whose size or shape would stall the parser.

    Raises:
        SqlRejected: naming the limit that was passed.

    >>> screen_sql("SELECT CASE WHEN a = '(((' THEN 1 END FROM t")
    >>> try:
    ...     screen_sql("SELECT " + "(" * 500 + "1" + ")" * 500)
    ... except SqlRejected as err:
    ...     print(err)
    brackets nest 500 deep; at most 100 are parsed
    """
    if len(sql) > limits.max_chars:
        raise SqlRejected(f"SQL is {len(sql)} characters; at most {limits.max_chars} are parsed")
    structure = _OPAQUE.sub(" ", sql)
    nesting = _deepest_brackets(structure)
    if nesting > limits.max_nesting:
        raise SqlRejected(f"brackets nest {nesting} deep; at most {limits.max_nesting} are parsed")
    case_nesting = _deepest_case(structure)
    if case_nesting > limits.max_case_nesting:
        raise SqlRejected(
            f"CASE expressions nest {case_nesting} deep; at most {limits.max_case_nesting} are parsed"
        )
    terms = sum(1 for _ in _BOOLEAN.finditer(structure))
    if terms > limits.max_boolean_terms:
        raise SqlRejected(f"{terms} AND/OR terms; at most {limits.max_boolean_terms} are parsed")
    tokens = sum(1 for _ in _TOKEN.finditer(structure))
    if tokens > limits.max_tokens:
        raise SqlRejected(f"{tokens} tokens; at most {limits.max_tokens} are parsed")


def _deepest_brackets(structure: str) -> int:
    depth = deepest = 0
    for match in _BRACKET.finditer(structure):
        depth = depth + 1 if match.group() == "(" else max(0, depth - 1)
        deepest = max(deepest, depth)
    return deepest


def _deepest_case(structure: str) -> int:
    # END also closes BEGIN blocks; counting only ENDs that can close an open CASE keeps a
    # procedure body from looking deep.
    depth = deepest = 0
    for match in _CASE_OR_END.finditer(structure):
        if match.group().upper() == "CASE":
            depth += 1
            deepest = max(deepest, depth)
        elif depth:
            depth -= 1
    return deepest


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise SqlTimeout out of the block once ``seconds`` of wall time pass.

    Uses SIGALRM, so it bounds pure-Python work such as parsing; it works in a process's
    main thread (a Celery prefork child runs tasks there) and elsewhere does nothing. Library
    code may catch the first interruption and wrap it (sqlglot's tokenizer does), so the alarm
    fires again every REFIRE_SECONDS until the block ends, and the block's exit raises
    SqlTimeout whatever the interruption became.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    message = f"parsing took longer than {seconds:g} s"
    expired = False

    def expire(_signum: int, _frame: FrameType | None) -> None:
        nonlocal expired
        expired = True
        raise SqlTimeout(message)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, REFIRE_SECONDS)
    try:
        yield
    except BaseException as err:
        if expired and not isinstance(err, SqlTimeout):
            raise SqlTimeout(message) from err
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if expired:
        raise SqlTimeout(message)
