"""Match the caller's ``{table: {column: type}}`` schema to the tables a statement names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.schema import MappingSchema

Parts = tuple[str, ...]
_UNKNOWN_TYPE = "UNKNOWN"


@dataclass(frozen=True)
class KnownTable:
    """A table of the caller's schema: its name parts and columns, normalized and as spelled."""

    parts: Parts
    columns: tuple[str, ...]
    spelled_columns: tuple[str, ...]
    types: tuple[str, ...]


class TableCatalog:
    """The caller's tables, found by a name as qualified as the SQL writes it, or less.

    ``"marts.dim_card"`` in the schema answers ``dim_card``, ``marts.dim_card`` and
    ``db.marts.dim_card`` in a statement; identifiers compare as the dialect folds them.

    >>> catalog = TableCatalog({"marts.dim_card": {"Id": None, "name": "text"}}, dialect=None)
    >>> catalog.find(("db", "marts", "dim_card")).columns
    ('id', 'name')
    """

    def __init__(
        self, schema: Mapping[str, object] | None, dialect: str | None, *, learned: Iterable[KnownTable] = ()
    ) -> None:
        self._dialect_name = dialect
        self._dialect = Dialect.get_or_raise(dialect)
        self._tables: list[KnownTable] = [
            self._known(key, columns) for key, columns in _flatten(schema or {}, ()) if columns
        ]
        self._tables.extend(learned)

    def learn(self, statement: exp.Expr) -> TableCatalog:
        """This catalog plus the table a ``CREATE TABLE t (col type, ...)`` defines, if it is new.

        >>> import sqlglot
        >>> catalog = TableCatalog(None, None).learn(sqlglot.parse_one("CREATE TABLE s.t (a INT, b TEXT)"))
        >>> catalog.find(("t",)).columns
        ('a', 'b')
        """
        definition = statement.this if isinstance(statement, exp.Create) else None
        if not isinstance(definition, exp.Schema) or not isinstance(definition.this, exp.Table):
            return self
        columns = {c.name: c.args.get("kind") for c in definition.expressions if isinstance(c, exp.ColumnDef)}
        parts = tuple(self.normalize(part.name) for part in definition.this.parts)
        if not columns or self.find(parts) is not None:
            return self
        kinds = {
            name: kind.sql() if isinstance(kind, exp.DataType) else None for name, kind in columns.items()
        }
        return TableCatalog(None, self._dialect_name, learned=[*self._tables, self._known(parts, kinds)])

    def normalize(self, name: str) -> str:
        """``name`` as the dialect folds an unquoted identifier."""
        identifier = exp.to_identifier(name)
        return self._dialect.normalize_identifier(identifier).name if identifier else name

    def spellings(self) -> Iterable[tuple[str, str]]:
        """Pairs of (normalized, as written in the schema) for every column name."""
        for table in self._tables:
            yield from zip(table.columns, table.spelled_columns, strict=True)

    def find(self, parts: Parts) -> KnownTable | None:
        """The one table whose name matches ``parts`` (normalized) on their common suffix."""
        exact = [table for table in self._tables if table.parts == parts]
        if exact:
            return exact[0]
        matches = [table for table in self._tables if _suffix_match(table.parts, parts)]
        return matches[0] if len(matches) == 1 else None

    def for_tables(self, tables: Iterable[Parts]) -> MappingSchema:
        """A sqlglot schema holding the named tables under the names the statement uses."""
        found = {parts: known for parts in set(tables) if parts and (known := self.find(parts))}
        depth = max((len(parts) for parts in found), default=1)
        mapping: dict[str, object] = {}
        for parts, known in sorted(found.items()):
            # sqlglot wants one nesting depth; a shorter name still matches through its suffix.
            padded = ("",) * (depth - len(parts)) + parts
            level = mapping
            for part in padded[:-1]:
                level = level.setdefault(part, {})  # type: ignore[assignment]  # nested dict by construction
            level[padded[-1]] = dict(zip(known.columns, known.types, strict=True))
        return MappingSchema(mapping, dialect=self._dialect, normalize=False)

    def _known(self, key: Parts, columns: Mapping[str, object]) -> KnownTable:
        names = [str(name) for name in columns]
        return KnownTable(
            parts=tuple(self.normalize(part) for part in key),
            columns=tuple(self.normalize(name) for name in names),
            spelled_columns=tuple(names),
            types=tuple(self._type(kind) for kind in columns.values()),
        )

    def _type(self, kind: object) -> str:
        # Types don't change lineage; one a dialect cannot read must not lose the table.
        if not isinstance(kind, str) or not kind.strip():
            return _UNKNOWN_TYPE
        try:
            exp.DataType.build(kind, dialect=self._dialect)
        except (SqlglotError, ValueError):
            return _UNKNOWN_TYPE
        return kind


def _flatten(schema: Mapping[str, object], prefix: Parts) -> Iterable[tuple[Parts, Mapping[str, object]]]:
    """``(name parts, columns)`` for dotted keys (``"db.t"``) and nested ones (``{"db": {"t": ...}}``)."""
    for key, value in schema.items():
        if not isinstance(value, Mapping):
            continue
        parts = (*prefix, *_split_name(str(key)))
        if value and all(isinstance(inner, Mapping) for inner in value.values()):
            yield from _flatten(value, parts)
        else:
            yield parts, value


def _split_name(name: str) -> Parts:
    try:
        table = exp.to_table(name)
    except SqlglotError:
        return tuple(name.split("."))
    return tuple(part.name for part in table.parts) or (name,)


def _suffix_match(left: Parts, right: Parts) -> bool:
    common = min(len(left), len(right))
    return common > 0 and left[-common:] == right[-common:]
