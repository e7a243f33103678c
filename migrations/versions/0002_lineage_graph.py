"""Lineage graph: namespaces, datasets, fields, versions, jobs, run IO, column edges, facets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "dataset",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("namespace", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("namespace", "name", name="uq_dataset_namespace_name"),
    )
    with op.batch_alter_table("dataset", schema=None) as batch_op:
        batch_op.create_index("ix_dataset_updated_at", ["updated_at"], unique=False)

    op.create_table(
        "facet",
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("subject", "name"),
    )
    op.create_table(
        "job",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("namespace", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("io_run_uuid", sa.Uuid(), nullable=True),
        sa.Column("edge_run_uuid", sa.Uuid(), nullable=True),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("namespace", "name", name="uq_job_namespace_name"),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index("ix_job_updated_at", ["updated_at"], unique=False)

    op.create_table(
        "namespace",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "sql_parse",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("dialect", sa.Text(), nullable=True),
        sa.Column("unparsed_reason", sa.Text(), nullable=True),
        sa.Column("edges", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "tag",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "dataset_field",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("ordinal", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "path", name="uq_dataset_field_path"),
    )
    with op.batch_alter_table("dataset_field", schema=None) as batch_op:
        batch_op.create_index("ix_dataset_field_path", ["path"], unique=False)

    op.create_table(
        "dataset_version",
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_uuid", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("uuid"),
    )
    with op.batch_alter_table("dataset_version", schema=None) as batch_op:
        batch_op.create_index("ix_dataset_version_dataset", ["dataset_id", "created_at"], unique=False)

    op.create_table(
        "job_io",
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "direction", "dataset_id"),
    )
    with op.batch_alter_table("job_io", schema=None) as batch_op:
        batch_op.create_index("ix_job_io_dataset", ["dataset_id", "direction"], unique=False)

    op.create_table(
        "run_io",
        sa.Column("run_uuid", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_uuid", "direction", "dataset_id"),
    )
    with op.batch_alter_table("run_io", schema=None) as batch_op:
        batch_op.create_index("ix_run_io_dataset", ["dataset_id", "direction"], unique=False)

    op.create_table(
        "run_lineage",
        sa.Column("run_uuid", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("first_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parent_run_uuid", sa.Uuid(), nullable=True),
        sa.Column("job_version_uuid", sa.Uuid(), nullable=True),
        sa.Column("sql_key", sa.String(length=64), nullable=True),
        sa.Column("sql_material", sa.Text(), nullable=True),
        sa.Column("sql_event_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sql_content_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_uuid"),
    )
    with op.batch_alter_table("run_lineage", schema=None) as batch_op:
        batch_op.create_index("ix_run_lineage_job", ["job_id", "first_event_at"], unique=False)
        batch_op.create_index("ix_run_lineage_parent", ["parent_run_uuid"], unique=False)

    op.create_table(
        "column_edge",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source_field_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("target_field_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("transformation", sa.String(length=8), nullable=False),
        sa.Column("subtype", sa.Text(), nullable=False),
        sa.Column("masking", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("derived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_current", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["source_field_id"],
            ["dataset_field.id"],
        ),
        sa.ForeignKeyConstraint(
            ["target_field_id"],
            ["dataset_field.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "job_id",
            "target_field_id",
            "source_field_id",
            "transformation",
            "subtype",
            "masking",
            "derived",
            name="uq_column_edge",
        ),
    )
    with op.batch_alter_table("column_edge", schema=None) as batch_op:
        batch_op.create_index(
            "ix_column_edge_source_current",
            ["source_field_id"],
            unique=False,
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current"),
        )
        batch_op.create_index(
            "ix_column_edge_target_current",
            ["target_field_id"],
            unique=False,
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current"),
        )

    op.create_table(
        "lineage_disagreement",
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("target_field_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("declared", sa.Text(), nullable=False),
        sa.Column("derived", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["target_field_id"],
            ["dataset_field.id"],
        ),
        sa.PrimaryKeyConstraint("job_id", "target_field_id"),
    )
    op.create_table(
        "run_column_edge",
        sa.Column("run_uuid", sa.Uuid(), nullable=False),
        sa.Column("edge_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["edge_id"], ["column_edge.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_uuid", "edge_id"),
    )
    with op.batch_alter_table("run_column_edge", schema=None) as batch_op:
        batch_op.create_index("ix_run_column_edge_edge", ["edge_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("run_column_edge", schema=None) as batch_op:
        batch_op.drop_index("ix_run_column_edge_edge")

    op.drop_table("run_column_edge")
    op.drop_table("lineage_disagreement")
    with op.batch_alter_table("column_edge", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_column_edge_target_current",
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current"),
        )
        batch_op.drop_index(
            "ix_column_edge_source_current",
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current"),
        )

    op.drop_table("column_edge")
    with op.batch_alter_table("run_lineage", schema=None) as batch_op:
        batch_op.drop_index("ix_run_lineage_parent")
        batch_op.drop_index("ix_run_lineage_job")

    op.drop_table("run_lineage")
    with op.batch_alter_table("run_io", schema=None) as batch_op:
        batch_op.drop_index("ix_run_io_dataset")

    op.drop_table("run_io")
    with op.batch_alter_table("job_io", schema=None) as batch_op:
        batch_op.drop_index("ix_job_io_dataset")

    op.drop_table("job_io")
    with op.batch_alter_table("dataset_version", schema=None) as batch_op:
        batch_op.drop_index("ix_dataset_version_dataset")

    op.drop_table("dataset_version")
    with op.batch_alter_table("dataset_field", schema=None) as batch_op:
        batch_op.drop_index("ix_dataset_field_path")

    op.drop_table("dataset_field")
    op.drop_table("tag")
    op.drop_table("sql_parse")
    op.drop_table("namespace")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_updated_at")

    op.drop_table("job")
    op.drop_table("facet")
    with op.batch_alter_table("dataset", schema=None) as batch_op:
        batch_op.drop_index("ix_dataset_updated_at")

    op.drop_table("dataset")
