"""What a caller's grants let a read answer show.

Every read filters through ``governance.access.visible`` by way of a ``Sight``: lists and
search leave hidden datasets and jobs out (and count only what they show), a lookup of a
hidden one is a ``NotFound`` worded exactly as for an unknown one, and a graph walk keeps a
hidden node in place, without its name, as a *restricted* node, so that the shape of the graph
stays honest. A restricted node's id (``dataset:(restricted):#3``) is numbered per answer and
means nothing outside it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from governance.access import Grants, namespace_visible, visible

RESTRICTED_NAMESPACE = "(restricted)"
T = TypeVar("T")


@dataclass
class Sight:
    """One answer's view of the graph under a caller's grants."""

    grants: Grants
    _numbers: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def sees_everything(self) -> bool:
        """True when nothing is hidden (no grants limit the caller)."""
        return self.grants.is_unrestricted

    def sees(self, namespace: str, name: str) -> bool:
        """True when the dataset or job may be shown."""
        return self.grants.is_unrestricted or visible(self.grants, namespace, name)

    def sees_namespace(self, namespace: str) -> bool:
        """True when the namespace may be shown."""
        return namespace_visible(self.grants, namespace)

    def keep(self, items: Iterable[T], key: Callable[[T], tuple[str, str]]) -> list[T]:
        """The items whose (namespace, name) may be shown, in order."""
        return list(items) if self.sees_everything else [i for i in items if self.sees(*key(i))]

    def number(self, kind: str, row_id: int) -> int:
        """The per-answer number of a hidden row."""
        return self._numbers.setdefault((kind, row_id), len(self._numbers) + 1)

    def restricted_id(self, kind: str, row_id: int) -> str:
        """The node id standing for a hidden dataset or job in this answer."""
        return f"{kind}:{RESTRICTED_NAMESPACE}:#{self.number(kind, row_id)}"

    def restricted_field_id(self, dataset_id: int, field_id: int) -> str:
        """The node id standing for a field of a hidden dataset in this answer."""
        dataset = self.number("dataset", dataset_id)
        return f"datasetField:{RESTRICTED_NAMESPACE}:#{dataset}:#{self.number('datasetField', field_id)}"


def page(items: Sequence[T], limit: int, offset: int) -> tuple[list[T], int]:
    """One page of already-filtered items and their total count."""
    return list(items[offset : offset + limit]), len(items)


def restricted_dataset(node_id: str) -> dict[str, Any]:
    """The data of a hidden dataset in a lineage graph: the keys Marquez's UI reads, no names."""
    return {
        "id": {"namespace": RESTRICTED_NAMESPACE, "name": node_id.rsplit(":", 1)[-1]},
        "type": "DB_TABLE",
        "name": node_id.rsplit(":", 1)[-1],
        "physicalName": None,
        "namespace": RESTRICTED_NAMESPACE,
        "sourceName": None,
        "fields": [],
        "tags": [],
        "facets": {},
        "description": None,
        "restricted": True,
    }


def restricted_job(node_id: str) -> dict[str, Any]:
    """The data of a hidden job in a lineage graph."""
    return {
        "id": {"namespace": RESTRICTED_NAMESPACE, "name": node_id.rsplit(":", 1)[-1]},
        "type": "BATCH",
        "name": node_id.rsplit(":", 1)[-1],
        "simpleName": node_id.rsplit(":", 1)[-1],
        "namespace": RESTRICTED_NAMESPACE,
        "inputs": [],
        "outputs": [],
        "latestRun": None,
        "latestRuns": [],
        "facets": {},
        "tags": [],
        "description": None,
        "restricted": True,
    }


def shown_facets(sight: Sight, facets: dict[str, Any], *, touches_hidden: bool) -> dict[str, Any]:
    """Facets without what would name a hidden dataset or job.

    A ``columnLineage`` facet loses its hidden inputs, a ``parent`` facet naming a hidden job
    goes, and the ``sql`` and ``errorMessage`` facets go when the job or run reads or writes a
    hidden dataset (their text may name it).
    """
    if sight.sees_everything:
        return facets
    shown = dict(facets)
    if touches_hidden:
        shown.pop("sql", None)
        shown.pop("errorMessage", None)
    parent_job = (shown.get("parent") or {}).get("job") if isinstance(shown.get("parent"), dict) else None
    if isinstance(parent_job, dict) and not sight.sees(
        str(parent_job.get("namespace")), str(parent_job.get("name"))
    ):
        shown.pop("parent")
    lineage = shown.get("columnLineage")
    if isinstance(lineage, dict) and isinstance(lineage.get("fields"), dict):
        lineage = copy.deepcopy(lineage)
        for spec in lineage["fields"].values():
            if isinstance(spec, dict) and isinstance(spec.get("inputFields"), list):
                spec["inputFields"] = [
                    i
                    for i in spec["inputFields"]
                    if isinstance(i, dict) and sight.sees(str(i.get("namespace")), str(i.get("name")))
                ]
        shown["columnLineage"] = lineage
    return shown
