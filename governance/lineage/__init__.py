"""The lineage graph: column lineage from SQL and the guards around parsing it."""

from governance.lineage.edges import ColumnEdge, Transformation
from governance.lineage.sql import UnparsableSql, column_lineage

__all__ = ["ColumnEdge", "Transformation", "UnparsableSql", "column_lineage"]
