"""A column edge between two datasets' fields, as the graph handler records it."""

from __future__ import annotations

from dataclasses import dataclass

from governance.lineage.derive import DatasetRef


@dataclass(frozen=True, slots=True)
class EdgeSpec:
    """``source.source_field`` feeds ``target.target_field`` (``""`` = the whole dataset)."""

    source: DatasetRef
    source_field: str
    target: DatasetRef
    target_field: str
    transformation: str
    subtype: str
    masking: bool
    derived: bool
