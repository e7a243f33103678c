"""The column-lineage edge: which physical columns feed a written column, and how."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Transformation(StrEnum):
    """How a source column reaches its target (OpenLineage's transformation types)."""

    DIRECT = "DIRECT"
    """The target carries the source's value, as is or computed from it (expression, function, aggregate)."""
    INDIRECT = "INDIRECT"
    """The source only decides the target through a condition (CASE WHEN, FILTER, window partition/order)."""


@dataclass(frozen=True)
class ColumnEdge:
    """Columns ``sources`` (``"table.column"``, or ``"column"`` when the table is unknown) feed ``target``.

    Args:
        target: ``"table.column"`` a statement writes, or the output column's name for a bare query.
        sources: the physical source columns, sorted; never a CTE or a derived table.
        transformation: ``DIRECT`` when the sources' values flow into the target, ``INDIRECT`` when
            they only influence it through a condition.

    >>> ColumnEdge("tab1.x", ("tab2.col1",))
    ColumnEdge(target='tab1.x', sources=('tab2.col1',), transformation=<Transformation.DIRECT: 'DIRECT'>)
    """

    target: str
    sources: tuple[str, ...]
    transformation: Transformation = Transformation.DIRECT
