"""Column lineage of a SQL script: which physical columns feed each column a statement writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

from governance.lineage.edges import ColumnEdge, Transformation
from governance.lineage.sql_date_parts import mark_date_parts
from governance.lineage.sql_schema import TableCatalog
from governance.lineage.sql_scopes import Output, Sources, query_outputs
from governance.lineage.sql_script import UnparsableSql, parse_script
from governance.lineage.sql_statements import WriteQuery, write_queries

__all__ = ["ColumnEdge", "Transformation", "UnparsableSql", "column_lineage"]

# sqlglot reports unusual syntax through its own errors and, from deep inside its optimizer, through
# these; either way only that statement is lost. RecursionError: pathologically nested SQL.
_STATEMENT_FAILURES = (
    SqlglotError,
    RecursionError,
    ValueError,
    KeyError,
    AttributeError,
    TypeError,
    IndexError,
)


def column_lineage(
    sql: str, dialect: str | None = None, schema: dict[str, object] | None = None
) -> list[ColumnEdge]:
    """The column edges of every statement of ``sql``, in statement and column order.

    Each target gets one edge with every column that feeds it; the edge is DIRECT when some
    column's value flows into the target and INDIRECT when all only steer it through a
    condition, and ``by_source`` says which is which.

    >>> script = "INSERT INTO tab1 SELECT a.col1 AS x, b.col2 FROM tab2 a JOIN tab3 b ON a.id = b.id"
    >>> for edge in column_lineage(script):
    ...     print(edge.target, list(edge.sources), edge.transformation)
    tab1.x ['tab2.col1'] DIRECT
    tab1.col2 ['tab3.col2'] DIRECT

    Args:
        sql: one statement or a script; statements that do not parse are skipped.
        dialect: a sqlglot dialect name, or ``None`` for generic SQL.
        schema: ``{table: {column: type}}``, table keys possibly qualified (``"db.main.t"``),
            columns in table order, types possibly ``None``.

    Raises:
        UnparsableSql: no statement of ``sql`` parses.
        sqlglot.errors.TokenError: ``sql`` cannot be tokenized.
    """
    catalog = TableCatalog(schema, dialect)
    edges: list[ColumnEdge] = []
    for statement in parse_script(sql, dialect):
        catalog = catalog.learn(statement)  # a script's own CREATE TABLE tells later INSERTs its columns
        try:
            found = _statement_edges(statement, dialect, catalog)
        except _STATEMENT_FAILURES:
            continue
        edges.extend(edge for edge in found if edge not in edges)
    return edges


def _statement_edges(statement: exp.Expr, dialect: str | None, catalog: TableCatalog) -> list[ColumnEdge]:
    spelling = _spelling(statement, dialect, catalog)
    edges: list[ColumnEdge] = []
    for write in write_queries(statement):
        root = _qualified_scope(write.query, dialect, catalog)
        if root is None:
            continue
        outputs = query_outputs(root)
        edges.extend(_edges(_targets(write, outputs, catalog, spelling), spelling))
    return edges


def _qualified_scope(query: exp.Query, dialect: str | None, catalog: TableCatalog) -> Scope | None:
    """The root scope of ``query`` qualified with the schema, else without it, else as written."""
    normalized = normalize_identifiers(query.copy(), dialect=dialect)
    tables = [tuple(part.name for part in table.parts) for table in normalized.find_all(exp.Table)]
    mark_date_parts(normalized)
    for schema in (catalog.for_tables(tables), None):
        try:
            qualified = qualify(
                normalized.copy(),
                dialect=dialect,
                schema=schema,
                validate_qualify_columns=False,
                quote_identifiers=False,
            )
            return build_scope(qualified)
        except _STATEMENT_FAILURES:
            continue
    return build_scope(normalized)


def _targets(
    write: WriteQuery, outputs: list[Output], catalog: TableCatalog, spelling: dict[str, str]
) -> list[tuple[str, Sources]]:
    """Each output's target name (``table.column`` or a bare column) with its sources."""
    table = write.target
    names = [spelling.get(output.name, output.name) for output in outputs]
    # An unexpanded star hides how many columns precede the rest, so positions then mean nothing.
    positional = not any(output.is_star for output in outputs)
    if positional and write.columns is not None:
        names = list(write.columns)
    elif positional and write.columns_from_schema and table is not None:
        known = catalog.find(tuple(catalog.normalize(part.name) for part in table.parts))
        if known is not None:
            names[: len(known.spelled_columns)] = known.spelled_columns[: len(names)]
    prefix = ".".join(part.name for part in table.parts) + "." if table is not None else ""
    return [(prefix + name, output.sources) for name, output in zip(names, outputs, strict=False)]


def _edges(targets: Iterable[tuple[str, Sources]], spelling: Mapping[str, str]) -> list[ColumnEdge]:
    """One edge per target with its sources sorted, each source's transformation kept."""
    merged: dict[str, Sources] = {}
    for target, sources in targets:
        into = merged.setdefault(target, {})
        for column, kind in sources.items():
            if into.get(column) is not Transformation.DIRECT:
                into[column] = kind
    edges = []
    for target, sources in merged.items():
        by_source = {
            ".".join(spelling.get(part, part) for part in column): how for column, how in sources.items()
        }
        if not by_source:
            continue
        kind = (
            Transformation.DIRECT if Transformation.DIRECT in by_source.values() else Transformation.INDIRECT
        )
        edges.append(ColumnEdge(target, sorted(by_source), kind, dict(sorted(by_source.items()))))
    return edges


def _spelling(statement: exp.Expr, dialect: str | None, catalog: TableCatalog) -> dict[str, str]:
    """Normalized identifier -> its spelling in the SQL (else in the schema), to report names as written."""
    folding = Dialect.get_or_raise(dialect)
    spelling: dict[str, str] = {}
    for identifier in statement.find_all(exp.Identifier):
        spelling.setdefault(folding.normalize_identifier(identifier.copy()).name, identifier.name)
    for normalized, written in catalog.spellings():
        spelling.setdefault(normalized, written)
    return spelling
