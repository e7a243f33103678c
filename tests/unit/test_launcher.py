"""`headwater up`'s supervisor: every child stops together, on a signal or when one dies."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time

import psutil

SUPERVISE = textwrap.dedent(
    """
    import json, sys
    from governance.launcher import Service, Supervisor
    children = [Service(name, [sys.executable, "-c", code]) for name, code in json.loads(sys.argv[1])]
    supervisor = Supervisor(children, env={})
    supervisor.start()
    print(json.dumps([p.pid for p in supervisor.processes.values()]), flush=True)
    sys.exit(supervisor.wait())
    """
)
SLEEPER = "import time; time.sleep(120)"


def _supervise(children: list[tuple[str, str]]) -> tuple[subprocess.Popen[str], list[int]]:
    process = subprocess.Popen(
        [sys.executable, "-c", SUPERVISE, json.dumps(children)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    pids: list[int] = json.loads(process.stdout.readline())
    return process, pids


def _gone(pids: list[int]) -> bool:
    return not any(
        psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in pids
    )


def test_sigterm_stops_every_child_and_exits_zero() -> None:
    """SIGTERM to the supervisor stops web, worker and beat alike."""
    supervisor, pids = _supervise([("web", SLEEPER), ("worker", SLEEPER), ("beat", SLEEPER)])
    with supervisor:
        time.sleep(0.5)
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(30) == 0
    assert _gone(pids)


def test_one_child_exiting_stops_the_others_and_fails() -> None:
    """When one service dies, the rest are stopped and the exit status is non-zero."""
    supervisor, pids = _supervise([("web", SLEEPER), ("worker", "import sys; sys.exit(3)")])
    with supervisor:
        assert supervisor.wait(30) == 3
    assert _gone(pids)
