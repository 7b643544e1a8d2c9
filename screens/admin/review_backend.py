"""What the account-review screen receives and asks (kiosk/review_backend.py implements it).

Every method may block (database, argon2): the screen calls them from thread workers only.
The dormancy decision is a `Confirmation` the re-authentication dialog drives: nothing is
disabled without the administrator's badge/card + PIN, checked by the database itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from screens.backend import ActionDone, Confirmation, Proof


@dataclass(frozen=True)
class ReviewRow:
    username: str
    printed_name: str
    status: str
    roles: tuple[str, ...]
    last_sign_in: dt.datetime | None
    last_activity: dt.datetime | None
    active_badges: int
    dormant: bool


@dataclass(frozen=True)
class Review:
    people: tuple[ReviewRow, ...]
    dormant_after_days: int


@dataclass(frozen=True)
class ReaderRow:
    station: str
    place: str
    last_tested_at: dt.datetime | None
    last_result: str | None
    last_passed_at: dt.datetime | None
    due_at: dt.datetime | None
    overdue: bool


@dataclass(frozen=True)
class Readers:
    stations: tuple[ReaderRow, ...]
    interval_days: int


class ReaderCheck(Confirmation, Protocol):
    """A pending test of this station's badge reader: the tester's badge read by it (the
    reader's name comes with the read) and their PIN record a pass."""

    def confirm_read(self, proof: Proof, reader: str) -> ActionDone: ...


class AccountReviewBackend(Protocol):
    def review(self, actor: str) -> Review: ...

    def readers(self, actor: str) -> Readers: ...

    def dormancy_decision(
        self, actor: str, usernames: Sequence[str], reason: str
    ) -> Confirmation: ...

    def reader_test(self, actor: str) -> ReaderCheck: ...
