"""Walk a qualified query's scopes once: each output column's physical source columns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from governance.lineage.edges import Transformation

DIRECT, INDIRECT = Transformation.DIRECT, Transformation.INDIRECT

Column = tuple[str, ...]
"""A source column as name parts: ``("db", "t", "col")``, ``("t", "*")`` or ``("col",)`` (table unknown)."""
Sources = dict[Column, Transformation]


@dataclass(frozen=True)
class Output:
    """One output column of a query: its name (``"*"`` for an unexpanded star) and its sources."""

    name: str
    sources: Sources
    is_star: bool = False


def query_outputs(root: Scope) -> list[Output]:
    """The outputs of ``root``'s query, in order, each with the physical columns feeding it."""
    return _Resolver().outputs(root)


def _weaker(first: Transformation, second: Transformation) -> Transformation:
    return DIRECT if first is DIRECT and second is DIRECT else INDIRECT


def _add(into: Sources, sources: Sources, via: Transformation = DIRECT) -> None:
    """Merge ``sources`` reached through ``via``; a column both direct and indirect stays DIRECT."""
    for column, kind in sources.items():
        if into.get(column) is not DIRECT:
            into[column] = _weaker(kind, via)


def _walk(expression: exp.Expr, kind: Transformation) -> Iterator[tuple[exp.Expr, Transformation]]:
    """Columns, stars and nested queries under ``expression`` with how each reaches the value.

    Conditions (CASE WHEN, IF, FILTER, a window's PARTITION BY/ORDER BY, an aggregate's ORDER BY)
    only decide the value, so what they hold is INDIRECT; EXISTS only tests for rows, so it feeds nothing.
    """
    stack = [(expression, kind)]
    while stack:
        node, how = stack.pop()
        if isinstance(node, exp.Star) and node is not expression:
            continue  # COUNT(*) counts rows, it reads no column
        if isinstance(node, exp.Column | exp.Star | exp.Select | exp.SetOperation):
            yield node, how
            continue
        if isinstance(node, exp.Exists):
            continue
        children: list[tuple[exp.Expr | None, Transformation]]
        if isinstance(node, exp.Case):
            children = [(node.this, INDIRECT), (node.args.get("default"), how)]
            for branch in node.args.get("ifs") or []:
                children += [(branch.this, INDIRECT), (branch.args.get("true"), how)]
        elif isinstance(node, exp.If):
            children = [(node.this, INDIRECT), (node.args.get("true"), how), (node.args.get("false"), how)]
        elif isinstance(node, exp.Window):
            children = [(node.this, how)]
            children += [(part, INDIRECT) for part in node.args.get("partition_by") or []]
            children.append((node.args.get("order"), INDIRECT))
        elif isinstance(node, exp.Filter):
            children = [(node.this, how), (node.expression, INDIRECT)]
        elif isinstance(node, exp.WithinGroup):
            # PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x): x is the aggregated value
            children = [(node.this, how), *((part, how) for part in node.expression.expressions)]
        elif isinstance(node, exp.Order):
            children = [(part, INDIRECT) for part in node.expressions]
        else:
            children = [(child, how) for child in node.iter_expressions()]
        stack.extend((child, child_kind) for child, child_kind in reversed(children) if child is not None)


class _Resolver:
    """Memoized resolution of (scope, output) to physical columns; one instance per statement."""

    def __init__(self) -> None:
        self._memo: dict[tuple[int, str | int], Sources] = {}
        self._open: set[tuple[int, str | int]] = set()

    def outputs(self, scope: Scope) -> list[Output]:
        selects = _leftmost_select(scope).selects
        outputs = []
        for index, select in enumerate(selects):
            if _is_star(select):
                outputs.append(Output("*", self._output(scope, index), is_star=True))
            else:
                outputs.append(Output(select.alias_or_name, self._output(scope, index)))
        return outputs

    def _output(self, scope: Scope, key: str | int) -> Sources:
        """The sources of one output of ``scope``, by position or by name."""
        memo_key = (id(scope), key)
        if memo_key in self._memo:
            return self._memo[memo_key]
        if memo_key in self._open:  # a recursive CTE reading itself adds nothing new
            return {}
        self._open.add(memo_key)
        try:
            sources = self._resolve_output(scope, key)
        finally:
            self._open.discard(memo_key)
        self._memo[memo_key] = sources
        return sources

    def _resolve_output(self, scope: Scope, key: str | int) -> Sources:
        expression = scope.expression
        if scope.is_udtf:
            return self._expression(scope, expression)
        if isinstance(expression, exp.SetOperation):
            index = key if isinstance(key, int) else _position(_leftmost_select(scope), key)
            sources: Sources = {}
            if index is not None:
                for branch in scope.set_operation_scopes:
                    _add(sources, self._output(branch, index))
            return sources
        if isinstance(expression, exp.Subquery):
            return self._output(scope.subquery_scopes[0], key) if scope.subquery_scopes else {}
        if not isinstance(expression, exp.Select):
            return {}
        selects = expression.selects
        if isinstance(key, str) and key in scope.outer_columns:
            key = scope.outer_columns.index(key)
        index = key if isinstance(key, int) else _position(expression, key)
        if index is not None and index < len(selects):
            select = selects[index]
            if _is_star(select) and isinstance(key, str):
                return self._through_star(scope, select, key)
            return self._expression(scope, select)
        star = next((select for select in selects if _is_star(select)), None)
        return self._through_star(scope, star, key) if star is not None and isinstance(key, str) else {}

    def _through_star(self, scope: Scope, star: exp.Expr, name: str) -> Sources:
        """``name`` read through an unexpanded ``*`` / ``t.*``: the column of that name in its sources."""
        sources: Sources = {}
        for source in self._star_sources(scope, star):
            if isinstance(source, exp.Table):
                _add(sources, {(*_table_parts(source), name): DIRECT})
            else:
                _add(sources, self._output(source, name))
        return sources

    def _star_sources(self, scope: Scope, star: exp.Expr) -> list[exp.Table | Scope]:
        table = star.table if isinstance(star, exp.Column) else ""
        if table:
            source = _lookup(scope, table)
            return [source] if source is not None else []
        return [source for _, source in scope.selected_sources.values()]

    def _expression(self, scope: Scope, expression: exp.Expr) -> Sources:
        sources: Sources = {}
        for node, kind in _walk(expression, DIRECT):
            if isinstance(node, exp.Select | exp.SetOperation):
                _add(sources, self._subquery(scope, node), kind)
            elif _is_star(node):
                _add(sources, self._star(scope, node), kind)
            elif isinstance(node, exp.Column):
                _add(sources, self._column(scope, node), kind)
        return sources

    def _subquery(self, scope: Scope, query: exp.Expr) -> Sources:
        child = next((s for s in scope.subquery_scopes if s.expression is query), None)
        sources: Sources = {}
        if child is not None:
            for index in range(len(_leftmost_select(child).selects)):
                _add(sources, self._output(child, index))
        return sources

    def _star(self, scope: Scope, star: exp.Expr) -> Sources:
        """An unexpanded star: ``t.*`` for each table under it, every output of each subquery."""
        sources: Sources = {}
        for source in self._star_sources(scope, star):
            if isinstance(source, exp.Table):
                _add(sources, {(*_table_parts(source), "*"): DIRECT})
            else:
                for index in range(len(_leftmost_select(source).selects)):
                    _add(sources, self._output(source, index))
        return sources

    def _column(self, scope: Scope, column: exp.Column) -> Sources:
        name = column.name
        source = _lookup(scope, column.table) if column.table else _only_source(scope, name)
        if source is None:
            return {(name,): DIRECT} if not column.table and scope.selected_sources else {}
        if isinstance(source, exp.Table):
            parts = _table_parts(source)
            return {(*parts, name): DIRECT} if parts else {}
        if source.is_udtf:
            return self._expression(source, source.expression)
        return self._output(source, name)


def _lookup(scope: Scope | None, table: str) -> exp.Table | Scope | None:
    """The source aliased ``table`` here or, for a correlated reference, in an enclosing scope."""
    while scope is not None:
        if table in scope.sources:
            return scope.sources[table]
        scope = scope.parent
    return None


def _only_source(scope: Scope, name: str) -> exp.Table | Scope | None:
    """The source of an unqualified column: the scope's single source, or the UNNEST/LATERAL naming it."""
    selected = [source for _, source in scope.selected_sources.values()]
    if len(selected) == 1:
        return selected[0]
    for source in selected:
        if isinstance(source, Scope) and source.is_udtf:
            udtf = source.expression
            if name in udtf.alias_column_names or name == udtf.alias:
                return source
    return None


def _table_parts(table: exp.Table) -> tuple[str, ...]:
    return tuple(part.name for part in table.parts if part.name)


def _is_star(node: exp.Expr) -> bool:
    return isinstance(node, exp.Star) or (isinstance(node, exp.Column) and isinstance(node.this, exp.Star))


def _position(select: exp.Query, name: str) -> int | None:
    return next((i for i, s in enumerate(select.selects) if s.alias_or_name == name), None)


def _leftmost_select(scope: Scope) -> exp.Query:
    query = scope.expression
    while isinstance(query, exp.SetOperation | exp.Subquery):
        query = query.this
    return query if isinstance(query, exp.Query) else exp.select()
