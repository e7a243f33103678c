"""gunicorn settings, from Headwater's settings (``gunicorn -c python:web.gunicorn_conf``)."""

from __future__ import annotations

import os
from typing import Any

from governance.config import get_settings

_settings = get_settings()

bind = f"{_settings.bind_host}:{_settings.port}"
workers = _settings.web_workers
threads = _settings.web_threads
worker_class = "gthread"
# Multi-MB events from Spark take time to upload on slow links.
timeout = 60
graceful_timeout = 20
keepalive = 30
accesslog = None


def child_exit(_server: Any, worker: Any) -> None:
    """Let Prometheus drop the gauges of a worker that exited (in multiprocess mode only)."""
    # Raising here would stop the master: one dead worker must not take the server down.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
