"""A PostgreSQL cluster of the test's own, in a temporary directory, that the test may stop,
restart and kill without touching the shared server every other engineer's tests use.

PostgreSQL refuses to run as root: when the tests run as root, the cluster's commands run as
Debian's ``postgres`` user (``runuser``), as a plant's server would.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

BIN = Path("/usr/lib/postgresql/15/bin")
OS_USER = "postgres"


def available() -> str | None:
    """Why a private cluster cannot be made here (None: it can)."""
    if not (BIN / "pg_ctl").exists():
        return f"no PostgreSQL binaries in {BIN}"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser"
    return None


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", OS_USER, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=60)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\nfsync = off\n"
                "max_connections = 60\nshared_buffers = 32MB\n"
            )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def crash(self) -> None:
        """The postmaster SIGKILLed (a lost host, as a failover starts): its backends tell
        their clients "terminating connection due to unexpected postmaster exit" and go.
        Returns once they have (a new postmaster refuses a data directory still in use)."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        children = [
            int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == pid
        ]
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{c}").exists() for c in [pid, *children]):
            if time.monotonic() > deadline:
                raise AssertionError(f"backends of the killed postmaster {pid} still run")
            time.sleep(0.05)

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def answers(self) -> bool:
        try:
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres"):
                return True
        except psycopg.OperationalError:
            return False

    def destroy(self) -> None:
        if self.running():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def make_cluster() -> Cluster:
    root = Path(tempfile.mkdtemp(prefix="wc-fault-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, OS_USER, OS_USER)
    cluster = Cluster(root, _free_port())
    cluster.init()
    cluster.start()
    return cluster
