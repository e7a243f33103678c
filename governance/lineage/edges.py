"""The column-lineage edge: which physical columns feed a written column, and how."""

from __future__ import annotations

from dataclasses import dataclass, field
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

    One edge per target carries all its sources, so that a target's sources are read in one
    place; ``by_source`` keeps how each one reaches it.

    Args:
        target: ``"table.column"`` a statement writes, or the output column's name for a bare query.
        sources: the physical source columns, sorted; never a CTE or a derived table.
        transformation: ``DIRECT`` when some source's value flows into the target, ``INDIRECT``
            when every source only influences it through a condition.
        by_source: each source's own transformation.

    >>> edge = ColumnEdge("tab1.x", ["tab2.col1"])
    >>> edge.target, edge.sources, edge.transformation.value
    ('tab1.x', ['tab2.col1'], 'DIRECT')
    """

    target: str
    sources: list[str]
    transformation: Transformation = Transformation.DIRECT
    by_source: dict[str, Transformation] = field(default_factory=dict, compare=False)
