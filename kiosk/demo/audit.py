"""Seal the demo data's audit trail and anchor its head, so `workcell audit verify` is green
right after `workcell db seed-demo` (a running kiosk's sealer would do it within a second)."""

from __future__ import annotations

from collections.abc import Iterator

from domain.audit.anchors import append_anchor, last_anchor
from domain.audit.seal import seal
from kiosk.bootstrap import Services


def seed(services: Services) -> Iterator[str]:
    result = seal(services.engine)
    anchor = last_anchor(services.settings.anchor_file, result.installation)
    if result.head_position and (anchor is None or anchor.position != result.head_position):
        append_anchor(
            services.settings.anchor_file,
            result.head_position,
            result.head_hash,
            result.at,
            services.settings.name,
            result.installation,
            result.epoch,
        )
    if result.sealed:  # idempotent like the other seeders: nothing new, nothing said
        yield f"audit trail sealed to position {result.head_position}"
