"""Migration 0005 labels the tags and owners of facets stored before it, on SQLite."""

from __future__ import annotations

from pathlib import Path

from tests.migration_labels import EXPECTED, labels_after_upgrade


def test_facets_stored_before_the_migration_get_their_labels(tmp_path: Path) -> None:
    """Dataset- and job-level tags and owners are labelled; field tags, runs and withdrawn facets are not."""
    assert labels_after_upgrade(f"sqlite:///{tmp_path / 'before.db'}") == EXPECTED
