"""A pg_auto_failover formation of the test's own: a monitor, a primary and a standby, each a
``pg_autoctl`` service run as Debian's ``postgres`` user in one temporary directory on free
local ports (docs/operations.md#high-availability says how a plant runs the same thing).

The manager's timings are tuned down from its defaults (``TIMINGS``, stated with the figures
in docs/BENCHMARKS.md) so a failover takes seconds, not the default 30-40 s. Everything the
formation starts runs in process groups of its own, ended (and the directory removed) by
``destroy`` whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psycopg

from tests.reliability.cluster import BIN, OS_USER, _free_port
from tests.reliability.cluster import available as cluster_available

PG_AUTOCTL_PATHS = (BIN / "pg_autoctl", Path("/usr/bin/pg_autoctl"))

# The monitor's health checks (milliseconds; defaults in brackets). A primary that stops
# answering is checked every second, given up after 2 retries 500 ms apart, considered
# unhealthy 3 s after its last contact and, as its keeper cannot report, promoted past
# after the demote timeout.
MONITOR_TIMINGS = {
    "pgautofailover.health_check_period": 1000,  # [5000]
    "pgautofailover.health_check_timeout": 1000,  # [5000]
    "pgautofailover.health_check_max_retries": 2,  # [2]
    "pgautofailover.health_check_retry_delay": 500,  # [2000]
    "pgautofailover.node_considered_unhealthy_timeout": 3000,  # [20000]
    "pgautofailover.primary_demote_timeout": 5000,  # [30000]
    "pgautofailover.startup_grace_period": 2000,  # [10000]
}
# Each keeper's own timeouts (seconds). network_partition_timeout is how long a primary that
# can reach neither the monitor nor its standby waits before it demotes itself: it must stay
# below primary_demote_timeout, so an isolated old primary has stopped taking writes before
# its standby is promoted (no two primaries).
KEEPER_TIMINGS = {
    "timeout.network_partition_timeout": 3,  # [20]
    "timeout.prepare_promotion_catchup": 10,  # [30]
    "timeout.prepare_promotion_walreceiver": 2,  # [5]
    "timeout.postgresql_restart_failure_timeout": 5,  # [20]
}


def pg_autoctl() -> Path | None:
    return next((p for p in PG_AUTOCTL_PATHS if p.exists()), None)


def available() -> str | None:
    """Why a formation cannot be made here (None: it can)."""
    if pg_autoctl() is None:
        return (
            "pg_autoctl is not installed (Debian package postgresql-15-auto-failover; "
            "CI installs it, .ci/run)"
        )
    return cluster_available()


@dataclass
class Node:
    name: str
    pgdata: Path
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres?connect_timeout=2"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.pgdata / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


@dataclass
class Formation:
    root: Path
    monitor: Node
    monitor_timings: dict[str, int]
    keeper_timings: dict[str, int]
    nodes: list[Node] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    # --- running pg_autoctl -------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        # pg_autoctl keeps its configuration and state under XDG directories: all in root.
        return {
            "PATH": f"{BIN}:/usr/bin:/bin",
            "HOME": str(self.root),
            "LANG": "C.UTF-8",
            "XDG_CONFIG_HOME": str(self.root / "config"),
            "XDG_DATA_HOME": str(self.root / "share"),
            "XDG_RUNTIME_DIR": str(self.root / "run"),
            "PG_CONFIG": str(BIN / "pg_config"),
        }

    def _cmd(self, *args: str) -> list[str]:
        exe = str(pg_autoctl())
        cmd = ["env", "-i", *(f"{k}={v}" for k, v in self._env().items()), exe, *args]
        return ["runuser", "-u", OS_USER, "--", *cmd] if os.geteuid() == 0 else cmd

    def autoctl(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            self._cmd(*args), capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"pg_autoctl {' '.join(args)}: {done.stderr[-3000:]}")
        return done.stdout

    def _run_service(self, node: Node) -> None:
        """``pg_autoctl run`` in a process group of its own (its Postgres runs in it too)."""
        out = node.log.open("ab")
        self._logs.append(out)
        node.proc = subprocess.Popen(
            self._cmd("run", "--pgdata", str(node.pgdata)),
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    # --- building the formation ---------------------------------------------------------

    def start_monitor(self) -> None:
        m = self.monitor
        self.autoctl(
            "create", "monitor", "--pgdata", str(m.pgdata), "--pgport", str(m.port),
            "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl", "--pgctl",
            str(BIN / "pg_ctl"),
        )  # fmt: skip
        self.autoctl("config", "set", "--pgdata", str(m.pgdata),
                     "postgresql.listen_addresses", "127.0.0.1")  # fmt: skip
        with (m.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("".join(f"{k} = {v}\n" for k, v in self.monitor_timings.items()))
        self._run_service(m)
        wait_for(lambda: _answers(m.dsn), 60, "the monitor answers")

    @property
    def monitor_uri(self) -> str:
        return (
            f"postgresql://autoctl_node@127.0.0.1:{self.monitor.port}/pg_auto_failover"
            "?sslmode=disable"
        )

    def add_node(self, name: str) -> Node:
        node = Node(name, self.root / name, _free_port(), self.root / f"{name}.log")
        self.autoctl(
            "create", "postgres", "--pgdata", str(node.pgdata), "--pgport", str(node.port),
            "--hostname", "127.0.0.1", "--listen", "127.0.0.1", "--name", name,
            "--monitor", self.monitor_uri, "--auth", "trust", "--no-ssl",
            "--pgctl", str(BIN / "pg_ctl"), timeout=300,
        )  # fmt: skip
        for key, value in self.keeper_timings.items():
            self.autoctl("config", "set", "--pgdata", str(node.pgdata), key, str(value))
        self.nodes.append(node)
        self._run_service(node)
        return node

    # --- what the monitor knows ---------------------------------------------------------

    def states(self) -> dict[str, tuple[str, str]]:
        """Node name → (reported state, goal state), as the monitor has them."""
        with psycopg.connect(self.monitor_dsn, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT nodename, reportedstate::text, goalstate::text FROM pgautofailover.node"
            ).fetchall()
        return {str(r[0]): (str(r[1]), str(r[2])) for r in rows}

    @property
    def monitor_dsn(self) -> str:
        return (
            f"postgresql://postgres@127.0.0.1:{self.monitor.port}/pg_auto_failover"
            "?connect_timeout=2"
        )

    def wait_states(self, want: dict[str, str], timeout_s: float) -> None:
        """Until each named node reports (and has as its goal) the state given."""

        def reached() -> bool:
            try:
                now = self.states()
            except psycopg.OperationalError:
                return False
            return all(now.get(n) == (s, s) for n, s in want.items())

        wait_for(reached, timeout_s, f"states {want}", lambda: f"monitor has {self.states()}")

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def restart(self, node: Node) -> None:
        """Start a lost node's service again: its keeper asks the monitor what it is now and
        rejoins as the standby (pg_rewind, or a fresh base backup if that fails)."""
        self._run_service(node)

    # --- faults and cleaning up ---------------------------------------------------------

    def kill(self, node: Node) -> None:
        """The node's host is lost: its keeper and its Postgres SIGKILLed at once (the keeper
        first, so it cannot restart Postgres)."""
        pid = node.postmaster_pid()
        if node.proc is not None:
            _killpg(node.proc, signal.SIGKILL)
        if pid is not None:
            _kill(pid, signal.SIGKILL)

    def destroy(self) -> None:
        """Stop every service (TERM, then KILL), any Postgres left behind, remove root."""
        services = [n for n in [*self.nodes, self.monitor] if n.proc is not None]
        for n in services:
            assert n.proc is not None
            _killpg(n.proc, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for n in services:
            assert n.proc is not None
            with contextlib.suppress(subprocess.TimeoutExpired):
                n.proc.wait(max(0.1, deadline - time.monotonic()))
            _killpg(n.proc, signal.SIGKILL)
            n.proc.wait(10)
        for n in [*self.nodes, self.monitor]:
            pid = n.postmaster_pid()
            if pid is not None:
                _kill(pid, signal.SIGKILL)
        for out in self._logs:
            out.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def logs(self) -> str:
        """The last lines of each service's log (for a failure message)."""
        parts = []
        for n in [self.monitor, *self.nodes]:
            try:
                text = n.log.read_text(errors="replace").splitlines()[-25:]
            except OSError:
                continue
            parts.append(f"--- {n.name} ---\n" + "\n".join(text))
        return "\n".join(parts)


def _answers(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn):
            return True
    except psycopg.OperationalError:
        return False


def _killpg(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def wait_for(
    cond: Callable[[], bool],
    timeout_s: float,
    what: str,
    detail: Callable[[], str] | None = None,
) -> float:
    """Poll ``cond`` until true; the seconds it took (an AssertionError past the timeout)."""
    start = time.monotonic()
    while not cond():
        if time.monotonic() - start > timeout_s:
            extra = ""
            if detail is not None:
                try:
                    extra = ": " + detail()
                except Exception as exc:
                    extra = f" ({exc})"
            raise AssertionError(f"not reached within {timeout_s} s: {what}{extra}")
        time.sleep(0.1)
    return time.monotonic() - start


def make_formation(*, tuned: bool = True) -> Formation:
    """Monitor, primary ``node1`` and synchronous standby ``node2``, both healthy; with the
    manager's own default timings unless ``tuned``."""
    root = Path(tempfile.mkdtemp(prefix="wc-ha-"))
    if os.geteuid() == 0:
        shutil.chown(root, OS_USER, OS_USER)
    monitor = Node("monitor", root / "monitor", _free_port(), root / "monitor.log")
    formation = Formation(
        root, monitor, MONITOR_TIMINGS if tuned else {}, KEEPER_TIMINGS if tuned else {}
    )
    try:
        formation.start_monitor()
        formation.add_node("node1")
        formation.wait_states({"node1": "single"}, 90)
        formation.add_node("node2")
        formation.wait_states({"node1": "primary", "node2": "secondary"}, 120)
    except BaseException:
        print(formation.logs())
        formation.destroy()
        raise
    return formation
