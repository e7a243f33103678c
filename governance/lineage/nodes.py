"""Node ids as Marquez writes them, and finding the dataset, job or field they name.

Ids keep the colons of the names (``dataset:s3://bucket:db.table``), so an id is split where
the parts name something that exists: a namespace we know, then a dataset or job in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from governance.errors import InvalidInput, NotFound
from governance.lineage import tables as t

NODE_KINDS = ("dataset", "job", "datasetField")


@dataclass(frozen=True, slots=True)
class NodeRef:
    """A resolved node: a dataset or job row, and for a field its path and row id."""

    kind: str
    id: int
    namespace: str
    name: str
    field: str | None = None
    field_id: int | None = None


def dataset_node_id(namespace: str, name: str) -> str:
    """``dataset:<namespace>:<name>``."""
    return f"dataset:{namespace}:{name}"


def job_node_id(namespace: str, name: str) -> str:
    """``job:<namespace>:<name>``."""
    return f"job:{namespace}:{name}"


def field_node_id(namespace: str, name: str, field: str) -> str:
    """``datasetField:<namespace>:<dataset>:<field>``."""
    return f"datasetField:{namespace}:{name}:{field}"


def resolve_node(session: Session, node_id: str) -> NodeRef:
    """The node an id names; InvalidInput for a malformed id, NotFound for an unknown one."""
    kind, sep, rest = node_id.partition(":")
    if not sep or kind not in NODE_KINDS or not rest:
        raise InvalidInput(
            f"nodeId must be dataset:<namespace>:<name>, job:<namespace>:<name> or "
            f"datasetField:<namespace>:<dataset>:<field>, not {node_id!r}"
        )
    table = t.job if kind == "job" else t.dataset
    for namespace, remainder in _splits(rest):
        if kind != "datasetField":
            found = _row_id(session, table, namespace, remainder)
            if found is not None:
                return NodeRef(kind, found, namespace, remainder)
            continue
        for name, field in _splits(remainder):
            dataset_id = _row_id(session, t.dataset, namespace, name)
            if dataset_id is None:
                continue
            field_id = session.execute(
                sa.select(t.dataset_field.c.id).where(
                    t.dataset_field.c.dataset_id == dataset_id, t.dataset_field.c.path == field
                )
            ).scalar_one_or_none()
            if field_id is not None:
                return NodeRef(kind, dataset_id, namespace, name, field, int(field_id))
    raise NotFound(f"no node {node_id!r}")


def _splits(text: str) -> list[tuple[str, str]]:
    """Every (left, right) split of ``text`` at a colon, the longest left part first."""
    cuts = [i for i, char in enumerate(text) if char == ":"]
    return [(text[:i], text[i + 1 :]) for i in reversed(cuts) if text[:i] and text[i + 1 :]]


def _row_id(session: Session, table: sa.Table, namespace: str, name: str) -> int | None:
    """The id of the live dataset or job of that name (a deleted one names nothing)."""
    value = session.execute(
        sa.select(table.c.id).where(
            table.c.namespace == namespace, table.c.name == name, table.c.deleted.is_(False)
        )
    ).scalar_one_or_none()
    return None if value is None else int(value)
