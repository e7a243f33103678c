"""Names the graph's rows share between the worker that writes them and the reads."""

from __future__ import annotations

import uuid
from typing import Any

# Name-based UUIDs for versions, as Marquez makes them, under a namespace of our own.
VERSION_NAMESPACE = uuid.UUID("7d1c4d1e-5b7a-4f0c-9c35-1f3b2f0c9a61")
IN, OUT = "in", "out"  # run_io.direction / job_io.direction


def dataset_version_uuid(namespace: str, name: str, origin: str) -> uuid.UUID:
    """The version a run (``origin`` = its run id) or a dataset event wrote."""
    return uuid.uuid5(VERSION_NAMESPACE, f"dataset\0{namespace}\0{name}\0{origin}")


def job_version_uuid(material: str) -> uuid.UUID:
    """The job version of a run: its job, inputs, outputs, code location and SQL, joined."""
    return uuid.uuid5(VERSION_NAMESPACE, "job\0" + material)


def as_uuid(value: Any) -> uuid.UUID:
    """A run id read back from the database as a UUID, whatever the driver returned."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
