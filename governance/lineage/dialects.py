"""Which SQL dialect to parse a job's SQL in: the ``sql`` facet's own, else the datasets' engine."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from sqlglot.dialects.dialect import Dialect

# Names producers write (facet ``dialect`` values, namespace schemes) -> sqlglot dialects.
_ALIASES = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "psql": "postgres",
    "redshift": "redshift",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "trino": "trino",
    "presto": "presto",
    "awsathena": "athena",
    "athena": "athena",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlserver": "tsql",
    "mssql": "tsql",
    "azuresql": "tsql",
    "synapse": "tsql",
    "tsql": "tsql",
    "oracle": "oracle",
    "databricks": "databricks",
    "spark": "spark",
    "sparksql": "spark",
    "spark_sql": "spark",
    "hive": "hive",
    "duckdb": "duckdb",
    "sqlite": "sqlite",
    "teradata": "teradata",
    "clickhouse": "clickhouse",
    "dremio": "dremio",
}
# Storage namespaces (files in a lake) say nothing about the engine that ran the SQL.
_GENERIC = {"ansi", "sql", "generic", ""}


@lru_cache(maxsize=1024)
def normalize_dialect(name: str | None) -> str | None:
    """A sqlglot dialect for a name as producers write it, or None when it names none.

    >>> [normalize_dialect(n) for n in ("PostgreSQL", "sparksql", "mssql", "ansi", "cobol", None)]
    ['postgres', 'spark', 'tsql', None, None, None]
    """
    if not name:
        return None
    key = name.strip().lower()
    if key in _GENERIC:
        return None
    dialect = _ALIASES.get(key, key)
    # Dialect.get loads only the module asked for (``classes`` imports every dialect); a name
    # that is no dialect costs a failed import each time, hence the cache.
    return dialect if Dialect.get(dialect) is not None else None


def scheme(namespace: str) -> str:
    """The scheme of an OpenLineage namespace (``postgres://h:5432`` -> ``postgres``).

    >>> scheme("snowflake://acct.eu-west-1"), scheme("bigquery"), scheme("s3://bucket")
    ('snowflake', 'bigquery', 's3')
    """
    return namespace.split("://", 1)[0].lower() if "://" in namespace else namespace.lower()


def dialect_for(declared: str | None, namespaces: Iterable[str]) -> str | None:
    """The facet's declared dialect if it names one, else the first engine among the namespaces.

    >>> dialect_for(None, ["s3://lake", "redshift://cluster:5439"])
    'redshift'
    >>> dialect_for("snowflake", ["postgres://h"])
    'snowflake'
    >>> dialect_for("ansi", ["s3://lake"]) is None
    True
    """
    chosen = normalize_dialect(declared)
    if chosen is not None:
        return chosen
    for namespace in namespaces:
        found = normalize_dialect(scheme(namespace))
        if found is not None:
            return found
    return None
