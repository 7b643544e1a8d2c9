"""Stored text made safe to draw: a terminal obeys control characters, so an escape sequence
or a bidi override in a remark typed (or scanned) on the floor could clear or reorder the
screen of whoever reads it later. Shown, not obeyed: C0/C1 controls become visible symbols,
bidi overrides and isolates their code point. The stored value is never changed."""

from __future__ import annotations

from textual.content import Content

_BIDI = {0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def _shown(ch: str) -> str:
    code = ord(ch)
    if ch in "\n":
        return ch
    if code < 0x20:
        return chr(0x2400 + code)  # ␛ for ESC, ␇ for BEL... (Unicode control pictures)
    if code == 0x7F:
        return "␡"
    if 0x80 <= code < 0xA0 or code in _BIDI or 0xD800 <= code < 0xE000:
        return f"<U+{code:04X}>"
    return ch


def printable(text: str) -> str:
    """``text`` with every character a terminal would obey replaced by a visible one."""
    if text.isprintable() and not any(ord(c) in _BIDI for c in text):
        return text
    return "".join(_shown(c) for c in text)


def literal_label(text: str) -> Content:
    """``text`` as a Button's or Checkbox's label, which have no ``markup=False``: drawn as
    written (a role, a reason preset or an item number stored as ``[b]x`` is never markup),
    with the characters a terminal would obey shown visibly."""
    return Content(printable(text))
