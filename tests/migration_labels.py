"""Migration 0005 fills ``facet_label`` from the facets already stored: shared by its SQLite and
PostgreSQL tests."""

from __future__ import annotations

import json

import sqlalchemy as sa

from governance.db import make_engine
from governance.schema_migrations import upgrade

FACETS = [
    (
        "dataset:1",
        "tags",
        {"tags": [{"key": "pii", "value": "true"}, {"key": "zip", "value": "", "field": "z"}]},
    ),
    ("dataset:1", "ownership", {"owners": [{"name": "team:sales", "type": "MAINTAINER"}]}),
    ("dataset:2", "tags", {"tags": [{"key": "gone", "value": ""}], "_deleted": True}),
    ("job:7", "ownership", {"owners": [{"name": "team:etl"}, {"type": "no name"}]}),
    ("run-job:00000000-0000-0000-0000-000000000001", "ownership", {"owners": [{"name": "team:run"}]}),
    ("dataset:1", "schema", {"fields": []}),
]
EXPECTED = {
    ("dataset", 1, "owner", "team:sales"),
    ("dataset", 1, "tag", "pii:true"),
    ("job", 7, "owner", "team:etl"),
}


def labels_after_upgrade(url: str) -> set[tuple[str, int, str, str]]:
    """Upgrade to 0004, store ``FACETS``, upgrade to head: the labels 0005 made of them."""
    upgrade(url, "0004")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO facet (subject, name, event_time, content_hash, payload) "
                    "VALUES (:subject, :name, :at, 'h', :payload)"
                ),
                [
                    {"subject": s, "name": n, "at": "2026-01-05 12:00:00", "payload": json.dumps(p)}
                    for s, n, p in FACETS
                ],
            )
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT node, node_id, kind, value FROM facet_label"))
            return {(node, int(node_id), kind, value) for node, node_id, kind, value in rows}
    finally:
        engine.dispose()
