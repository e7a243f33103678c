"""Fold accepted events into the lineage graph (the worker's graph handler).

The graph is a function of the set of events: replaying them in any order, in any batches, or
twice, gives the same rows. Ids of versions are name-based UUIDs, so a replay gives the same ids
too. A batch is folded with a fixed number of statements, whatever its size.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from governance.ingest.stored import StoredEvent
from governance.lineage.batch import collect
from governance.lineage.edges_write import record_edges, rederive
from governance.lineage.labels_write import labelled_subjects, refresh_labels
from governance.lineage.nodes_write import (
    readers_of,
    refresh_fields,
    subject_of,
    write_facets,
    write_nodes,
    write_runs,
    write_tags,
)
from governance.lineage.refresh import refresh_job_versions, refresh_jobs
from governance.lineage.upsert import Upserts


def fold_events(session: Session, events: Sequence[StoredEvent]) -> None:
    """Fold events into namespaces, datasets, versions, jobs, runs, run IO and column edges."""
    batch = collect(events)
    if batch.latest_at is None:
        return
    ups = Upserts(session)
    ids = write_nodes(ups, batch)
    write_facets(ups, batch, ids)
    refresh_labels(ups, labelled_subjects((subject_of(s, ids), name) for s, name in batch.facets))
    changed = refresh_fields(ups, {ids.datasets[ref] for ref in batch.schema_datasets})
    write_tags(ups, batch)
    write_runs(ups, batch, ids)
    run_jobs = {run_uuid: ids.jobs[row.job] for run_uuid, row in batch.runs.items()}
    record_edges(
        ups, [(run_uuid, run_jobs[run_uuid], edge) for run_uuid, edge in batch.declared], ids.datasets
    )
    # A dataset's new schema changes what the SQL of every run that named it derives.
    readers = readers_of(ups, changed)
    rederived_jobs = rederive(ups, set(batch.runs) | readers, batch.latest_at)
    refresh_jobs(ups, set(run_jobs.values()) | rederived_jobs)
    refresh_job_versions(ups, batch.runs)


def fold_event(session: Session, event: StoredEvent) -> None:
    """Fold one event (a batch of one)."""
    fold_events(session, [event])


__all__ = ["fold_event", "fold_events"]
