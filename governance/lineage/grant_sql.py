"""Grants as a SQL condition, so that a limited caller's search filters, counts and pages in SQL.

A grant's globs (``*`` any run of characters, ``?`` one character, all else literal, case
sensitive) become PostgreSQL ``LIKE`` patterns (``%``, ``_``, with ``%``, ``_`` and ``\\``
escaped) or SQLite ``GLOB`` patterns (``[`` escaped as ``[[]``), both case sensitive, so that the
condition keeps exactly what ``governance.access.visible`` shows. Readers still pass what they
show through ``Sight.keep``: the condition narrows, Python guards.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from governance.access import Grants


def like_pattern(glob: str) -> str:
    r"""A grant's glob as a ``LIKE`` pattern with ``\`` as the escape character.

    >>> like_pattern("s3://lake_*/100%?") == r"s3://lake\_%/100\%_"
    True
    """
    out = []
    for char in glob:
        if char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        else:
            out.append("\\" + char if char in "\\%_" else char)
    return "".join(out)


def glob_pattern(glob: str) -> str:
    """A grant's glob as an SQLite ``GLOB`` pattern, where ``[`` would open a class.

    >>> glob_pattern("raw/[eu]*")
    'raw/[[]eu]*'
    """
    return glob.replace("[", "[[]")


def _matches(column: ColumnElement[Any], glob: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "sqlite":
        return column.op("GLOB", is_comparison=True)(glob_pattern(glob))
    return column.like(like_pattern(glob), escape="\\")


def visible_condition(
    grants: Grants, namespace: ColumnElement[Any], name: ColumnElement[Any], dialect: str
) -> ColumnElement[bool]:
    """True in SQL exactly for the (namespace, name) rows the grants show."""
    if grants.is_unrestricted:
        return sa.true()
    return sa.and_(
        *(
            sa.or_(
                *(
                    sa.and_(_matches(namespace, g.namespace, dialect), _matches(name, g.name, dialect))
                    for g in sorted(layer)
                )
            )
            for layer in grants.layers
        )
    )
