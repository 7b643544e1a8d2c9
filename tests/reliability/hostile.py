"""Hostile strings for the fuzzers: SQL metacharacters, control characters, terminal escapes,
right-to-left overrides, Rich markup, lone surrogates (what undecodable wedge bytes become),
NUL, and a 1 MB string; plus hypothesis' own text over every Unicode category."""

from __future__ import annotations

from hypothesis import strategies as st

MEGABYTE = "W" * 1_000_000

FIXED = (
    "'; DROP TABLE workcell.item; --",
    "x' OR '1'='1",
    "\\'; SELECT pg_sleep(5); --",
    "$$ LANGUAGE sql $$",
    "%_\\%",
    "‮dlo‬ 10.0",  # right-to-left override
    "\u200f\u200e\u2067mixed\u2069",
    "\x1b[2J\x1b[31mCLEARED\x1b[0m",
    "\r\n\t\x07\x08",
    "[b]bold[/b] [link=file:///etc/passwd]x[/link] [red",
    "a\x00b",
    "\udcff\udcfe",  # invalid UTF-8 from a wedge, as surrogateescape gives it
    "\ufeff\ufffd",
    "🚀" * 40,
    MEGABYTE,
)


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(FIXED),
        st.text(st.characters(exclude_categories=()), min_size=1, max_size=80),
    )
