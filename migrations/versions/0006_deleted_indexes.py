"""Partial indexes of soft-deleted datasets and jobs, which graph walks read once per walk.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("dataset", "job"):
        op.create_index(
            f"ix_{table}_deleted",
            table,
            ["id"],
            postgresql_where=sa.text("deleted"),
            sqlite_where=sa.text("deleted"),
        )


def downgrade() -> None:
    for table in ("job", "dataset"):
        op.drop_index(f"ix_{table}_deleted", table_name=table)
