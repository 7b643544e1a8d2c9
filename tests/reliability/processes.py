"""Station processes the tests start and kill (tests/reliability/worker.py), and waiting for
the database to notice a dead client."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import TestDatabase

ROOT = Path(__file__).resolve().parents[2]


def start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.worker", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def read_until(proc: subprocess.Popen[str], prefix: str) -> str:
    """The worker's first stdout line starting with ``prefix`` (it fails if the worker exits)."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(prefix):
            return line.strip()
    proc.wait(10)
    assert proc.stderr is not None
    raise AssertionError(f"worker ended before {prefix!r}: {proc.stderr.read()[-2000:]}")


def kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(10) == -signal.SIGKILL


def wait_backend_gone(db: TestDatabase, pid: int, timeout_s: float = 10.0) -> None:
    """The server ends a dead client's backend (rolling its transaction back) when it next
    reads from the socket; wait for that, never assume it."""
    deadline = time.monotonic() + timeout_s
    with db.connect("admin", autocommit=True) as conn:
        while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            if time.monotonic() > deadline:
                raise AssertionError(f"backend {pid} still there after {timeout_s} s")
            time.sleep(0.05)
