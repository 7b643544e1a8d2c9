"""Anchor files: parsing, refusal of malformed lines, and reading the newest anchor."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.audit.anchors import append_anchor, last_anchor, parse_anchors, read_anchors
from domain.audit.bundle import GENESIS, link_hash, sha256_hex
from domain.errors import InvalidInput

HASH = "a" * 64


def test_parse_skips_comments_and_keeps_the_source_line() -> None:
    """Comments and blank lines are ignored; each anchor remembers where it came from."""
    anchors = parse_anchors(f"# heads\n\n12 {HASH} 2026-11-26T08:00:00+00:00 line1\n", "f")
    assert [(a.position, a.chain_hash, a.source) for a in anchors] == [(12, HASH, "f:3")]


@pytest.mark.parametrize("line", ["12", f"x {HASH}", "12 abc", f"-1 {HASH}", f"12 {HASH.upper()}"])
def test_malformed_anchor_line_is_refused(line: str) -> None:
    """A line that is not an anchor is an error, never silently skipped."""
    with pytest.raises(InvalidInput):
        parse_anchors(line, "f")


def test_append_and_read_back(tmp_path: Path) -> None:
    """Appended anchors read back in order; the newest is found from the file's tail."""
    path = tmp_path / "sub" / "anchors.log"
    assert read_anchors(path) == [] and last_anchor(path) is None
    now = datetime.now(UTC)
    for position in range(1, 400):
        append_anchor(path, position, HASH, now, "st1")
    assert len(read_anchors(path)) == 399
    newest = last_anchor(path)
    assert newest is not None and newest.position == 399


def test_torn_last_line_does_not_hide_the_newest_good_anchor(tmp_path: Path) -> None:
    """A crash mid-write leaves a partial line; the anchor before it is still found."""
    path = tmp_path / "anchors.log"
    append_anchor(path, 7, HASH, datetime.now(UTC), "st1")
    with path.open("a") as fh:
        fh.write("8 abcd")
    newest = last_anchor(path)
    assert newest is not None and newest.position == 7


def test_link_hash_recipe() -> None:
    """The documented link recipe: SHA-256 of "<prev>:<position>:<entry hash>" in hex."""
    assert link_hash(GENESIS, 1, HASH) == sha256_hex(f"{GENESIS}:1:{HASH}")
    assert link_hash(GENESIS, 1, HASH) != link_hash(GENESIS, 2, HASH)


def test_anchor_lines_name_their_installation(tmp_path):
    """The fifth field names the installation; the newest anchor of one installation is found
    past another's; a line without one belongs to every installation (written before 0008)."""
    from datetime import UTC, datetime

    path = tmp_path / "anchors"
    at = datetime(2026, 12, 1, tzinfo=UTC)
    append_anchor(path, 5, HASH, at, "line1", "inst-a")
    append_anchor(path, 9, HASH, at, "", "inst-b")
    (anchor_a, anchor_b) = read_anchors(path)
    assert (anchor_a.installation, anchor_b.installation) == ("inst-a", "inst-b")
    found_a, newest = last_anchor(path, "inst-a"), last_anchor(path)
    assert found_a is not None and (found_a.position, found_a.installation) == (5, "inst-a")
    assert newest is not None and (newest.position, newest.installation) == (9, "inst-b")
    legacy = parse_anchors(f"3 {HASH} 2026-11-26T08:00:00+00:00 line1\n", "f")[0]
    assert legacy.belongs_to("inst-a") and legacy.belongs_to("inst-b")
    assert not anchor_a.belongs_to("inst-b")
