"""Split a SQL script into parsed statements, skipping the ones the parser cannot read."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import Token, TokenType

from governance.errors import InvalidInput

# Keywords that start a statement when a chunk holds several without semicolons (T-SQL scripts,
# procedure bodies). Only used once the whole chunk failed to parse, so a query's own words are safe.
_STATEMENT_STARTS = frozenset(
    {
        TokenType.INSERT,
        TokenType.UPDATE,
        TokenType.MERGE,
        TokenType.DELETE,
        TokenType.CREATE,
        TokenType.DECLARE,
        TokenType.BEGIN,
        TokenType.COMMAND,
    }
)
# Outside a CASE, END and ELSE close or switch the IF/BEGIN blocks of a procedure body.
_BLOCK_WORDS = frozenset({TokenType.END, TokenType.ELSE})
# "THEN UPDATE" (MERGE), "FOR UPDATE", "OR REPLACE", "INTO" keep the statement going.
_CONTINUES_STATEMENT = frozenset({TokenType.THEN, TokenType.FOR, TokenType.OR, TokenType.INTO})
# Where a statement may begin inside a segment that parsed as something without lineage.
_ANCHORS = frozenset(
    {TokenType.INSERT, TokenType.UPDATE, TokenType.MERGE, TokenType.CREATE, TokenType.SELECT, TokenType.WITH}
)
_WRITES = (exp.Insert, exp.Update, exp.Merge, exp.Query, exp.Create)
_MAX_BODY_DEPTH = 2

# sqlglot's parser logs the text it falls back on; SQL may hold personal data and we never log it.
_sqlglot_logger = logging.getLogger("sqlglot")
_silence_lock = threading.Lock()
_silence_users = 0


class UnparsableSql(InvalidInput):
    """No statement of the input could be parsed."""

    code = "unparsable-sql"

    def __init__(self, statements: int) -> None:
        super().__init__(f"none of the {statements} SQL statement(s) could be parsed")
        self.statements = statements


def parse_script(sql: str, dialect: str | None = None) -> list[exp.Expr]:
    """The statements of ``sql`` that parse, in order; a statement that does not parse is left out.

    >>> [type(s).__name__ for s in parse_script("INSERT INTO b SELECT x FROM a; SELEC oops; SELECT 1")]
    ['Insert', 'Select']

    Raises:
        UnparsableSql: the input holds statements but none of them parses.
        sqlglot.errors.SqlglotError: the input cannot even be tokenized (an unclosed quote, say).
    """
    parser_dialect = Dialect.get_or_raise(dialect)
    with _sqlglot_silenced():
        chunks = _split_on_semicolons(parser_dialect.tokenize(sql))
        statements = [stmt for chunk in chunks for stmt in _parse_chunk(parser_dialect, chunk, sql, 0)]
    if chunks and not statements:
        raise UnparsableSql(len(chunks))
    return statements


def _drop_record(record: logging.LogRecord) -> bool:
    return False


@contextmanager
def _sqlglot_silenced() -> Iterator[None]:
    global _silence_users  # noqa: PLW0603 -- one filter shared by concurrent callers
    with _silence_lock:
        _silence_users += 1
        _sqlglot_logger.addFilter(_drop_record)
    try:
        yield
    finally:
        with _silence_lock:
            _silence_users -= 1
            if not _silence_users:
                _sqlglot_logger.removeFilter(_drop_record)


def _split_on_semicolons(tokens: list[Token]) -> list[list[Token]]:
    chunks: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            chunks.append([])
        else:
            chunks[-1].append(token)
    return [chunk for chunk in chunks if chunk]


def _parse_chunk(dialect: Dialect, tokens: list[Token], sql: str, depth: int) -> list[exp.Expr]:
    whole = _parse_tokens(dialect, tokens, sql)
    if whole is not None and _is_routine(whole):
        body = _routine_body(dialect, whole, depth)
        if body:
            return body
    elif isinstance(whole, _WRITES):
        return [whole]
    statements = []
    for segment in _split_on_statement_starts(tokens):
        parsed = _parse_tokens(dialect, segment, sql)
        if not isinstance(parsed, _WRITES) or _is_routine(parsed):
            parsed = _reanchor(dialect, segment, sql)
        if parsed is not None:
            statements.append(parsed)
    if statements or whole is None:
        return statements
    return [whole]


def _parse_tokens(dialect: Dialect, tokens: list[Token], sql: str) -> exp.Expr | None:
    try:
        parsed = [e for e in dialect.parser().parse(tokens, sql) if e is not None]
    except (SqlglotError, RecursionError):
        return None
    # A lone expression ("this is not sql" reads as NOT(this IS sql)) is not a statement.
    if len(parsed) != 1 or isinstance(parsed[0], exp.Condition | exp.Alias):
        return None
    return parsed[0]


def _reanchor(dialect: Dialect, tokens: list[Token], sql: str) -> exp.Expr | None:
    for start in range(1, len(tokens)):
        if tokens[start].token_type in _ANCHORS:
            parsed = _parse_tokens(dialect, tokens[start:], sql)
            if isinstance(parsed, _WRITES) and not _is_routine(parsed):
                return parsed
    return None


def _split_on_statement_starts(tokens: list[Token]) -> list[list[Token]]:
    segments: list[list[Token]] = [[]]
    paren_depth = case_depth = 0
    cte_awaits_statement = False
    for i, token in enumerate(tokens):
        kind = token.token_type
        at_top = paren_depth == 0 and case_depth == 0
        starts = kind in _STATEMENT_STARTS and (not i or tokens[i - 1].token_type not in _CONTINUES_STATEMENT)
        if at_top and starts and cte_awaits_statement:
            cte_awaits_statement = False  # WITH ... INSERT: the CTEs belong to this statement
        elif at_top and (starts or kind in _BLOCK_WORDS):
            segments.append([])
            if kind in _BLOCK_WORDS:
                continue
        if not segments[-1] and kind == TokenType.WITH:
            cte_awaits_statement = True
        paren_depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
        case_depth += (kind == TokenType.CASE) - (kind == TokenType.END and case_depth > 0)
        segments[-1].append(token)
    return [segment for segment in segments if segment]


def _is_routine(statement: exp.Expr | None) -> bool:
    kind = statement.args.get("kind") if isinstance(statement, exp.Create) else None
    return str(kind or "").upper() in {"PROCEDURE", "FUNCTION"}


def _routine_body(dialect: Dialect, routine: exp.Expr, depth: int) -> list[exp.Expr]:
    """The statements of a procedure whose body is a string (``AS $$ ... $$``, ``AS '...'``)."""
    body = routine.expression
    if not isinstance(body, exp.Heredoc | exp.Literal) or depth >= _MAX_BODY_DEPTH:
        return []
    text = body.name
    try:
        chunks = _split_on_semicolons(dialect.tokenize(text))
    except SqlglotError:
        return []
    return [stmt for chunk in chunks for stmt in _parse_chunk(dialect, chunk, text, depth + 1)]
