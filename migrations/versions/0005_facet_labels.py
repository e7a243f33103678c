"""Facet labels: the tags and owners of datasets' and jobs' facets, one indexed row each.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BATCH = 1000


def _labels(name: str, payload: Any) -> Iterator[tuple[str, str]]:
    """The labels of a winning facet, as the fold derives them (frozen here as of this revision)."""
    if not isinstance(payload, dict) or payload.get("_deleted") is True:
        return
    if name == "tags":
        for tag in payload.get("tags") or [] if isinstance(payload.get("tags"), list) else []:
            if isinstance(tag, dict) and isinstance(tag.get("key"), str) and not tag.get("field"):
                yield "tag", tag["key"] if not tag.get("value") else f"{tag['key']}:{tag['value']}"
    else:
        for owner in payload.get("owners") or [] if isinstance(payload.get("owners"), list) else []:
            if isinstance(owner, dict) and isinstance(owner.get("name"), str):
                yield "owner", owner["name"]


def upgrade() -> None:
    label = op.create_table(
        "facet_label",
        sa.Column("node", sa.String(8), nullable=False),
        sa.Column("node_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("node", "node_id", "kind", "value"),
    )
    with op.batch_alter_table("facet_label", schema=None) as batch_op:
        batch_op.create_index("ix_facet_label_kind_value", ["kind", "value"], unique=False)
    facet = sa.table(
        "facet", sa.column("subject", sa.Text), sa.column("name", sa.Text), sa.column("payload", sa.Text)
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(facet.c.subject, facet.c.name, facet.c.payload).where(
            facet.c.name.in_(["tags", "ownership"]),
            sa.or_(facet.c.subject.startswith("dataset:"), facet.c.subject.startswith("job:")),
        )
    )
    pending: set[tuple[str, int, str, str]] = set()
    for subject, name, payload in rows:
        node, _, node_id = subject.partition(":")
        pending.update(
            (node, int(node_id), kind, value) for kind, value in _labels(name, json.loads(payload))
        )
    ordered = sorted(pending)
    for start in range(0, len(ordered), _BATCH):
        op.bulk_insert(
            label,
            [
                {"node": n, "node_id": i, "kind": k, "value": v}
                for n, i, k, v in ordered[start : start + _BATCH]
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("facet_label", schema=None) as batch_op:
        batch_op.drop_index("ix_facet_label_kind_value")
    op.drop_table("facet_label")
