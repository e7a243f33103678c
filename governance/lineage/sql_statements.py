"""Reduce each kind of writing statement to a query whose outputs feed a table's columns."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp


@dataclass(frozen=True)
class WriteQuery:
    """A query feeding ``target``'s columns.

    Args:
        query: a SELECT or set operation, its CTEs attached.
        target: the written table; ``None`` for a bare query, whose outputs are the targets.
        columns: the written columns by output position; ``None`` to use the outputs' names.
        columns_from_schema: with no column list (``INSERT INTO t SELECT``), take the target's
            columns in table order from the schema when it knows them.
    """

    query: exp.Query
    target: exp.Table | None
    columns: tuple[str, ...] | None = None
    columns_from_schema: bool = False


def write_queries(statement: exp.Expr) -> list[WriteQuery]:
    """The queries through which ``statement`` writes columns; none for statements that write none.

    >>> import sqlglot
    >>> [w.columns for w in write_queries(sqlglot.parse_one("INSERT INTO t (a, b) SELECT x, y FROM s"))]
    [('a', 'b')]
    """
    if isinstance(statement, exp.Insert):
        return _insert(statement)
    if isinstance(statement, exp.Create):
        return _create(statement)
    if isinstance(statement, exp.Update):
        return _update(statement)
    if isinstance(statement, exp.Merge):
        return _merge(statement)
    if isinstance(statement, exp.Select) and isinstance(statement.args.get("into"), exp.Into):
        return _select_into(statement)
    query = _unwrapped(statement)
    if isinstance(query, exp.Query):
        return [WriteQuery(query, None)]
    return []


def _unwrapped(query: exp.Expr) -> exp.Expr:
    """The query inside redundant parentheses (dbt writes ``CREATE VIEW v AS (WITH ... SELECT ...)``)."""
    while isinstance(query, exp.Subquery) and not query.alias and isinstance(query.this, exp.Query):
        query = query.this
    return query


def _with_ctes(query: exp.Expr, statement: exp.Expr) -> exp.Query | None:
    """``query`` carrying the CTEs written before the statement (``WITH c AS (...) INSERT ...``)."""
    query = _unwrapped(query)
    if not isinstance(query, exp.Query):
        return None
    outer = statement.args.get("with_")
    if isinstance(outer, exp.With):
        inner = query.args.get("with_")
        ctes = [*outer.expressions, *(inner.expressions if isinstance(inner, exp.With) else [])]
        query.set("with_", exp.With(expressions=ctes, recursive=outer.args.get("recursive")))
    return query


def _target(this: exp.Expr | None) -> tuple[exp.Table | None, tuple[str, ...] | None]:
    """The written table and its explicit column list, if any (``t (a, b)``)."""
    if isinstance(this, exp.Schema) and isinstance(this.this, exp.Table):
        names = tuple(column.name for column in this.expressions if column.name)
        return this.this, names or None
    if isinstance(this, exp.Table):
        return this, None
    return None, None


def _insert(statement: exp.Insert) -> list[WriteQuery]:
    table, columns = _target(statement.this)
    query = _with_ctes(statement.expression, statement)
    if table is None or query is None:
        return []
    return [WriteQuery(query, table, columns, columns_from_schema=columns is None)]


def _create(statement: exp.Create) -> list[WriteQuery]:
    table, columns = _target(statement.this)
    query = _with_ctes(statement.expression, statement)
    if table is None or query is None:
        return []
    return [WriteQuery(query, table, columns)]


def _select_into(statement: exp.Select) -> list[WriteQuery]:
    statement = statement.copy()
    into = statement.args["into"]
    statement.set("into", None)
    table = into.this if isinstance(into.this, exp.Table) else None
    return [WriteQuery(statement, table)] if table is not None else []


def _update(statement: exp.Update) -> list[WriteQuery]:
    target = statement.this
    if not isinstance(target, exp.Table):
        return []
    from_ = statement.args.get("from_")
    relations = _relations(from_.this) if isinstance(from_, exp.From) else []
    # T-SQL writes "UPDATE a SET ... FROM tab1 a JOIN ...": the target is an alias in FROM.
    aliased = next((r for r in relations if not target.db and r.alias_or_name == target.name), None)
    written = aliased if isinstance(aliased, exp.Table) else target
    assignments = [a for a in statement.expressions if isinstance(a, exp.EQ)]
    query = exp.select(*(_synthetic(i, a.expression) for i, a in enumerate(assignments)))
    sources = relations if aliased is not None else [target, *relations]
    query = _from(query, sources)
    columns = tuple(_assigned_name(a.this) for a in assignments)
    final = _with_ctes(query, statement)
    return [WriteQuery(final, _bare(written), columns)] if final is not None and assignments else []


def _merge(statement: exp.Merge) -> list[WriteQuery]:
    target, using = statement.this, statement.args.get("using")
    if not isinstance(target, exp.Table) or not isinstance(using, exp.Table | exp.Subquery):
        return []
    values: list[exp.Expr] = []
    columns: list[str] = []
    star = False
    whens = statement.args.get("whens")
    for when in whens.expressions if isinstance(whens, exp.Whens) else []:
        action = when.args.get("then")
        if isinstance(action, exp.Update):
            for assignment in action.expressions:
                if isinstance(assignment, exp.EQ):
                    columns.append(_assigned_name(assignment.this))
                    values.append(assignment.expression)
                star = star or isinstance(assignment, exp.Star)
        elif isinstance(action, exp.Insert):
            star = star or isinstance(action.this, exp.Star)
            names = action.this.expressions if isinstance(action.this, exp.Tuple) else []
            given = action.expression.expressions if isinstance(action.expression, exp.Tuple) else []
            columns += [_assigned_name(name) for name in names]
            values += given[: len(names)]
    queries = []
    if values:
        query = _from(exp.select(*(_synthetic(i, v) for i, v in enumerate(values))), [target, using])
        final = _with_ctes(query, statement)
        if final is not None:
            queries.append(WriteQuery(final, _bare(target), tuple(columns)))
    if star:
        # UPDATE SET * / INSERT *: each source column lands in the target column of that name.
        source_alias = using.alias_or_name
        star_query = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(source_alias)))
        final = _with_ctes(_from(star_query, [using]), statement)
        if final is not None:
            queries.append(WriteQuery(final, _bare(target)))
    return queries


def _relations(first: exp.Expr) -> list[exp.Expr]:
    """A FROM clause's relations, including the joins sqlglot hangs off the first one."""
    joins = [join.this for join in first.args.get("joins") or []]
    bare = first.copy()
    bare.set("joins", None)
    return [bare, *joins]


def _from(query: exp.Select, relations: list[exp.Expr]) -> exp.Select:
    # ON conditions only pair rows, so the relations are simply cross joined.
    first, *rest = relations
    query = query.from_(first.copy())
    for relation in rest:
        query = query.join(relation.copy(), join_type="cross")
    return query


def _synthetic(index: int, value: exp.Expr) -> exp.Alias:
    # Synthetic names keep one assigned value from being read as another's alias.
    return exp.Alias(this=value.copy(), alias=exp.to_identifier(f"_hw_value_{index}"))


def _assigned_name(column: exp.Expr) -> str:
    return column.name if isinstance(column, exp.Column | exp.Identifier) else column.sql()


def _bare(table: exp.Table) -> exp.Table:
    bare = table.copy()
    for arg in ("alias", "joins", "pivots", "partition"):
        bare.set(arg, None)
    return bare
