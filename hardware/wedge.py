"""Keyboard-wedge decoder: tells badge and barcode scans from typing, as a pure state machine.

Badge readers and scanners configured as keyboards "type" their data. Over SSH key timing is
unreliable, so the default is framing: the device sends ``prefix`` (STX, ctrl+b) before and
``suffix`` (Enter) after the data. A badge reader may send its own ``badge_prefix`` instead;
otherwise a frame whose content has a UID shape (``badge_pattern``) is a badge. Timing
(``use_timing``) is a fallback for devices that cannot be programmed: a burst of keys each
within ``max_interkey_ms`` ending with the suffix is a scan. A terminal delivers GS (ASCII
29, FNC1 in GS1 data) as ctrl+], which scanners often cannot send through a keyboard layout,
so a substitute character (``gs_substitute``) is turned back into GS inside barcode data.

No clock is read here: every call carries ``at`` (seconds, monotonic), so tests are exact.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from hardware.events import (
    KEYBOARD,
    BadgePresented,
    BarcodeScanned,
    Passthrough,
    ScanAborted,
    WedgeOutput,
)

GS = "\x1d"

# Textual names for keys that are characters but do not arrive as one (terminal control codes
# and Textual's friendly names for punctuation are handled generically below).
_NAMED_CHARS = {
    "enter": "\r",
    "tab": "\t",
    "space": " ",
    "ctrl+right_square_bracket": GS,
    "ctrl+left_square_bracket": "\x1b",
    "ctrl+backslash": "\x1c",
    "ctrl+circumflex_accent": "\x1e",
    "ctrl+underscore": "\x1f",
}
_FRIENDLY = {
    "slash": "solidus",
    "backslash": "reverse solidus",
    "at": "commercial at",
    "minus": "hyphen-minus",
    "plus": "plus sign",
    "underscore": "low line",
    "less_than_sign": "less-than sign",
    "greater_than_sign": "greater-than sign",
}


def key_to_char(key: str) -> str | None:
    """The character a key stands for, or None for keys that are not characters (F1, up)."""
    if len(key) == 1:
        return key
    if key in _NAMED_CHARS:
        return _NAMED_CHARS[key]
    if key.startswith("ctrl+") and len(key) == 6 and key[5].isalpha():
        return chr(ord(key[5].lower()) - 96)  # ctrl+a = SOH (1) ... ctrl+z = SUB (26)
    if "+" in key:
        return None
    name = _FRIENDLY.get(key, key).replace("_", " ").upper()
    for candidate in (name, name.replace(" ", "-")):
        try:
            char = unicodedata.lookup(candidate)
        except KeyError:
            continue
        # Only printable characters: "escape", "backspace"... are editing keys, not data.
        return char if char.isprintable() else None
    return None


_KEY_FOR_CHAR = {char: key for key, char in _NAMED_CHARS.items()}
_UNFRIENDLY = {v.upper(): k for k, v in _FRIENDLY.items()}


def char_to_key(char: str) -> str:
    """Textual's key name for a character (inverse of ``key_to_char``), e.g. for Pilot."""
    if char in _KEY_FOR_CHAR:
        return _KEY_FOR_CHAR[char]
    if char.isalnum():
        return char
    if 1 <= ord(char) <= 26:
        return "ctrl+" + chr(ord(char) + 96)
    name = unicodedata.name(char, "")
    if not name:
        return char
    name = _UNFRIENDLY.get(name, name)
    return name.lower().replace("-", "_").replace(" ", "_")


@dataclass(frozen=True)
class WedgeConfig:
    """How the station's wedge devices are programmed (see docs/hardware.md)."""

    prefix: str = "\x02"  # frame opener for scanners (and badge readers without their own)
    suffix: str = "\r"  # frame end (Enter)
    badge_prefix: str = ""  # frame opener programmed into badge readers only ("" = none)
    # A frame (not opened by badge_prefix) whose whole content matches this is a badge:
    # 4-, 7- or 10-byte UIDs as hex. "" disables. Scanners should send AIM symbology ids
    # (]C1, ]d2...) so that a number is never mistaken for a badge.
    badge_pattern: str = r"(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{14}|[0-9A-Fa-f]{20})"
    gs_substitute: str = "~"  # sent by the scanner for GS; "" = scanner sends GS itself
    use_timing: bool = False  # also detect unframed fast bursts ending with the suffix
    max_interkey_ms: int = 30
    min_length: int = 4  # shortest unframed burst taken as a scan
    frame_timeout_ms: int = 1000  # a frame silent this long is aborted
    prefix_timeout_ms: int = 200  # a half-matched multi-character prefix is released after
    max_length: int = 512
    source: str = KEYBOARD
    _badge_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.suffix:
            raise ValueError("the wedge suffix must not be empty (programme Enter)")
        if not (self.prefix or self.badge_prefix or self.use_timing):
            raise ValueError("set a prefix, a badge prefix or use_timing; nothing would scan")
        if self.prefix and self.prefix == self.badge_prefix:
            raise ValueError("badge_prefix must differ from the scanner prefix")
        pattern = re.compile(self.badge_pattern) if self.badge_pattern else None
        object.__setattr__(self, "_badge_re", pattern)

    def classify(
        self, data: str, *, badge: bool = False
    ) -> BadgePresented | BarcodeScanned | ScanAborted:
        """Decide what a completed frame was. Also usable for a scan typed into a field."""
        looks_like_barcode = data[:1] in ("]", "(") or GS in data
        if badge or (
            not looks_like_barcode and self._badge_re and self._badge_re.fullmatch(data.strip())
        ):
            uid = data.replace(" ", "").replace(":", "").upper()
            if not uid or not uid.isprintable():
                return ScanAborted(partial=data, reason="the badge reader sent no usable number")
            return BadgePresented(uid=uid, source=self.source)
        if self.gs_substitute:
            data = data.replace(self.gs_substitute, GS)
        return BarcodeScanned(data=data, source=self.source)


@dataclass
class _Frame:
    badge: bool
    last_at: float
    chars: list[str] = field(default_factory=list)


class Wedge:
    """The decoder. One per station; feed it every key while a screen accepts scans."""

    def __init__(self, config: WedgeConfig | None = None) -> None:
        self.config = config or WedgeConfig()
        self._frame: _Frame | None = None
        self._pending: list[tuple[str, str]] = []  # (key, char) half-matching a prefix
        self._pending_at = 0.0
        self._burst: list[tuple[str, str]] = []  # timing mode: (key, char) held back
        self._burst_at = 0.0
        self._openers = [(p, p == self.config.badge_prefix) for p in self._prefixes()]

    def _prefixes(self) -> list[str]:
        return [p for p in (self.config.prefix, self.config.badge_prefix) if p]

    @property
    def busy(self) -> bool:
        """True while keys are held back (inside a frame, a prefix or a burst)."""
        return bool(self._frame or self._pending or self._burst)

    @property
    def next_deadline(self) -> float | None:
        """When ``poll`` should next be called, or None if nothing is held."""
        c = self.config
        if self._frame:
            return self._frame.last_at + c.frame_timeout_ms / 1000
        if self._pending:
            return self._pending_at + c.prefix_timeout_ms / 1000
        if self._burst:
            return self._burst_at + c.max_interkey_ms / 1000
        return None

    def poll(self, at: float) -> list[WedgeOutput]:
        """Release held keys and abort frames whose time is up."""
        c = self.config
        out: list[WedgeOutput] = []
        if self._frame and at - self._frame.last_at > c.frame_timeout_ms / 1000:
            out += self._abort("the scan stopped before its end")
        if self._pending and at - self._pending_at > c.prefix_timeout_ms / 1000:
            out += self._release_pending()
        if self._burst and at - self._burst_at > c.max_interkey_ms / 1000:
            out += self._release_burst()
        return out

    def reset(self) -> list[WedgeOutput]:
        """Give back everything held (e.g. when the screen changes)."""
        return self._abort("interrupted") + self._release_pending() + self._release_burst()

    def feed(self, key: str, at: float) -> list[WedgeOutput]:
        out = self.poll(at)
        char = key_to_char(key)
        if char is None:  # F-keys, arrows...: never part of a scan
            out += self.reset()
            out.append(Passthrough(key))
            return out
        if self._frame:
            return out + self._in_frame(key, char, at)
        return out + self._outside_frame(key, char, at)

    # -- framing ---------------------------------------------------------------------------

    def _in_frame(self, key: str, char: str, at: float) -> list[WedgeOutput]:
        frame = self._frame
        assert frame is not None
        out: list[WedgeOutput] = []
        opener = next((p for p, _ in self._openers if p == char), None)
        if opener is not None:  # a new frame starts: the previous one was cut short
            badge = opener == self.config.badge_prefix
            out += self._abort("a new scan started before the previous one ended")
            self._frame = _Frame(badge=badge, last_at=at)
            return out
        frame.chars.append(char)
        frame.last_at = at
        content = "".join(frame.chars)
        suffix = self.config.suffix
        if content.endswith(suffix):
            self._frame = None
            data = content[: -len(suffix)]
            if not data:
                return [ScanAborted(partial="", reason="the scan was empty")]
            return [self.config.classify(data, badge=frame.badge)]
        if len(content) > self.config.max_length:
            return self._abort("the scan was too long")
        return out

    def _outside_frame(self, key: str, char: str, at: float) -> list[WedgeOutput]:
        held = "".join(c for _, c in self._pending) + char
        for opener, badge in self._openers:
            if held == opener:
                self._pending = []
                out = self._release_burst()
                self._frame = _Frame(badge=badge, last_at=at)
                return out
        if any(opener.startswith(held) for opener, _ in self._openers):
            self._pending.append((key, char))
            self._pending_at = at
            return []
        if self._pending:  # the held keys did not make a prefix: they were typing
            out = self._release_pending()
            return out + self._outside_frame(key, char, at)
        if self.config.use_timing:
            return self._timed(key, char, at)
        return [Passthrough(key)]

    def _abort(self, reason: str) -> list[WedgeOutput]:
        if not self._frame:
            return []
        partial = "".join(self._frame.chars)
        self._frame = None
        return [ScanAborted(partial=partial, reason=reason)]

    def _release_pending(self) -> list[WedgeOutput]:
        held, self._pending = self._pending, []
        if self.config.use_timing:
            out: list[WedgeOutput] = []
            for key, char in held:
                out += self._timed(key, char, self._pending_at)
            return out
        return [Passthrough(key) for key, _ in held]

    # -- timing fallback -------------------------------------------------------------------

    def _timed(self, key: str, char: str, at: float) -> list[WedgeOutput]:
        c = self.config
        out: list[WedgeOutput] = []
        if self._burst and at - self._burst_at > c.max_interkey_ms / 1000:
            out += self._release_burst()
        content = "".join(ch for _, ch in self._burst) + char
        if content.endswith(c.suffix):
            data = content[: -len(c.suffix)]
            if self._burst and len(data) >= c.min_length:
                self._burst = []
                return [*out, c.classify(data)]
            self._burst.append((key, char))
            return out + self._release_burst()
        self._burst.append((key, char))
        self._burst_at = at
        if len(self._burst) > c.max_length:
            out += self._release_burst()
        return out

    def _release_burst(self) -> list[WedgeOutput]:
        held, self._burst = self._burst, []
        return [Passthrough(key) for key, _ in held]
