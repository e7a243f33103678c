"""The lineage graph's tables: what the worker folds events into and the read API answers from.

Every value is a function of the set of events received, never of their order: times are kept
as min/max, facets as newest-wins by (eventTime, content hash), and the sets a traversal reads
(``job_io`` and ``column_edge.is_current``) are rebuilt from the job's latest run each time one of
its events is folded.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from governance.models import BigId, UTCDateTime

metadata = SQLModel.metadata


def _time(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


namespace = sa.Table(
    "namespace",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    _time("created_at"),
    _time("updated_at"),
)

dataset = sa.Table(
    "dataset",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("namespace", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    _time("created_at"),
    _time("updated_at"),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("namespace", "name", name="uq_dataset_namespace_name"),
    sa.Index("ix_dataset_updated_at", "updated_at"),
    # Few rows are deleted: walks read them once and skip them, instead of joining every hop.
    sa.Index(
        "ix_dataset_deleted", "id", postgresql_where=sa.text("deleted"), sqlite_where=sa.text("deleted")
    ),
)

dataset_field = sa.Table(
    "dataset_field",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("dataset_id", BigId, sa.ForeignKey("dataset.id", ondelete="CASCADE"), nullable=False),
    # Nested fields are "parent.child"; "" stands for the dataset as a whole (dataset-level lineage).
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    # Position in the current schema; NULL for a field known only from lineage or dropped.
    sa.Column("ordinal", sa.Integer, nullable=True),
    sa.UniqueConstraint("dataset_id", "path", name="uq_dataset_field_path"),
    sa.Index("ix_dataset_field_path", "path"),
)

dataset_version = sa.Table(
    "dataset_version",
    metadata,
    sa.Column("uuid", sa.Uuid, primary_key=True),
    sa.Column("dataset_id", BigId, sa.ForeignKey("dataset.id", ondelete="CASCADE"), nullable=False),
    sa.Column("run_uuid", sa.Uuid, nullable=True),
    _time("created_at"),
    _time("updated_at"),
    sa.Index("ix_dataset_version_dataset", "dataset_id", "created_at"),
)

job = sa.Table(
    "job",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("namespace", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    _time("created_at"),
    _time("updated_at"),
    # The latest run (by first event time) that read or wrote a dataset, and that declared or
    # derived column edges: the current lineage of the job is theirs.
    sa.Column("io_run_uuid", sa.Uuid, nullable=True),
    sa.Column("edge_run_uuid", sa.Uuid, nullable=True),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("namespace", "name", name="uq_job_namespace_name"),
    sa.Index("ix_job_updated_at", "updated_at"),
    sa.Index("ix_job_deleted", "id", postgresql_where=sa.text("deleted"), sqlite_where=sa.text("deleted")),
)

run_lineage = sa.Table(
    "run_lineage",
    metadata,
    sa.Column("run_uuid", sa.Uuid, primary_key=True),
    sa.Column("job_id", BigId, sa.ForeignKey("job.id", ondelete="CASCADE"), nullable=False),
    _time("first_event_at"),
    sa.Column("parent_run_uuid", sa.Uuid, nullable=True),
    sa.Column("job_version_uuid", sa.Uuid, nullable=True),
    sa.Column("sql_key", sa.String(64), nullable=True),
    # The newest SQL the run reported, with its datasets (re-derived when their schemas change).
    sa.Column("sql_material", sa.Text, nullable=True),
    _time("sql_event_time", nullable=True),
    sa.Column("sql_content_hash", sa.String(64), nullable=True),
    sa.Index("ix_run_lineage_job", "job_id", "first_event_at"),
    sa.Index("ix_run_lineage_parent", "parent_run_uuid"),
)

run_io = sa.Table(
    "run_io",
    metadata,
    sa.Column("run_uuid", sa.Uuid, primary_key=True),
    sa.Column("direction", sa.String(3), primary_key=True),
    sa.Column("dataset_id", BigId, sa.ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_run_io_dataset", "dataset_id", "direction"),
)

job_io = sa.Table(
    "job_io",
    metadata,
    sa.Column("job_id", BigId, sa.ForeignKey("job.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("direction", sa.String(3), primary_key=True),
    sa.Column("dataset_id", BigId, sa.ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_job_io_dataset", "dataset_id", "direction"),
)

column_edge = sa.Table(
    "column_edge",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("job_id", BigId, sa.ForeignKey("job.id", ondelete="CASCADE"), nullable=False),
    sa.Column("source_field_id", BigId, sa.ForeignKey("dataset_field.id"), nullable=False),
    sa.Column("target_field_id", BigId, sa.ForeignKey("dataset_field.id"), nullable=False),
    sa.Column("transformation", sa.String(8), nullable=False),
    sa.Column("subtype", sa.Text, nullable=False),
    sa.Column("masking", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("derived", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("is_current", sa.Boolean, nullable=False, server_default=sa.false()),
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
    sa.Index(
        "ix_column_edge_source_current",
        "source_field_id",
        postgresql_where=sa.text("is_current"),
        sqlite_where=sa.text("is_current"),
    ),
    sa.Index(
        "ix_column_edge_target_current",
        "target_field_id",
        postgresql_where=sa.text("is_current"),
        sqlite_where=sa.text("is_current"),
    ),
)

run_column_edge = sa.Table(
    "run_column_edge",
    metadata,
    sa.Column("run_uuid", sa.Uuid, primary_key=True),
    sa.Column("edge_id", BigId, sa.ForeignKey("column_edge.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_run_column_edge_edge", "edge_id"),
)

lineage_disagreement = sa.Table(
    "lineage_disagreement",
    metadata,
    sa.Column("job_id", BigId, sa.ForeignKey("job.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("target_field_id", BigId, sa.ForeignKey("dataset_field.id"), primary_key=True),
    sa.Column("declared", sa.Text, nullable=False),
    sa.Column("derived", sa.Text, nullable=False),
)

facet = sa.Table(
    "facet",
    metadata,
    # "dataset:<id>", "version:<uuid>", "job:<id>", "run:<uuid>", "run-job:<uuid>"
    sa.Column("subject", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    _time("event_time"),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
)

sql_parse = sa.Table(
    "sql_parse",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("dialect", sa.Text, nullable=True),
    sa.Column("unparsed_reason", sa.Text, nullable=True),
    sa.Column("edges", sa.Text, nullable=False),
    _time("created_at"),
)

# The tags and owners of each dataset's and job's winning ``tags`` and ``ownership`` facets, one row
# each, kept in step with ``facet`` by the fold, so that the catalog search filters and counts
# them with an index instead of reading JSON. Stewards' tags stay in ``dataset_tag``/``job_tag``.
facet_label = sa.Table(
    "facet_label",
    metadata,
    sa.Column("node", sa.String(8), primary_key=True),  # "dataset" or "job"
    sa.Column("node_id", BigId, primary_key=True),  # dataset.id or job.id
    sa.Column("kind", sa.String(8), primary_key=True),  # "tag" or "owner"
    sa.Column("value", sa.Text, primary_key=True),
    sa.Index("ix_facet_label_kind_value", "kind", "value"),
)

tag = sa.Table(
    "tag",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("description", sa.Text, nullable=True),
    _time("created_at"),
)

# --- stewards' edits: tags added through the API (beside the producers' ``tags`` facets) ------


def _tagging(name: str, subject: str, target: str) -> sa.Table:
    """An association of a dataset, field or job (``subject``) with a tag a steward added."""
    return sa.Table(
        name,
        metadata,
        sa.Column(subject, BigId, sa.ForeignKey(target, ondelete="CASCADE"), primary_key=True),
        sa.Column("tag", sa.Text, sa.ForeignKey("tag.name", ondelete="CASCADE"), primary_key=True),
        _time("tagged_at"),
        sa.Index(f"ix_{name}_tag", "tag"),
    )


dataset_tag = _tagging("dataset_tag", "dataset_id", "dataset.id")
dataset_field_tag = _tagging("dataset_field_tag", "field_id", "dataset_field.id")
job_tag = _tagging("job_tag", "job_id", "job.id")
