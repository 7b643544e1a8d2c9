"""A laboratory balance speaking MT-SICS, over TCP (a LAN/Ethernet interface) or a serial
line (RS-232 / USB virtual COM port), through one line-based transport.

    balance = open_balance("tcp://10.0.4.21:4001")      # or "serial:///dev/ttyUSB0?baud=9600"
    balance.serial_number()   # "B123456789" (I4), read from the device, cached
    balance.tare()            # Weight: the tare taken (T), remembered as balance.tare_weight
    balance.stable_weight()   # Weight: stable net weight (S); dynamic or busy answers are
                              # retried, then refused with BalanceUnstable
    balance.zero()            # Z
    balance.close()

Every failure is a BalanceError with an operator-readable ``message`` (and a ``title``, the
shape of domain errors, so a screen shows it like any refusal). Blocking calls: run them
in a worker thread, never on the UI thread.
"""

from __future__ import annotations

import os
import select
import socket
import termios
import time
import tty
from dataclasses import dataclass
from decimal import Decimal
from typing import NoReturn, Protocol
from urllib.parse import parse_qs, urlsplit

from hardware import mtsics
from hardware.mtsics import (
    ConditionResponse,
    ErrorResponse,
    Response,
    SerialResponse,
    WeightResponse,
)

DEFAULT_TIMEOUT_S = 3.0
MAX_LINE = 256


class BalanceError(Exception):
    title = "Balance"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BalanceUnavailable(BalanceError):
    """Not connected, no answer in time, or the connection dropped."""

    title = "Balance not answering"


class BalanceUnstable(BalanceError):
    title = "Weight not stable"


class BalanceOverload(BalanceError):
    title = "Balance overloaded"


class BalanceUnderload(BalanceError):
    title = "Balance underloaded"


class BalanceRefused(BalanceError):
    """The balance answered ES, ET, EL or an unexpected line."""

    title = "Balance refused"


@dataclass(frozen=True)
class Weight:
    value: Decimal
    unit: str
    stable: bool = True


class LineTransport(Protocol):
    """CR LF framed lines to and from the device."""

    def write_line(self, line: str) -> None: ...

    def read_line(self, timeout_s: float) -> str: ...

    def drain(self) -> None:
        """Forget anything unread (a late answer to a command that timed out)."""

    def close(self) -> None: ...


class _Lines:
    """Splits a byte stream into lines; ``_recv`` returns b"" on EOF, None on timeout."""

    def __init__(self) -> None:
        self._buffer = b""

    def _recv(self, timeout_s: float) -> bytes | None:
        raise NotImplementedError

    def read_line(self, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            chunk = self._recv(left) if left > 0 else None
            if chunk is None:
                raise BalanceUnavailable(f"The balance did not answer within {timeout_s:g} s.")
            if chunk == b"":
                raise BalanceUnavailable("The balance closed the connection.")
            self._buffer += chunk
            if len(self._buffer) > MAX_LINE and b"\n" not in self._buffer:
                self._buffer = b""
                raise BalanceRefused("The balance sent a line too long to be an MT-SICS answer.")
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.rstrip(b"\r").decode("ascii", errors="replace")

    def drain(self) -> None:
        self._buffer = b""
        while self._recv(0):
            pass


class TcpTransport(_Lines):
    def __init__(
        self, host: str, port: int, *, connect_timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        super().__init__()
        try:
            self._sock = socket.create_connection((host, port), timeout=connect_timeout_s)
        except OSError as exc:
            raise BalanceUnavailable(f"Cannot reach the balance at {host}:{port} ({exc}).") from exc

    def write_line(self, line: str) -> None:
        try:
            self._sock.sendall(line.encode("ascii") + b"\r\n")
        except OSError as exc:
            raise BalanceUnavailable(f"Lost the balance connection ({exc}).") from exc

    def _recv(self, timeout_s: float) -> bytes | None:
        self._sock.settimeout(timeout_s if timeout_s > 0 else 0.0)
        try:
            return self._sock.recv(MAX_LINE)
        except TimeoutError:
            return None
        except BlockingIOError:
            return None
        except OSError as exc:
            raise BalanceUnavailable(f"Lost the balance connection ({exc}).") from exc

    def close(self) -> None:
        self._sock.close()


class SerialTransport(_Lines):
    """A serial port (or a pty) in raw mode, 8N1, at ``baud``: termios, no extra package."""

    def __init__(self, path: str, baud: int = 9600) -> None:
        super().__init__()
        speed = getattr(termios, f"B{baud}", None)
        if speed is None:
            raise BalanceUnavailable(f"{baud} is not a serial speed.")
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError as exc:
            raise BalanceUnavailable(f"Cannot open the balance port {path} ({exc}).") from exc
        tty.setraw(self._fd)
        attrs = termios.tcgetattr(self._fd)
        attrs[4] = attrs[5] = speed  # ispeed, ospeed
        termios.tcsetattr(self._fd, termios.TCSANOW, attrs)

    def write_line(self, line: str) -> None:
        try:
            os.write(self._fd, line.encode("ascii") + b"\r\n")
        except OSError as exc:
            raise BalanceUnavailable(f"Lost the balance port ({exc}).") from exc

    def _recv(self, timeout_s: float) -> bytes | None:
        ready, _, _ = select.select([self._fd], [], [], max(timeout_s, 0.0))
        if not ready:
            return None
        try:
            return os.read(self._fd, MAX_LINE)
        except BlockingIOError:
            return None
        except OSError as exc:
            raise BalanceUnavailable(f"Lost the balance port ({exc}).") from exc

    def close(self) -> None:
        os.close(self._fd)


class MtSicsBalance:
    """The client (implements hardware.protocols.Balance)."""

    def __init__(
        self,
        transport: LineTransport,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        attempts: int = 5,
        retry_pause_s: float = 0.2,
    ) -> None:
        self._transport = transport
        self._timeout_s = timeout_s
        self._attempts = attempts
        self._pause_s = retry_pause_s
        self._serial: str | None = None
        self.tare_weight: Weight | None = None

    def serial_number(self) -> str:
        if self._serial is None:
            answer = self._ask(mtsics.SERIAL)
            if not isinstance(answer, SerialResponse):
                raise BalanceRefused(f"The balance did not give its serial number ({answer}).")
            self._serial = answer.serial
        return self._serial

    def stable_weight(self) -> Weight:
        """A stable net weight (S). Busy or dynamic answers are asked again, ``attempts``
        times; then BalanceUnstable: nothing unstable is ever returned."""
        for attempt in range(self._attempts):
            answer = self._ask(mtsics.STABLE)
            if isinstance(answer, WeightResponse) and answer.stable:
                return Weight(answer.value, answer.unit)
            if not _unsettled(answer):
                self._refuse(answer)
            if attempt + 1 < self._attempts:
                time.sleep(self._pause_s)
        raise BalanceUnstable(
            "The weight did not settle: close the draft shield, keep the bench still and try again."
        )

    def immediate_weight(self) -> Weight:
        """The weight now (SI), stable or not: for display only, never recorded."""
        answer = self._ask(mtsics.IMMEDIATE)
        if isinstance(answer, WeightResponse):
            return Weight(answer.value, answer.unit, answer.stable)
        self._refuse(answer)

    def tare(self) -> Weight:
        """Tare (T, waits for stability on the balance): the tare taken is remembered."""
        for attempt in range(self._attempts):
            answer = self._ask(mtsics.TARE)
            if isinstance(answer, WeightResponse):
                self.tare_weight = Weight(answer.value, answer.unit)
                return self.tare_weight
            if not _unsettled(answer):
                self._refuse(answer)
            if attempt + 1 < self._attempts:
                time.sleep(self._pause_s)
        raise BalanceUnstable("The balance could not tare: the load did not settle.")

    def zero(self) -> None:
        answer = self._ask(mtsics.ZERO)
        if isinstance(answer, ConditionResponse) and answer.condition == "A":
            self.tare_weight = None
            return
        self._refuse(answer)

    def close(self) -> None:
        self._transport.close()

    def _ask(self, command: str) -> Response:
        self._transport.drain()
        self._transport.write_line(command)
        line = self._transport.read_line(self._timeout_s)
        try:
            answer = mtsics.parse_response(line)
        except mtsics.ProtocolError as exc:
            raise BalanceRefused(f"The balance answered something unexpected: {line!r}.") from exc
        if isinstance(answer, ErrorResponse):
            return answer
        # SI is answered with the S prefix (MT-SICS level 0)
        expected = mtsics.STABLE if command == mtsics.IMMEDIATE else command
        answered = getattr(answer, "command", mtsics.SERIAL)
        if isinstance(answer, SerialResponse) != (command == mtsics.SERIAL) or answered != expected:
            raise BalanceRefused(f"The balance answered {line!r} to {command}.")
        return answer

    def _refuse(self, answer: Response) -> NoReturn:
        if isinstance(answer, ConditionResponse) and answer.condition == "+":
            raise BalanceOverload("Too heavy for this balance (overload): take the load off.")
        if isinstance(answer, ConditionResponse) and answer.condition == "-":
            raise BalanceUnderload("The pan is underloaded: is the weighing pan in place?")
        if isinstance(answer, ErrorResponse):
            raise BalanceRefused(f"The balance refused: {answer.message}.")
        raise BalanceRefused(f"The balance could not do it ({answer}).")


def _unsettled(answer: Response) -> bool:
    """Busy (I) or a dynamic weight: worth asking again."""
    if isinstance(answer, ConditionResponse):
        return answer.condition == "I"
    return isinstance(answer, WeightResponse) and not answer.stable


def open_balance(
    url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S, attempts: int = 5, retry_pause_s: float = 0.2
) -> MtSicsBalance:
    """``tcp://HOST:PORT`` or ``serial:///dev/ttyUSB0?baud=9600`` (baud defaults to 9600)."""
    parts = urlsplit(url)
    if parts.scheme == "tcp" and parts.hostname and parts.port:
        transport: LineTransport = TcpTransport(
            parts.hostname, parts.port, connect_timeout_s=timeout_s
        )
    elif parts.scheme == "serial" and parts.path:
        baud = int(parse_qs(parts.query).get("baud", ["9600"])[0])
        transport = SerialTransport(parts.path, baud)
    else:
        raise BalanceUnavailable(
            f"{url!r} is not a balance address (tcp://host:port or serial:///dev/...)."
        )
    return MtSicsBalance(
        transport, timeout_s=timeout_s, attempts=attempts, retry_pause_s=retry_pause_s
    )
