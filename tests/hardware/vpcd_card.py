"""A virtual contactless card for pcscd's vpcd driver (Debian package vsmartcard-vpcd).

vpcd listens on TCP 35963 ("Virtual PCD 00 00") and 35964 ("Virtual PCD 00 01"); a card is
"inserted" by connecting to that port and "removed" by closing the connection. Framing is a
2-byte big-endian length and a payload. One-byte payloads are control messages (0x00 power
off, 0x01 power on, 0x02 reset, 0x04 get ATR — only the last one is answered, with the ATR);
anything longer is a command APDU, answered with a response APDU.

This card answers the PC/SC contactless GET DATA UID command (FF CA 00 00 Le) with its UID
and 90 00, or with 6A 81 (function not supported) when created with ``uid=None``.
Debian's own ``vicc`` cannot be used: wrong path, crashes on GET DATA UID, fixed ATR.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time

PORTS = {0: 35963, 1: 35964}
READER_NAMES = {0: "Virtual PCD 00 00", 1: "Virtual PCD 00 01"}
# PC/SC part 3 ATR of a contactless storage card (MIFARE Classic 1K): what a real
# reader reports for many badge types. It names the card model only.
MIFARE_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
SW_OK = b"\x90\x00"
SW_NOT_SUPPORTED = b"\x6a\x81"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"


class VirtualCard:
    """A card on virtual reader ``slot`` (0 or 1). ``insert()``/``remove()``; a context manager."""

    def __init__(
        self,
        uid: bytes | None,
        *,
        slot: int = 0,
        host: str = "127.0.0.1",
        atr: bytes = MIFARE_ATR,
    ) -> None:
        self.uid = uid
        self.port = PORTS[slot]
        self.reader = READER_NAMES[slot]
        self.host = host
        self.atr = atr
        self.apdus: list[bytes] = []  # commands received, for assertions
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> VirtualCard:
        self.insert()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def insert(self, timeout: float = 10.0) -> None:
        """Connect to vpcd (retrying while pcscd starts up) and serve commands."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _quickack(sock)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()

    def remove(self) -> None:
        """Take the card away: close the connection."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def inserted(self) -> bool:
        return self._sock is not None

    def answer(self, apdu: bytes) -> bytes:
        """The card's response to one command APDU."""
        if apdu[:2] == b"\xff\xca" and apdu[2:4] == b"\x00\x00":
            if self.uid is None:
                return SW_NOT_SUPPORTED
            return self.uid + SW_OK
        return SW_INS_NOT_SUPPORTED

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                header = _recv_exact(sock, 2)
                if header is None:
                    return
                (length,) = struct.unpack(">H", header)
                payload = _recv_exact(sock, length)
                if payload is None:
                    return
                reply = self._handle(payload)
                if reply is not None:
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            return

    def _handle(self, payload: bytes) -> bytes | None:
        if len(payload) == 1:
            return self.atr if payload[0] == 0x04 else None  # 0 off, 1 on, 2 reset: no answer
        self.apdus.append(payload)
        return self.answer(payload)


def _quickack(sock: socket.socket) -> None:
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        # Linux drops QUICKACK after a while: re-arm it before every read, or vpcd's
        # two-part writes wait for our delayed ACK (~46 ms per command instead of 0.1 ms).
        _quickack(sock)
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data
