"""PC/SC card readers (contactless badges, smart cards) via pyscard's low-level API.

A monitor thread of our own waits in SCardGetStatusChange on every reader plus the PnP
pseudo-reader, so it sees cards come and go, readers plugged and unplugged, and pcscd dying
(pyscard's CardMonitor polls and hides a missing service). When the service goes away the
context is dropped and re-established every ``retry_interval`` seconds until pcscd is back.

A card identifies a person only by its serial number, read with the PC/SC contactless
command GET DATA UID (FF CA 00 00 00). A card that does not answer it is refused: an ATR
names a card model, never a card, so it is never used as an identity.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from hardware.events import (
    BadgePresented,
    CardRefused,
    CardRemoved,
    EventSink,
    HardwareEvent,
    ReaderStatus,
)

try:  # pyscard is an optional extra (it compiles against libpcsclite)
    from smartcard import scard as _scard
except Exception:  # ImportError, or OSError when libpcsclite is missing
    _scard = None

log = logging.getLogger(__name__)

PNP = "\\\\?PnP?\\Notification"
GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
NO_SERVICE_MESSAGE = "Smart-card service (pcscd) is not running. Badge taps are not read."
MONITOR_FAILED = "The badge reader stopped responding. Retrying; call IT if this stays."
NO_READER_MESSAGE = "No badge reader is connected. Plug in the reader or call IT."
UNREADABLE = "This card has no readable serial number and cannot be used as a badge."
READ_FAILED = "The card could not be read. Hold it still on the reader and try again."
READ_RETRIES = 3
READ_RETRY_DELAY = 0.15


def pcsc_available() -> bool:
    """True when pyscard (and libpcsclite) can be used on this machine."""
    return _scard is not None


def _u32(code: int) -> int:
    return code & 0xFFFFFFFF


class PcscReader:
    """CardReader on the PC/SC stack. ``reader_filter``: only readers whose name contains it."""

    def __init__(
        self,
        reader_filter: str | None = None,
        *,
        retry_interval: float = 0.5,
        wait_timeout_ms: int = 1000,
    ) -> None:
        if _scard is None:
            raise RuntimeError("pyscard is not installed: pip install 'workcell[smartcard]'")
        self.reader_filter = reader_filter
        self.retry_interval = retry_interval
        self.wait_timeout_ms = wait_timeout_ms
        self._sink: EventSink | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._context: Any = None
        self._available: bool | None = None  # last summary posted (None = nothing yet)
        self._readers: dict[str, tuple[bool, int]] = {}  # name -> (card present, counter)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, sink: EventSink) -> None:
        if self.running:
            raise RuntimeError("PcscReader already started")
        self._sink = sink
        self._stop.clear()
        self._available = None
        self._readers = {}
        self._thread = threading.Thread(target=self._run, name="pcsc-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        context = self._context
        if context is not None and _scard is not None:
            _scard.SCardCancel(context)  # wakes SCardGetStatusChange at once
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._sink = None

    # -- the monitor thread ----------------------------------------------------------------

    def _post(self, event: HardwareEvent) -> None:
        sink = self._sink
        if sink is None or self._stop.is_set():
            return
        try:
            sink(event)
        except Exception:  # a faulty sink must not end badge reading for the shift
            log.exception("card reader event sink failed on %r", event)

    def _summary(self, available: bool, message: str) -> None:
        if available != self._available:
            self._available = available
            self._post(ReaderStatus(None, available, message))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._session()
            except Exception:  # pyscard or driver surprises: report, wait, start over
                log.exception("PC/SC monitor failed; retrying")
                self._readers = {}
                self._summary(False, MONITOR_FAILED)
                self._stop.wait(self.retry_interval)

    def _session(self) -> None:
        """One connection to pcscd: establish, watch until it is lost, release."""
        assert _scard is not None
        context = self._establish()
        if context is None:
            self._summary(False, NO_SERVICE_MESSAGE)
            self._stop.wait(self.retry_interval)
            return
        self._context = context
        try:
            self._monitor(context)
        finally:
            self._context = None
            _scard.SCardReleaseContext(context)
        self._forget_readers()

    def _establish(self) -> Any:
        assert _scard is not None
        hresult, context = _scard.SCardEstablishContext(_scard.SCARD_SCOPE_USER)
        return context if hresult == _scard.SCARD_S_SUCCESS else None

    def _forget_readers(self) -> None:
        """The service went away: every reader and card is gone with it."""
        for name, (present, _) in self._readers.items():
            if present:
                self._post(CardRemoved(name))
        self._readers = {}
        if not self._stop.is_set():
            self._summary(False, NO_SERVICE_MESSAGE)

    def _monitor(self, context: Any) -> None:
        """Wait for changes until the service is lost or stop() is called."""
        assert _scard is not None
        pnp_state = 0
        states = self._refresh_readers(context)
        while not self._stop.is_set():
            request = [(name, state) for name, state in states] + [(PNP, pnp_state)]
            hresult, changed = _scard.SCardGetStatusChange(context, self.wait_timeout_ms, request)
            code = _u32(hresult)
            if code == _u32(_scard.SCARD_E_TIMEOUT):
                continue
            if code == _u32(_scard.SCARD_E_CANCELLED) or self._stop.is_set():
                return
            if code == _u32(_scard.SCARD_E_UNKNOWN_READER):
                states = self._refresh_readers(context)
                continue
            if code != _u32(_scard.SCARD_S_SUCCESS):
                return  # service stopped / invalid handle: reconnect from _run
            states, pnp_changed, pnp_state = self._apply(context, changed, pnp_state)
            if pnp_changed:
                states = self._refresh_readers(context)

    def _apply(
        self, context: Any, changed: Sequence[tuple[str, int, Any]], pnp_state: int
    ) -> tuple[list[tuple[str, int]], bool, int]:
        assert _scard is not None
        states: list[tuple[str, int]] = []
        pnp_changed = False
        for name, event_state, _atr in changed:
            current = event_state & ~_scard.SCARD_STATE_CHANGED
            if name == PNP:
                pnp_changed = bool(event_state & _scard.SCARD_STATE_CHANGED)
                pnp_state = current
                continue
            states.append((name, current))
            if event_state & _scard.SCARD_STATE_CHANGED:
                self._card_change(context, name, event_state)
        return states, pnp_changed, pnp_state

    def _card_change(self, context: Any, name: str, event_state: int) -> None:
        assert _scard is not None
        present = bool(event_state & _scard.SCARD_STATE_PRESENT)
        counter = (event_state >> 16) & 0xFFFF  # pcsc-lite: card events seen on this reader
        was_present, old_counter = self._readers.get(name, (False, counter))
        swapped = present and was_present and counter != old_counter
        self._readers[name] = (present, counter)
        if was_present and (not present or swapped):
            self._post(CardRemoved(name))
        if present and (not was_present or swapped):
            if event_state & _scard.SCARD_STATE_MUTE:
                self._post(CardRefused(name, READ_FAILED))
            else:
                self._post(self._identify(context, name))

    def _refresh_readers(self, context: Any) -> list[tuple[str, int]]:
        """List readers, announce added/removed ones, return fresh wait states."""
        assert _scard is not None
        hresult, names = _scard.SCardListReaders(context, [])
        if _u32(hresult) != _u32(_scard.SCARD_S_SUCCESS):
            names = []  # SCARD_E_NO_READERS_AVAILABLE, or the service is going away
        names = [n for n in names if not self.reader_filter or self.reader_filter in n]
        for gone in [n for n in self._readers if n not in names]:
            if self._readers.pop(gone)[0]:
                self._post(CardRemoved(gone))
            self._post(ReaderStatus(gone, False, f"Badge reader disconnected: {gone}"))
        for new in [n for n in names if n not in self._readers]:
            self._readers[new] = (False, 0)
            self._post(ReaderStatus(new, True, f"Badge reader connected: {new}"))
        if names:
            self._summary(True, "Badge reader ready.")
        else:
            self._summary(False, NO_READER_MESSAGE)
        # UNAWARE: the next wait returns at once with each reader's state, so a card
        # already lying on a reader is reported like a fresh tap.
        return [(n, _scard.SCARD_STATE_UNAWARE) for n in names]

    def _identify(self, context: Any, name: str) -> BadgePresented | CardRefused:
        # A failed exchange is often transient (card still settling, or swapped faster than
        # pcscd polls): retry a few times, re-powering the card, before refusing it.
        uid = read_uid(context, name)
        for _ in range(READ_RETRIES):
            if uid != "" or self._stop.wait(READ_RETRY_DELAY):
                break
            uid = read_uid(context, name)
        if uid is None:
            return CardRefused(name, UNREADABLE)
        if uid == "":
            return CardRefused(name, READ_FAILED)
        return BadgePresented(uid=uid, source=name)


def read_uid(context: Any, reader: str) -> str | None:
    """The card's UID as upper-case hex; None if the card has no UID to give, "" if the card
    could not be talked to (moved away, mute, swapped under pcscd)."""
    assert _scard is not None
    protocols = _scard.SCARD_PROTOCOL_T0 | _scard.SCARD_PROTOCOL_T1
    hresult, card, protocol = _scard.SCardConnect(
        context, reader, _scard.SCARD_SHARE_SHARED, protocols
    )
    if hresult != _scard.SCARD_S_SUCCESS:
        return ""
    disposition = _scard.SCARD_LEAVE_CARD
    try:
        uid = _transmit_get_uid(card, protocol)
        if uid == "":
            disposition = _scard.SCARD_RESET_CARD  # re-power it for the next attempt
        return uid
    finally:
        _scard.SCardDisconnect(card, disposition)


def _transmit_get_uid(card: Any, protocol: int) -> str | None:
    assert _scard is not None
    command = list(GET_UID)
    for _ in range(2):  # one retry when the card names the right length (6C xx)
        hresult, response = _scard.SCardTransmit(card, protocol, command)
        if hresult != _scard.SCARD_S_SUCCESS or len(response) < 2:
            return ""
        data = bytes(response[:-2])
        sw1, sw2 = int(response[-2]), int(response[-1])
        if sw1 == 0x6C:
            command[4] = sw2
            continue
        if (sw1, sw2) == (0x90, 0x00) and data:
            return data.hex().upper()
        return None
    return None
