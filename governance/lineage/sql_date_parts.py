"""Date-part keywords that a generic parse mistakes for columns.

Without a dialect, ``DATEDIFF(minute, a, b)`` or ``DATEADD(day, 7, a)`` parse with ``minute``
and ``day`` as columns, and qualification then pins them on a table. Dialects that write the
unit unquoted put it first (``DATEADD(day, ...)``) or last (BigQuery's ``DATE_DIFF(a, b, DAY)``),
and there it is the keyword even when a column has the same name.
"""

from __future__ import annotations

from sqlglot import exp

DATE_PARTS = frozenset(
    {
        "year", "years", "yy", "yyyy", "quarter", "quarters", "qq", "q", "month", "months", "mm", "m",
        "week", "weeks", "wk", "ww", "isoweek", "day", "days", "dd", "d", "dayofweek", "dow", "dayofyear",
        "doy", "dy", "y", "hour", "hours", "hh", "minute", "minutes", "mi", "n", "second", "seconds", "ss",
        "s", "millisecond", "milliseconds", "ms", "microsecond", "microseconds", "mcs", "nanosecond",
        "nanoseconds", "ns", "epoch",
    }
)  # fmt: skip
DATE_FUNCTIONS = frozenset(
    {
        "DATEDIFF", "DATE_DIFF", "DATEADD", "DATE_ADD", "DATESUB", "DATE_SUB", "TIMESTAMPDIFF",
        "TIMESTAMP_DIFF", "TIMESTAMPADD", "TIMESTAMP_ADD", "TIMEDIFF", "TIME_DIFF", "TIMEADD", "TIME_ADD",
        "DATEPART", "DATE_PART", "DATENAME", "DATE_TRUNC", "DATETRUNC", "TIMESTAMP_TRUNC", "TIME_TRUNC",
        "DATETIME_TRUNC", "DATETIME_DIFF", "DATETIME_ADD", "LAST_DAY", "TIMESTAMPTRUNC",
    }
)  # fmt: skip


def mark_date_parts(statement: exp.Expr) -> exp.Expr:
    """Turn unqualified date-part names in the unit position of date functions into keywords.
    Changes ``statement`` in place and returns it.

    >>> import sqlglot
    >>> marked = mark_date_parts(sqlglot.parse_one("SELECT DATEDIFF(day, t.day, t.b) FROM t"))
    >>> sorted(column.name for column in marked.find_all(exp.Column))
    ['b', 'day']
    """
    for function in list(statement.find_all(exp.Func)):
        if _function_name(function) not in DATE_FUNCTIONS:
            continue
        arguments = list(function.iter_expressions())
        for argument in (
            {id(arguments[0]): arguments[0], id(arguments[-1]): arguments[-1]}.values() if arguments else ()
        ):
            if (
                isinstance(argument, exp.Column)
                and not argument.table
                and argument.name.lower() in DATE_PARTS
            ):
                argument.replace(exp.Var(this=argument.name))
    return statement


def _function_name(function: exp.Func) -> str:
    if isinstance(function, exp.Anonymous):
        return str(function.name).upper()
    return function.sql_name().upper()
