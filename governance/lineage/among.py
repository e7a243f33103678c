"""``column IN (values)`` as each database answers it fastest, and values cut into IN-sized lists.

PostgreSQL gets one array parameter (``= ANY(:values)``): the statement is the same for any
number of values, so it is compiled and planned once, and the driver sends one parameter, not
hundreds. SQLite gets an ordinary IN list.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

T = TypeVar("T")
# Well under SQLite's limit on bound variables, for IN lists of any length.
IN_CHUNK = 500


def among(session: Session, column: sa.ColumnElement[Any], values: Collection[Any]) -> ColumnElement[bool]:
    """A condition true where ``column`` is one of ``values``."""
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(list(values))


def chunks(values: Iterable[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """The values, sorted, in lists of at most ``size``: sorted, every writer locks rows in one order."""
    ordered = sorted(values)  # type: ignore[type-var]  # callers pass ids, names or tuples of them
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]
