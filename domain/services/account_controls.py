"""Part 11 account controls: the periodic account review, dormant accounts disabled by a
signed decision, lost badges, and the periodic test of badge readers and cards (11.300(e)).

The rules are the database's (migration 0029, migrations/sql/accounts/); these functions
check what can be checked before anyone's PIN is asked, and shape the rows the CLI and the
admin screens show. The caller commits.

API (stable; the CLI and the admin screens call these):
  account_policy(uow) -> AccountPolicy
  review(uow) -> list[ReviewRow]                                    security.view
  disable_dormant(uow, usernames, reason, admin_creds, *, station) -> int   decision id
  report_badge_lost(uow, badge_id, reason) -> BadgeView             user.administer
  set_account_policy(uow, reason, admin_creds, *, station, dormant_after_days=None,
                     reader_test_interval_days=None) -> AccountPolicy
  record_reader_test(uow, station_name | None, reader, result, detail, tester_creds, *,
                     station) -> int
  reader_test_status(uow, *, overdue_only=False) -> list[ReaderStatus]      security.view
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, TextClause, text

from domain.errors import InvalidInput, translate
from domain.services.identity import Credentials, answer, refusals_recorded
from domain.services.identity_admin import BadgeView, badge_view, call
from domain.uow import UnitOfWork

RESULTS = ("pass", "fail")

_POLICY = text(
    "SELECT dormant_after_days, reader_test_interval_days FROM workcell.account_policy WHERE id = 1"
)
_REVIEW = text(
    "SELECT user_id, username, printed_name, status, roles, created_at, last_sign_in,"
    " last_activity, active_badges, revoked_badges, identity_verified, dormant,"
    " dormant_after_days FROM workcell.account_review()"
)
_STATUS = text(
    "SELECT station, site, zone, last_tested_at, last_result, last_passed_at, due_at,"
    " overdue, interval_days FROM workcell.reader_test_status()"
)


@dataclass(frozen=True)
class AccountPolicy:
    dormant_after_days: int
    reader_test_interval_days: int


@dataclass(frozen=True)
class ReviewRow:
    """One person in the account review."""

    user_id: int
    username: str
    printed_name: str
    status: str
    roles: tuple[str, ...]
    created_at: dt.datetime
    last_sign_in: dt.datetime | None
    last_activity: dt.datetime | None
    active_badges: int
    revoked_badges: int
    identity_verified: bool
    dormant: bool
    dormant_after_days: int


@dataclass(frozen=True)
class ReaderStatus:
    """A badge station's reader-test standing (never passed: overdue, no due date)."""

    station: str
    site: str
    zone: str
    last_tested_at: dt.datetime | None
    last_result: str | None
    last_passed_at: dt.datetime | None
    due_at: dt.datetime | None
    overdue: bool
    interval_days: int


def _execute(uow: UnitOfWork, stmt: TextClause) -> Sequence[Row[Any]]:
    try:
        return uow.session.execute(stmt).all()
    except Exception as exc:
        raise (translate(exc) or exc) from exc


def account_policy(uow: UnitOfWork) -> AccountPolicy:
    row = uow.session.execute(_POLICY).one()
    return AccountPolicy(int(row[0]), int(row[1]))


def review(uow: UnitOfWork) -> list[ReviewRow]:
    """Every person: roles, state, last sign-in and last use, badges, dormant or not."""
    return [
        ReviewRow(
            r.user_id,
            r.username,
            r.printed_name,
            r.status,
            tuple(r.roles.split(",")) if r.roles else (),
            r.created_at,
            r.last_sign_in,
            r.last_activity,
            r.active_badges,
            r.revoked_badges,
            r.identity_verified,
            r.dormant,
            r.dormant_after_days,
        )
        for r in _execute(uow, _REVIEW)
    ]


def disable_dormant(
    uow: UnitOfWork,
    usernames: Sequence[str],
    reason: str,
    admin_creds: Credentials,
    *,
    station: str,
) -> int:
    """Disable the listed dormant accounts as one decision signed by the administrator's
    fresh credentials. The database refuses the whole decision if any account is not
    dormant now (WC170). Returns the decision's id."""
    names = [n.strip().lower() for n in usernames if n.strip()]
    if not names:
        raise InvalidInput("List the dormant accounts to disable.")
    if len(set(names)) != len(names):
        raise InvalidInput("An account is listed twice.")
    if not reason.strip():
        raise InvalidInput("Give the reason for the decision (e.g. 'quarterly account review').")
    ans = answer(uow.session_factory, admin_creds, "sign")
    with refusals_recorded(uow.session_factory, ans, f"dormancy decision at {station}"):
        decision = call(
            uow,
            "SELECT workcell.disable_dormant_accounts(CAST(:names AS text[]), :reason, :c, :proof)",
            names=names,
            reason=reason.strip(),
            c=ans.challenge_id,
            proof=ans.proof,
        )
    return int(decision)


def report_badge_lost(uow: UnitOfWork, badge_id: int, reason: str) -> BadgeView:
    """Revoke a badge reported lost, everywhere at once: no sign-in or signature with it from
    the next statement on (outstanding prompts included), and the holder's badge sessions
    end at every station."""
    if not reason.strip():
        raise InvalidInput("Say who reported the badge lost, and when.")
    call(uow, "SELECT workcell.report_badge_lost(:b, :reason)", b=badge_id, reason=reason.strip())
    return badge_view(uow, badge_id)


def set_account_policy(
    uow: UnitOfWork,
    reason: str,
    admin_creds: Credentials,
    *,
    station: str,
    dormant_after_days: int | None = None,
    reader_test_interval_days: int | None = None,
) -> AccountPolicy:
    """Change the dormancy period and/or the reader-test interval (the database checks the
    ranges: 7-3650 and 1-730 days)."""
    if dormant_after_days is None and reader_test_interval_days is None:
        raise InvalidInput("Give the dormancy period or the reader-test interval to change.")
    if not reason.strip():
        raise InvalidInput("Give the reason for the change.")
    ans = answer(uow.session_factory, admin_creds, "sign")
    with refusals_recorded(uow.session_factory, ans, f"account policy change at {station}"):
        call(
            uow,
            "SELECT workcell.set_account_policy(:d, :r, :reason, :c, :proof)",
            d=dormant_after_days,
            r=reader_test_interval_days,
            reason=reason.strip(),
            c=ans.challenge_id,
            proof=ans.proof,
        )
    return account_policy(uow)


def record_reader_test(
    uow: UnitOfWork,
    station_name: str | None,
    reader: str,
    result: str,
    detail: str,
    tester_creds: Credentials,
    *,
    station: str,
) -> int:
    """Record one test of ``station_name``'s badge reader (None: this station's). A pass is
    the tester's own card tapped on that reader and their PIN, at that station; a failure
    says what happened and may be recorded from any terminal. Returns the test record's id."""
    if result not in RESULTS:
        raise InvalidInput("A reader test passes or fails.")
    if not reader.strip():
        raise InvalidInput("Name the reader tested.")
    if result == "fail" and not detail.strip():
        raise InvalidInput("Say what failed (e.g. 'card not read after three taps').")
    if result == "pass" and tester_creds.badge_uid is None:
        raise InvalidInput("A pass is a card read by the reader: tap your badge on it.")
    ans = answer(uow.session_factory, tester_creds, "sign")
    with refusals_recorded(uow.session_factory, ans, f"reader test at {station}"):
        test_id = call(
            uow,
            "SELECT workcell.record_reader_test(:st, :reader, :result, :detail, :c, :proof)",
            st=station_name,
            reader=reader.strip(),
            result=result,
            detail=detail.strip(),
            c=ans.challenge_id,
            proof=ans.proof,
        )
    return int(test_id)


def reader_test_status(uow: UnitOfWork, *, overdue_only: bool = False) -> list[ReaderStatus]:
    """Every enabled badge station's last test, last pass, due date and whether overdue."""
    rows = [
        ReaderStatus(
            r.station,
            r.site,
            r.zone,
            r.last_tested_at,
            r.last_result,
            r.last_passed_at,
            r.due_at,
            r.overdue,
            r.interval_days,
        )
        for r in _execute(uow, _STATUS)
    ]
    return [r for r in rows if r.overdue] if overdue_only else rows
