"""The law the SQL form of grants keeps: it shows exactly what ``visible`` shows, on any database.

Shared by the unit test (SQLite) and the integration test (PostgreSQL).
"""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import strategies as st
from sqlalchemy.engine import Connection

from governance.access import Grant, Grants, visible
from governance.lineage.grant_sql import visible_condition

# Characters that are special somewhere: to globs, LIKE, GLOB, regexes, or case.
ALPHABET = "aAb*?%_\\[]/:.é\n"
NAMES = st.text(alphabet=ALPHABET, max_size=6)
PATTERNS = st.text(alphabet=ALPHABET, min_size=1, max_size=5)
LAYERS = st.lists(
    st.lists(st.builds(Grant, PATTERNS, PATTERNS), min_size=1, max_size=3), min_size=1, max_size=2
)
ROWS = st.lists(st.tuples(NAMES, NAMES), min_size=1, max_size=12, unique=True)

_rows = sa.table("grant_law_rows", sa.column("id", sa.Integer), sa.column("namespace"), sa.column("name"))


def create_rows_table(connection: Connection) -> None:
    """A scratch table of (namespace, name) rows for the law."""
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE grant_law_rows (id INTEGER PRIMARY KEY, namespace TEXT, name TEXT)"
    )


def shown_by_sql(connection: Connection, grants: Grants, rows: list[tuple[str, str]]) -> set[int]:
    """The ids of the rows the SQL condition keeps."""
    connection.execute(sa.delete(_rows))
    connection.execute(
        sa.insert(_rows), [{"id": i, "namespace": ns, "name": name} for i, (ns, name) in enumerate(rows)]
    )
    condition = visible_condition(grants, _rows.c.namespace, _rows.c.name, connection.dialect.name)
    return set(connection.execute(sa.select(_rows.c.id).where(condition)).scalars())


def shown_by_python(grants: Grants, rows: list[tuple[str, str]]) -> set[int]:
    """The ids of the rows ``visible`` keeps."""
    return {i for i, (ns, name) in enumerate(rows) if visible(grants, ns, name)}


def grants_of(layers: list[list[Grant]]) -> Grants:
    """Grants narrowed by each layer in turn."""
    grants = Grants()
    for layer in layers:
        grants = grants.narrowed(layer)
    return grants
