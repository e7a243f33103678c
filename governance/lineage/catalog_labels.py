"""Tags and owners of datasets and jobs: read from their facets, and as SQL rows for the search.

A tag is a steward's (``dataset_tag``, ``job_tag``) or a producer's (a dataset- or job-level entry
of the winning ``tags`` facet); an owner is an entry of the winning ``ownership`` facet. The fold
keeps the producers' ones in ``facet_label`` (``governance.lineage.labels_write``), so that the
catalog search filters and counts them by index instead of reading JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from governance.lineage import tables as t
from governance.lineage.tags import facet_tags

TAG = "tag"
OWNER = "owner"
DATASET = "dataset"
JOB = "job"
# The facets whose winning payloads give labels.
LABEL_FACETS = ("tags", "ownership")


def owner_names(facets: Mapping[str, Any]) -> list[str]:
    """The owners an ``ownership`` facet names, in order, without repeats.

    >>> owner_names({"ownership": {"owners": [{"name": "team:data", "type": "MAINTAINER"}, {"type": "x"}]}})
    ['team:data']
    >>> owner_names({"ownership": {"owners": "nobody"}})
    []
    """
    return list(dict.fromkeys(name for name, _ in owners_with_types(facets)))


def owners_with_types(facets: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """Each owner of an ``ownership`` facet with its type (``MAINTAINER``, ...), if given."""
    owners = (facets.get("ownership") or {}).get("owners")
    return [
        (o["name"], o["type"] if isinstance(o.get("type"), str) else None)
        for o in (owners if isinstance(owners, list) else [])
        if isinstance(o, dict) and isinstance(o.get("name"), str)
    ]


def facet_labels(facets: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The (kind, value) labels of a dataset's or job's winning facets.

    >>> sorted(facet_labels({
    ...     "tags": {"tags": [{"key": "pii", "value": "true"}, {"key": "zip", "value": "", "field": "a"}]},
    ...     "ownership": {"owners": [{"name": "team:data"}]},
    ... }))
    [('owner', 'team:data'), ('tag', 'pii:true')]
    """
    return {(TAG, tag) for tag in facet_tags(facets)} | {(OWNER, owner) for owner in owner_names(facets)}


def label_rows() -> sa.Subquery:
    """Every (node, node_id, kind, value) of a tag or an owner of a dataset or job, each once.

    A steward's tag that the producer's facet gives as well is the facet's row alone, so that a
    count of rows by value counts each dataset or job once.
    """
    label = t.facet_label

    def stewards(node: str, subject: sa.Column[Any], tag: sa.Column[Any]) -> sa.Select[Any]:
        also_from_facet = sa.exists().where(
            label.c.node == node, label.c.node_id == subject, label.c.kind == TAG, label.c.value == tag
        )
        return sa.select(
            sa.literal(node, sa.String(8)).label("node"),
            subject.label("node_id"),
            sa.literal(TAG, sa.String(8)).label("kind"),
            tag.label("value"),
        ).where(~also_from_facet)

    return sa.union_all(
        sa.select(label.c.node, label.c.node_id, label.c.kind, label.c.value),
        stewards(DATASET, t.dataset_tag.c.dataset_id, t.dataset_tag.c.tag),
        stewards(JOB, t.job_tag.c.job_id, t.job_tag.c.tag),
    ).subquery("labels")


def has_label(
    node: str,
    node_id: sa.ColumnElement[Any],
    kind: str,
    *,
    equals: str | None = None,
    like: str | None = None,
) -> ColumnElement[bool]:
    """The dataset or job ``node_id`` has a tag or owner (``kind``) equal to ``equals``, or whose lower
    case matches the LIKE pattern ``like`` (escape character ``\\``)."""

    def matches(value: sa.ColumnElement[str]) -> ColumnElement[bool]:
        return value == equals if like is None else sa.func.lower(value).like(like, escape="\\")

    label = t.facet_label
    found = sa.exists().where(
        label.c.node == node, label.c.node_id == node_id, label.c.kind == kind, matches(label.c.value)
    )
    if kind != TAG:
        return found
    steward, subject = (
        (t.dataset_tag, t.dataset_tag.c.dataset_id) if node == DATASET else (t.job_tag, t.job_tag.c.job_id)
    )
    return sa.or_(found, sa.exists().where(subject == node_id, matches(steward.c.tag)))
