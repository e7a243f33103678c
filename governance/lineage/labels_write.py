"""Keep ``facet_label`` in step with the winning ``tags`` and ``ownership`` facets of datasets and jobs.

Labels are rebuilt from the facets that won after a batch's facets were written, never from the
batch's own, so they are a function of the set of events like every other row of the graph.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa

from governance.lineage import tables as t
from governance.lineage.among import chunks
from governance.lineage.catalog_labels import DATASET, JOB, LABEL_FACETS, facet_labels
from governance.lineage.upsert import Upserts


def labelled_subjects(facets: Iterable[tuple[str, str]]) -> set[str]:
    """The dataset and job subjects among written (subject, facet name) pairs whose labels may change.

    >>> sorted(labelled_subjects([("dataset:1", "tags"), ("job:2", "sql"), ("run-job:x", "ownership")]))
    ['dataset:1']
    """
    return {
        subject
        for subject, name in facets
        if name in LABEL_FACETS and subject.startswith((f"{DATASET}:", f"{JOB}:"))
    }


def _live(payload: Any) -> bool:
    # A producer withdraws a facet by sending it with "_deleted": true.
    return isinstance(payload, dict) and payload.get("_deleted") is not True


def refresh_labels(ups: Upserts, subjects: Collection[str]) -> None:
    """Replace the labels of ``subjects`` with those of their winning facets."""
    if not subjects:
        return
    ordered = sorted(subjects)
    payloads = ups.facet_payloads(ordered, LABEL_FACETS)
    rows = []
    nodes: dict[str, list[int]] = {}
    for subject in ordered:
        node, _, node_id = subject.partition(":")
        nodes.setdefault(node, []).append(int(node_id))
        facets = {name: payloads.get((subject, name)) for name in LABEL_FACETS}
        labels = facet_labels({name: payload for name, payload in facets.items() if _live(payload)})
        rows += [
            {"node": node, "node_id": int(node_id), "kind": kind, "value": value}
            for kind, value in sorted(labels)
        ]
    label = t.facet_label
    for node, ids in sorted(nodes.items()):
        for chunk in chunks(ids):
            ups.session.execute(sa.delete(label).where(label.c.node == node, label.c.node_id.in_(chunk)))
    if rows:
        ups.session.execute(label.insert(), rows)
