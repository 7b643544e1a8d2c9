"""The station's implementation of the account-review screen's backend
(screens/admin/review_backend.py) on domain/services/account_controls.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from domain.services import account_controls
from kiosk.backend import credentials
from kiosk.sessions import SessionBook
from screens.admin.review_backend import ReaderRow, Readers, Review, ReviewRow
from screens.backend import ActionDone, ActionToConfirm, Proof

_NOW = select(func.now())


class ReviewStationBackend:
    """Reads the review and the reader-test status, and drives the dormancy decision, in
    the signed-in person's session."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        station: str,
        sessions: SessionBook | None = None,
    ) -> None:
        self.station = station
        self.sessions = sessions or SessionBook(session_factory)

    def review(self, actor: str) -> Review:
        with self.sessions.uow(actor) as uow:
            rows = account_controls.review(uow)
            days = account_controls.account_policy(uow).dormant_after_days
        people = tuple(
            ReviewRow(r.username, r.printed_name, r.status, r.roles, r.last_sign_in,
                      r.last_activity, r.active_badges, r.dormant)
            for r in rows
        )  # fmt: skip
        return Review(people, days)

    def readers(self, actor: str) -> Readers:
        with self.sessions.uow(actor) as uow:
            rows = account_controls.reader_test_status(uow)
            days = account_controls.account_policy(uow).reader_test_interval_days
        stations = tuple(
            ReaderRow(r.station, " / ".join(p for p in (r.site, r.zone) if p), r.last_tested_at,
                      r.last_result, r.last_passed_at, r.due_at, r.overdue)
            for r in rows
        )  # fmt: skip
        return Readers(stations, days)

    def dormancy_decision(
        self, actor: str, usernames: Sequence[str], reason: str
    ) -> DormancyDecision:
        return DormancyDecision(self, actor, tuple(usernames), reason)

    def reader_test(self, actor: str) -> ReaderTest:
        return ReaderTest(self, actor)


@dataclass(frozen=True)
class DormancyDecision:
    """Disable the listed dormant accounts (a `Confirmation`): the administrator's proof goes
    to the database with the decision (workcell.disable_dormant_accounts checks it)."""

    backend: ReviewStationBackend
    actor: str
    usernames: tuple[str, ...]
    reason: str

    @property
    def meaning(self) -> str:
        return "disable dormant accounts"

    def describe(self) -> ActionToConfirm:
        shown = ", ".join(self.usernames[:12]) + (" …" if len(self.usernames) > 12 else "")
        return ActionToConfirm(
            "Disable dormant accounts",
            (
                f"Accounts ({len(self.usernames)}): {shown}",
                f"Reason: {self.reason}",
                "They cannot sign in or sign again; a disabled account is never re-enabled.",
            ),
        )

    def confirm(self, proof: Proof) -> ActionDone:
        b = self.backend
        with b.sessions.uow(self.actor, self.reason) as uow:
            decision = account_controls.disable_dormant(
                uow, self.usernames, self.reason, credentials(proof), station=b.station
            )
            now = uow.session.scalar(_NOW)
            uow.commit()
        who = b.sessions.require(self.actor)
        done = f"Decision {decision}: {len(self.usernames)} dormant account(s) disabled."
        return ActionDone(who.printed_name, who.username, done, now or dt.datetime.now(dt.UTC))


@dataclass(frozen=True)
class ReaderTest:
    """A pass of this station's reader (a `ReaderCheck`): the tester's badge as this
    station's reader read it, and their PIN; the database checks that the card was read
    here and is theirs (workcell.record_reader_test)."""

    backend: ReviewStationBackend
    actor: str

    @property
    def meaning(self) -> str:
        return "reader test"

    def describe(self) -> ActionToConfirm:
        return ActionToConfirm(
            "Test this station's badge reader",
            (
                f"Station: {self.backend.station}",
                "Tap your own badge on this station's reader, then enter your PIN.",
                "A pass is recorded with the reader, the card, you and the time.",
            ),
        )

    def confirm(self, proof: Proof) -> ActionDone:
        return self.confirm_read(proof, "")

    def confirm_read(self, proof: Proof, reader: str) -> ActionDone:
        b = self.backend
        with b.sessions.uow(self.actor, "reader test") as uow:
            test_id = account_controls.record_reader_test(
                uow, None, reader or "unnamed reader", "pass", "", credentials(proof),
                station=b.station,
            )  # fmt: skip
            now = uow.session.scalar(_NOW)
            uow.commit()
        who = b.sessions.require(self.actor)
        done = f"Reader test {test_id}: {reader or 'the reader'} passed."
        return ActionDone(who.printed_name, who.username, done, now or dt.datetime.now(dt.UTC))
