"""Run web, worker and beat together as child processes, and stop them all together."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import requests
import structlog

from governance.config import Settings

log = structlog.get_logger(__name__)

STOP_GRACE_SECONDS = 20.0
READY_TIMEOUT_SECONDS = 90.0


@dataclass(frozen=True)
class Service:
    """One child process of ``headwater up``."""

    name: str
    argv: list[str]


def services(settings: Settings) -> list[Service]:
    """The web server, one Celery worker and one beat, all from this interpreter."""
    python = sys.executable
    return [
        Service("web", [python, "-m", "gunicorn", "-c", "python:web.gunicorn_conf", "web.wsgi:app"]),
        Service(
            "worker",
            [
                python,
                "-m",
                "celery",
                "-A",
                "governance.tasks",
                "worker",
                "--concurrency",
                str(settings.worker_concurrency),
                "--loglevel",
                settings.log_level,
                "--hostname",
                f"headwater@{os.uname().nodename}-{os.getpid()}",
            ],
        ),
        Service(
            "beat",
            [
                python,
                "-m",
                "celery",
                "-A",
                "governance.tasks",
                "beat",
                "--loglevel",
                settings.log_level,
                "--schedule",
                str(settings.data_dir / "celerybeat-schedule"),
            ],
        ),
    ]


def prepare_metrics_dir(settings: Settings, role: str) -> Path:
    """An empty Prometheus multiprocess directory for the processes of one role."""
    metrics_dir = settings.metrics_dir or settings.data_dir / f"metrics-{role}"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True, exist_ok=True)
    return metrics_dir


def child_environment(settings: Settings) -> dict[str, str]:
    """The environment every child gets: ours, plus the resolved port, one metrics directory
    shared by web, worker and beat (so that /metrics shows the worker's counters too), and plain
    cookies when the console is served over plain HTTP."""
    env = dict(os.environ)
    env["HEADWATER_PORT"] = str(settings.port)
    env["HEADWATER_DATA_DIR"] = str(settings.data_dir)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(prepare_metrics_dir(settings, "all"))
    if "HEADWATER_SECURE_COOKIES" not in env and settings.resolved_public_url.startswith("http://"):
        # Browsers drop Secure (and so __Host-) cookies over plain HTTP: the console at
        # http://localhost could not keep a session. Set HEADWATER_SECURE_COOKIES to override.
        env["HEADWATER_SECURE_COOKIES"] = "off"
    return env


class Supervisor:
    """Starts the children, waits, and on a signal or any child's exit stops the rest."""

    def __init__(self, children: list[Service], env: dict[str, str]) -> None:
        self.children = children
        self.env = env
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._stopping = False

    def start(self) -> None:
        """Start every child and take over SIGINT and SIGTERM."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        for child in self.children:
            self.processes[child.name] = subprocess.Popen(child.argv, env=self.env)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def wait(
        self, on_ready: Callable[[], None] | None = None, ready: Callable[[], bool] | None = None
    ) -> int:
        """Block until a signal or a child's exit; run ``on_ready`` once ``ready`` says so."""
        announced = on_ready is None
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not self._stopping:
            exited = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
            if exited:
                name, code = next(iter(exited.items()))
                log.error("service_exited", service=name, status=code, detail="stopping the others")
                self.stop()
                return code or 1
            if not announced and ready is not None and on_ready is not None:
                if ready():
                    announced = True
                    on_ready()
                elif time.monotonic() > deadline:
                    log.error("not_ready_in_time", timeout_seconds=READY_TIMEOUT_SECONDS)
                    self.stop()
                    return 1
            time.sleep(0.2)
        self.stop()
        return 0

    def stop(self) -> None:
        """SIGTERM every child, then SIGKILL what is still running after the grace period."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in self.processes.values():
            remaining = max(0.1, deadline - time.monotonic())
            try:
                process.wait(remaining)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def is_ready(base_url: str) -> bool:
    """True when ``/readyz`` answers 200."""
    try:
        return requests.get(base_url.rstrip("/") + "/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False
