"""Catalog edits: the tags stewards add to datasets, fields and jobs through the API.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (table, subject column, the table and column it points at)
_TAGGINGS = (
    ("dataset_tag", "dataset_id", "dataset", "id"),
    ("dataset_field_tag", "field_id", "dataset_field", "id"),
    ("job_tag", "job_id", "job", "id"),
)


def upgrade() -> None:
    for name, subject, target, target_column in _TAGGINGS:
        op.create_table(
            name,
            sa.Column(subject, sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
            sa.Column("tag", sa.Text(), nullable=False),
            sa.Column("tagged_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint([subject], [f"{target}.{target_column}"], ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["tag"], ["tag.name"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint(subject, "tag"),
        )
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.create_index(f"ix_{name}_tag", ["tag"], unique=False)


def downgrade() -> None:
    for name, _subject, _target, _column in reversed(_TAGGINGS):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{name}_tag")
        op.drop_table(name)
