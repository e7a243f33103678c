"""Request models and response shapes of the API, in one place."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from governance.ingest.accept import Acceptance, BatchResult
from governance.lineage.tagging import Tag


class TagIn(BaseModel):
    """The body of ``PUT /tags/{tag}``: Marquez's ``{"description": ...}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    description: str | None = None


def tag(value: Tag) -> dict[str, Any]:
    """A tag as Marquez writes it."""
    return {"name": value.name, "description": value.description}


def acceptance(result: Acceptance) -> dict[str, Any]:
    """The body of a 201 for one event."""
    return {"status": result.status.value, "eventHash": f"sha256:{result.content_hash}"}


def batch(result: BatchResult) -> dict[str, Any]:
    """The batch answer exactly as the OpenLineage consumer spec defines it."""
    failed = len(result.failures)
    retriable = sum(1 for f in result.failures if f.retriable)
    return {
        "status": "partial_success" if failed else "success",
        "summary": {
            "received": result.received,
            "successful": len(result.accepted),
            "failed": failed,
            "retriable": retriable,
            "non_retriable": failed - retriable,
        },
        "failed_events": [
            {"index": f.index, "reason": f.reason, "retriable": f.retriable} for f in result.failures
        ],
    }
