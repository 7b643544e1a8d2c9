"""An MT-SICS balance simulator on a real local socket (and, for the serial path, a pty),
for tests, the bench and a demo station without a balance.

    with BalanceSimulator(serial="B123456789") as sim:    # listens on 127.0.0.1:<free port>
        balance = open_balance(sim.url)                     # "tcp://127.0.0.1:PORT"
        sim.load(Decimal("12.3456"))                        # what lies on the pan
        sim.unsettled(2)                                    # the next 2 S answers: S I
        sim.stable = False                                  # vibrating bench: S I, SI gives S D
        sim.overload = True                                 # S +, T +
        sim.fail_next("EL") / sim.fail_next("silent") / sim.fail_next("garbage")
        path = sim.serve_pty()                              # "/dev/pts/N": the serial path

Each connection is served on its own thread; state changes are locked. ``commands`` lists
every command received, in order.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import socket
import socketserver
import threading
import tty
from decimal import Decimal
from types import TracebackType

from hardware.mtsics import format_weight


class BalanceSimulator:
    def __init__(
        self,
        *,
        serial: str = "SIM0000001",
        unit: str = "g",
        decimals: int = 4,
        capacity: Decimal = Decimal("220"),
        host: str = "127.0.0.1",
    ) -> None:
        self.serial = serial
        self.unit = unit
        self.decimals = decimals
        self.capacity = capacity
        self.stable = True
        self.overload = False
        self.underload = False
        self.commands: list[str] = []
        self._gross = Decimal(0)
        self._zero = Decimal(0)
        self._tare = Decimal(0)
        self._busy = 0
        self._failures: list[str] = []
        self._lock = threading.Lock()
        self._server = _Server((host, 0), _Handler)
        self._server.sim = self
        self._threads: list[threading.Thread] = []
        self._pty_fds: list[int] = []
        self._connections: list[socket.socket] = []
        self._stopping = threading.Event()

    # -- the test's controls --------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def load(self, grams: Decimal) -> None:
        """Put this gross load on the pan (in the simulator's unit)."""
        with self._lock:
            self._gross = Decimal(grams)

    def unsettled(self, answers: int) -> None:
        """The next ``answers`` S / T requests find no stability in time (S I)."""
        with self._lock:
            self._busy = answers

    def fail_next(self, how: str, times: int = 1) -> None:
        """The next requests answer ``how``: "ES", "ET", "EL", "garbage" or "silent"."""
        with self._lock:
            self._failures.extend([how] * times)

    @property
    def tare_value(self) -> Decimal:
        return self._tare

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> BalanceSimulator:
        thread = threading.Thread(
            target=self._server.serve_forever, name="balance-sim", daemon=True
        )
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        for connection in self._connections:  # as a balance switched off: connections drop
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for fd in self._pty_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> BalanceSimulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def serve_pty(self) -> str:
        """Also answer on a pseudo-terminal; returns the path a serial client opens."""
        master, slave = pty.openpty()
        tty.setraw(slave)
        self._pty_fds += [master, slave]
        thread = threading.Thread(
            target=self._serve_fd, args=(master,), name="balance-pty", daemon=True
        )
        thread.start()
        self._threads.append(thread)
        return os.ttyname(slave)

    def _serve_fd(self, fd: int) -> None:
        buffer = b""
        while not self._stopping.is_set():
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                buffer += os.read(fd, 256)
            except OSError:
                return
            while b"\n" in buffer:
                raw, _, buffer = buffer.partition(b"\n")
                answer = self.answer(raw.rstrip(b"\r").decode("ascii", errors="replace"))
                if answer is not None:
                    os.write(fd, answer.encode("ascii") + b"\r\n")

    # -- the protocol --------------------------------------------------------------------

    def answer(self, command: str) -> str | None:
        """The response line to one command (None: stay silent)."""
        with self._lock:
            self.commands.append(command)
            if self._failures:
                how = self._failures.pop(0)
                return {"silent": None, "garbage": "#?\x7f!"}.get(how, how)
            return self._respond(command.strip())

    def _respond(self, command: str) -> str:
        net = self._gross - self._zero - self._tare
        if command in ("S", "SI", "T") and (self.overload or self.underload):
            return f"{command} {'+' if self.overload else '-'}"
        if command == "S":
            if not self.stable or self._busy > 0:
                self._busy = max(self._busy - 1, 0)
                return "S I"
            return format_weight("S", True, self._q(net), self.unit)
        if command == "SI":
            return format_weight("S", self.stable, self._q(net), self.unit)
        if command == "T":
            if not self.stable or self._busy > 0:
                self._busy = max(self._busy - 1, 0)
                return "T I"
            self._tare = self._gross - self._zero
            return format_weight("T", True, self._q(self._tare), self.unit)
        if command == "Z":
            if not self.stable:
                return "Z I"
            self._zero, self._tare = self._gross, Decimal(0)
            return "Z A"
        if command == "I4":
            return f'I4 A "{self.serial}"'
        return "ES"

    def _q(self, value: Decimal) -> Decimal:
        return value.quantize(Decimal(1).scaleb(-self.decimals))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    sim: BalanceSimulator


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.sim._connections.append(self.request)
        for raw in self.rfile:
            answer = self.server.sim.answer(raw.rstrip(b"\r\n").decode("ascii", errors="replace"))
            if answer is not None:
                self.wfile.write(answer.encode("ascii") + b"\r\n")
                self.wfile.flush()
