"""``column IN (values)`` as each database answers it fastest.

PostgreSQL gets one array parameter (``= ANY(:values)``): the statement is the same for any
number of values, so it is compiled and planned once, and the driver sends one parameter, not
hundreds. SQLite gets an ordinary IN list.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session


def among(session: Session, column: sa.ColumnElement[Any], values: Collection[Any]) -> ColumnElement[bool]:
    """A condition true where ``column`` is one of ``values``."""
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(list(values))
