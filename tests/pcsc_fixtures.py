"""Real PC/SC stack for tests: our own pcscd with the vpcd virtual readers, virtual cards.

Registered from tests/conftest.py (``pytest_plugins``). Fixtures:

- ``pcscd`` (session): a running pcscd with "Virtual PCD 00 00"/"00 01". Started here in the
  foreground (stopped at the end) unless one is already running, which is then used as is.
- ``owned_pcscd``: the same, but only if the tests started it (restart/kill tests need that).
- ``virtual_card``: factory ``virtual_card(uid_hex | None, slot=0)`` → an inserted
  VirtualCard; every card is removed at teardown. ``None`` = a card without GET DATA UID.
- ``pcsc_events``: a started ``PcscReader`` on slot 0 feeding an EventRecorder.

Without pcscd, the vpcd driver or pyscard these tests skip with the reason; with
WORKCELL_REQUIRE_PCSC=1 (CI) they fail instead. Mark every test that uses them
``pytest.mark.pcsc`` and ``pytest.mark.xdist_group("pcsc")``: there is one pcscd per machine.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from hardware.events import HardwareEvent
from tests.hardware.vpcd_card import READER_NAMES, VirtualCard

RUN_DIR = Path("/run/pcscd")
VPCD_CONF = """FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x8C7B
LIBPATH      {lib}
CHANNELID    0x8C7B
"""
READER = READER_NAMES[0]
PCSC_MARKS = [pytest.mark.pcsc, pytest.mark.xdist_group("pcsc")]


def pcsc_unavailable(reason: str) -> NoReturn:
    """Skip, or fail when the environment demands the real stack (CI)."""
    if os.environ.get("WORKCELL_REQUIRE_PCSC") == "1":
        pytest.fail(f"{reason} (WORKCELL_REQUIRE_PCSC=1: smart-card tests must run)")
    pytest.skip(reason)


def vpcd_driver() -> str | None:
    patterns = [
        f"{base}/pcsc/drivers/serial/libifdvpcd.so*"
        for base in ("/usr/lib", "/usr/lib/*", "/usr/local/lib")
    ]
    found = sorted(p for pattern in patterns for p in glob.glob(pattern))
    return found[0] if found else None


def running_pcscd_pid() -> int | None:
    """The pid of a live pcscd according to its pid file, else None."""
    try:
        pid = int((RUN_DIR / "pcscd.pid").read_text().strip("\0\n "))
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except (OSError, ValueError):
        return None
    return pid if comm == "pcscd" else None


class PcscDaemon:
    """pcscd run by the tests (``owned``), or a foreign one that is only used."""

    def __init__(self, workdir: Path, driver: str) -> None:
        self.workdir = workdir
        self.config = workdir / "reader.conf.d"
        self.empty_config = workdir / "no-readers.conf.d"
        self.config.mkdir(exist_ok=True)
        self.empty_config.mkdir(exist_ok=True)
        (self.config / "vpcd").write_text(VPCD_CONF.format(lib=driver))
        self.process: subprocess.Popen[bytes] | None = None
        self.owned = False

    def start(self, *, readers: bool = True, timeout: float = 10.0) -> None:
        clean_stale_files()
        config = self.config if readers else self.empty_config
        with (self.workdir / "pcscd.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["pcscd", "--foreground", "--config", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
        self.owned = True
        wait_for_service(timeout, self.process)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        clean_stale_files()

    def kill9(self) -> None:
        """Crash pcscd: its pid and socket files stay behind, as after a real crash."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def restart(self, *, readers: bool = True) -> None:
        self.stop()
        self.start(readers=readers)


def _die_with_parent() -> None:
    """Our pcscd gets SIGTERM if pytest dies (kill -9, CI timeout): no daemon left behind
    to block the next run."""
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def clean_stale_files() -> None:
    """After kill -9 the pid and socket files stay and block the next start."""
    if running_pcscd_pid() is not None:
        return
    for name in ("pcscd.pid", "pcscd.comm"):
        with contextlib.suppress(FileNotFoundError):
            (RUN_DIR / name).unlink()


def wait_for_service(timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    from smartcard import scard

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"pcscd exited with {process.returncode}")
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult == scard.SCARD_S_SUCCESS:
            scard.SCardReleaseContext(context)
            return
        time.sleep(0.05)
    raise RuntimeError("pcscd did not answer in time")


class EventRecorder:
    """Thread-safe sink that lets a test wait for a matching event."""

    def __init__(self) -> None:
        self.events: list[HardwareEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: HardwareEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(
        self, match: Callable[[HardwareEvent], bool], timeout: float = 3.0, *, start: int = 0
    ) -> HardwareEvent:
        """The first event from index ``start`` on that matches; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events[start:]:
                    if match(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no matching event within {timeout}s; got {self.events}")
                self._cond.wait(left)

    def mark(self) -> int:
        with self._cond:
            return len(self.events)


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscDaemon]:
    if shutil.which("pcscd") is None:
        pcsc_unavailable("pcscd is not installed (apt-get install pcscd)")
    from hardware.pcsc import pcsc_available

    if not pcsc_available():
        pcsc_unavailable("pyscard is not installed (pip install -e '.[smartcard]')")
    driver = vpcd_driver()
    if driver is None:
        pcsc_unavailable("the vpcd driver is not installed (apt-get install vsmartcard-vpcd)")
    daemon = PcscDaemon(tmp_path_factory.mktemp("pcscd"), driver)
    if running_pcscd_pid() is None:
        daemon.start()
    else:
        wait_for_service(10)
    try:
        yield daemon
    finally:
        if daemon.owned:
            daemon.stop()


@pytest.fixture
def owned_pcscd(pcscd: PcscDaemon) -> Iterator[PcscDaemon]:
    """A pcscd this test may kill and restart; it is left running normally afterwards."""
    if not pcscd.owned:
        pcsc_unavailable("a pcscd not started by the tests is running; stop it to run this test")
    try:
        yield pcscd
    finally:
        if pcscd.process is None or pcscd.process.poll() is not None or pcscd_needs_readers():
            pcscd.restart(readers=True)


def pcscd_needs_readers() -> bool:
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return True
    try:
        hresult, names = scard.SCardListReaders(context, [])
        return hresult != scard.SCARD_S_SUCCESS or READER not in names
    finally:
        scard.SCardReleaseContext(context)


@pytest.fixture
def virtual_card(pcscd: PcscDaemon) -> Iterator[Callable[..., VirtualCard]]:
    cards: list[VirtualCard] = []

    def make(uid_hex: str | None, slot: int = 0, **kwargs: Any) -> VirtualCard:
        card = VirtualCard(bytes.fromhex(uid_hex) if uid_hex else None, slot=slot, **kwargs)
        card.insert()
        cards.append(card)
        return card

    yield make
    for card in cards:
        card.remove()
    for slot in {card.reader for card in cards}:
        wait_reader_empty(slot)


def wait_reader_empty(reader: str, timeout: float = 3.0) -> None:
    """Wait until pcscd has noticed the card left (it polls vpcd), so that the next test's
    card is a new insertion and not a reconnection pcscd never saw."""
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return  # pcscd is down (a restart test): no card can be present
    try:
        deadline = time.monotonic() + timeout
        state = scard.SCARD_STATE_UNAWARE
        while time.monotonic() < deadline:
            hresult, states = scard.SCardGetStatusChange(context, 200, [(reader, state)])
            if hresult == scard.SCARD_S_SUCCESS:
                state = states[0][1] & ~scard.SCARD_STATE_CHANGED
                if state & scard.SCARD_STATE_EMPTY:
                    return
            elif hresult != scard.SCARD_E_TIMEOUT:
                return
    finally:
        scard.SCardReleaseContext(context)


@pytest.fixture
def pcsc_events(pcscd: PcscDaemon) -> Iterator[EventRecorder]:
    """A PcscReader watching "Virtual PCD 00 00", its events recorded."""
    from hardware.pcsc import PcscReader

    recorder = EventRecorder()
    reader = PcscReader(READER, retry_interval=0.2)
    reader.start(recorder)
    try:
        yield recorder
    finally:
        reader.stop()
