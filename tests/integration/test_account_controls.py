"""Account controls end to end (domain services and `workcell user|station ...`): the account
review, dormant accounts disabled by a signed decision, lost badges, the account policy and
the reader tests with their overdue report (migration 0029; docs/admin.md)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import (
    AuthenticationFailed,
    BadgeRevoked,
    InvalidInput,
    PermissionDenied,
    RuleViolation,
    WorkCellError,
)
from domain.services import account_controls, identity, identity_admin
from domain.services.identity import Credentials
from domain.uow import UnitOfWork
from kiosk.cli import main
from tests.conftest import TestDatabase, unique
from tests.identity_helpers import (
    POLICY,
    STATION,
    Person,
    admin_for,
    dormant_person,
    enrol,
    new_badge_uid,
)
from tests.sessions import pin_of

Factory = sessionmaker[Session]
Run = Callable[..., tuple[int, str]]


@pytest.fixture
def run(
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    """The CLI against the test database; stdin lines feed --pin-stdin."""
    monkeypatch.setenv("WORKCELL_DATABASE_URL", database.station)
    monkeypatch.setenv("WORKCELL_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("WORKCELL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WORKCELL_STATION", "pytest_cli")

    def invoke(*argv: str, stdin: tuple[str, ...] = ()) -> tuple[int, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{s}\n" for s in stdin)))
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out + out.err

    return invoke


@pytest.fixture
def admin(database: TestDatabase, session_factory: Factory) -> Person:
    return enrol(session_factory, admin_for(database), roles=("admin",), prefix="acadm")


def status_of(database: TestDatabase, username: str) -> str:
    with database.connect("admin") as conn:
        row = conn.execute(
            "SELECT status FROM workcell.users WHERE username = %s", (username,)
        ).fetchone()
    assert row is not None
    return str(row[0])


def creds(session_factory: Factory, person: Person) -> Credentials:
    return Credentials(pin=pin_of(session_factory, person.username), username=person.username)


@pytest.mark.requirement("11.300(b)")
def test_the_review_lists_people_roles_last_sign_in_and_dormancy(
    database: TestDatabase, session_factory: Factory, admin: Person, make_uow
) -> None:
    """Every person with roles and badges; a person who signed in has a last sign-in and is
    not dormant; one unused for longer than the period is dormant."""
    old = dormant_person(database, session_factory)
    recent = enrol(session_factory, admin_for(database), roles=("operator",), prefix="rec")
    identity.authenticate(session_factory, recent.creds(), station=STATION, policy=POLICY)
    with make_uow(admin.username) as uow:
        rows = {r.username: r for r in account_controls.review(uow)}
    assert rows[old.username].dormant and rows[old.username].roles == ("operator",)
    assert rows[old.username].active_badges == 1
    assert not rows[recent.username].dormant and rows[recent.username].last_sign_in is not None
    assert rows[recent.username].identity_verified


@pytest.mark.requirement("11.300(b)", "11.10(e)")
def test_a_signed_decision_disables_dormant_accounts_and_nothing_else(
    database: TestDatabase, session_factory: Factory, admin: Person, make_uow
) -> None:
    """A wrong PIN (AuthenticationFailed) or an account in use in the list (RuleViolation)
    refuses the decision whole; with the administrator's PIN the dormant accounts are
    disabled, with the reason in the audit trail, and cannot sign in."""
    first = dormant_person(database, session_factory)
    second = dormant_person(database, session_factory)
    in_use = enrol(session_factory, admin_for(database), roles=("operator",), prefix="use")
    names = [first.username, second.username]
    with make_uow(admin.username) as uow, pytest.raises(AuthenticationFailed):
        account_controls.disable_dormant(
            uow, names, "review", Credentials(pin="000000", username=admin.username),
            station=STATION,
        )  # fmt: skip
    with make_uow(admin.username) as uow, pytest.raises(RuleViolation, match="not dormant"):
        account_controls.disable_dormant(
            uow, [*names, in_use.username], "review", creds(session_factory, admin),
            station=STATION,
        )  # fmt: skip
    with make_uow(admin.username) as uow, pytest.raises(InvalidInput):
        account_controls.disable_dormant(
            uow, names, " ", creds(session_factory, admin), station=STATION
        )
    assert status_of(database, first.username) == "active"
    with make_uow(admin.username) as uow:
        decision = account_controls.disable_dormant(
            uow, names, "Q4 account review", creds(session_factory, admin), station=STATION
        )
        uow.commit()
    assert decision > 0
    assert status_of(database, first.username) == status_of(database, second.username)
    assert status_of(database, second.username) == "disabled"
    assert status_of(database, in_use.username) == "active"
    with database.connect("admin") as conn:
        row = conn.execute(
            "SELECT actor, reason FROM audit.entry WHERE table_name = 'workcell.users'"
            " AND after->>'username' = %s ORDER BY id DESC LIMIT 1",
            (first.username,),
        ).fetchone()
    assert row == (admin.username, "Q4 account review")
    with pytest.raises(Exception, match="disabled"):
        identity.authenticate(session_factory, first.creds(), station=STATION, policy=POLICY)


@pytest.mark.requirement("11.300(b)")
def test_cli_review_and_disable_dormant(
    run: Run, database: TestDatabase, session_factory: Factory, admin: Person
) -> None:
    """`user review --format json` has snake_case keys and the dormant flag; `--dormant`
    lists only dormant accounts; `user disable-dormant` exits 0, and 4 for an account in
    use (nothing disabled)."""
    old = dormant_person(database, session_factory)
    pin = pin_of(session_factory, admin.username)
    code, out = run(
        "user", "review", "--as", admin.username, "--pin-stdin", "--format", "json",
        stdin=(pin,),
    )  # fmt: skip
    assert code == 0, out
    rows = {r["username"]: r for r in json.loads(out)}
    assert rows[old.username]["dormant"] is True
    assert {"last_sign_in", "last_activity", "roles", "identity_verified"} <= set(
        rows[old.username]
    )
    code, out = run("user", "review", "--dormant", "--as", admin.username, "--pin-stdin",
                    stdin=(pin,))  # fmt: skip
    assert code == 0 and old.username in out and admin.username not in out.split("\n", 2)[2]
    code, out = run(
        "user", "disable-dormant", old.username, admin.username, "--as", admin.username,
        "--reason", "review", "--pin-stdin", stdin=(pin,),
    )  # fmt: skip
    assert code == 4, out
    assert status_of(database, old.username) == "active"
    code, out = run(
        "user", "disable-dormant", old.username, "--as", admin.username, "--reason",
        "annual review", "--pin-stdin", stdin=(pin,),
    )  # fmt: skip
    assert code == 0, out
    assert status_of(database, old.username) == "disabled"


@pytest.mark.requirement("11.300(c)")
def test_cli_badge_lost_refuses_the_badge_at_once(
    run: Run, database: TestDatabase, session_factory: Factory, admin: Person
) -> None:
    """`user badge-lost` revokes the badge: signing in with it is refused as revoked; an
    operator cannot report one (exit 4)."""
    holder = enrol(session_factory, admin_for(database), roles=("operator",), prefix="lost")
    with database.connect("admin") as conn:
        row = conn.execute(
            "SELECT b.id FROM workcell.badge b JOIN workcell.users u ON u.id = b.user_id"
            " WHERE u.username = %s",
            (holder.username,),
        ).fetchone()
    assert row is not None
    pin = pin_of(session_factory, admin.username)
    code, out = run(
        "user", "badge-lost", str(row[0]), "--as", holder.username, "--reason", "lost",
        "--pin-stdin", stdin=(holder.pin,),
    )  # fmt: skip
    assert code == 4, out
    code, out = run(
        "user", "badge-lost", str(row[0]), "--as", admin.username, "--reason",
        "lost on the bus, reported by phone", "--pin-stdin", stdin=(pin,),
    )  # fmt: skip
    assert code == 0, out
    with pytest.raises(BadgeRevoked):
        identity.authenticate(session_factory, holder.creds(), station=STATION, policy=POLICY)


@pytest.mark.requirement("11.300(b)", "11.300(e)")
def test_account_policy_is_changed_with_proof_and_audited(
    run: Run, database: TestDatabase, session_factory: Factory, admin: Person, make_uow
) -> None:
    """The dormancy period changes with the administrator's PIN and a reason (audited); out
    of range is refused; an operator is refused; `user account-policy` shows it."""
    operator = enrol(session_factory, admin_for(database), roles=("operator",), prefix="pol")
    with make_uow(admin.username) as uow:
        before = account_controls.account_policy(uow)
    try:
        with make_uow(admin.username) as uow:
            after = account_controls.set_account_policy(
                uow, "SOP-IT-7 rev 3", creds(session_factory, admin), station=STATION,
                dormant_after_days=before.dormant_after_days + 30,
            )  # fmt: skip
            uow.commit()
        assert after.dormant_after_days == before.dormant_after_days + 30
        assert after.reader_test_interval_days == before.reader_test_interval_days
        with database.connect("admin") as conn:
            row = conn.execute(
                "SELECT actor, reason FROM audit.entry"
                " WHERE table_name = 'workcell.account_policy' ORDER BY id DESC LIMIT 1"
            ).fetchone()
        assert row == (admin.username, "SOP-IT-7 rev 3")
        code, out = run("user", "account-policy")
        assert code == 0 and f"{after.dormant_after_days} days" in out
        with make_uow(admin.username) as uow, pytest.raises(InvalidInput):
            account_controls.set_account_policy(
                uow, "x", creds(session_factory, admin), station=STATION, dormant_after_days=1
            )
        with make_uow(operator.username) as uow, pytest.raises(PermissionDenied):
            account_controls.set_account_policy(
                uow, "x", operator.by_name(), station=STATION, dormant_after_days=3650
            )
    finally:
        with make_uow(admin.username) as uow:
            account_controls.set_account_policy(
                uow, "restore", creds(session_factory, admin), station=STATION,
                dormant_after_days=before.dormant_after_days,
            )  # fmt: skip
            uow.commit()


def _station_name(database: TestDatabase) -> str:
    with database.connect("admin") as conn:
        row = conn.execute(
            "SELECT name FROM workcell.station WHERE login_role = 'station_pytest'"
        ).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.requirement("11.300(e)")
def test_reader_tests_recorded_and_overdue_report(
    run: Run, database: TestDatabase, session_factory: Factory
) -> None:
    """A supervisor's pass (their badge at this station) takes the station off the overdue
    report; a failure needs what happened; an operator cannot record one (exit 4); the
    overdue report exits 1 while any reader is overdue."""
    sup = enrol(session_factory, admin_for(database), roles=("supervisor",), prefix="rt")
    operator = enrol(session_factory, admin_for(database), roles=("operator",), prefix="rto")
    here = _station_name(database)
    reader = unique("ACR122U-")
    code, out = run(
        "station", "reader-test", "record", here, "--reader", reader, "--result", "pass",
        "--as", operator.username, "--pin-stdin", stdin=(operator.pin, operator.badge_uid or ""),
    )  # fmt: skip
    assert code == 4, out
    code, out = run(
        "station", "reader-test", "record", here, "--reader", reader, "--result", "fail",
        "--as", sup.username, "--pin-stdin", stdin=(sup.pin,),
    )  # fmt: skip
    assert code == 4 and "what failed" in out
    code, out = run(
        "station", "reader-test", "record", here, "--reader", reader, "--result", "pass",
        "--as", sup.username, "--pin-stdin", stdin=(sup.pin, new_badge_uid()),
    )  # fmt: skip
    assert code == 4, out  # a card nobody was issued is not a passed test
    code, out = run(
        "station", "reader-test", "record", here, "--reader", reader, "--result", "pass",
        "--as", sup.username, "--pin-stdin", stdin=(sup.pin, sup.badge_uid or ""),
    )  # fmt: skip
    assert code == 0, out
    code, out = run(
        "station", "reader-test", "overdue", "--all", "--as", sup.username, "--pin-stdin",
        "--format", "json", stdin=(sup.pin,),
    )  # fmt: skip
    assert code in (0, 1), out
    rows = {r["station"]: r for r in json.loads(out)}
    assert rows[here]["overdue"] is False and rows[here]["last_result"] == "pass"
    code, out = run(
        "station", "reader-test", "overdue", "--as", sup.username, "--pin-stdin",
        "--format", "json", stdin=(sup.pin,),
    )  # fmt: skip
    overdue = json.loads(out)
    assert here not in {r["station"] for r in overdue}
    assert code == (1 if overdue else 0)
    with database.connect("admin") as conn:
        row = conn.execute(
            "SELECT u.username, rt.result FROM workcell.reader_test rt"
            " JOIN workcell.users u ON u.id = rt.tested_by WHERE rt.reader = %s",
            (reader,),
        ).fetchall()
    assert row == [(sup.username, "pass")]


@pytest.mark.requirement("11.300(c)", "11.10(d)")
def test_a_badge_reported_lost_ends_the_holders_badge_sessions(
    database: TestDatabase, session_factory: Factory, admin: Person, make_uow
) -> None:
    """The holder signed in with the badge: once it is reported lost, that session is no
    longer valid (whoever holds the card may be the one at the station); the revocation is
    audited with its reason and a badge_reported_lost event names the holder."""
    holder = enrol(session_factory, admin_for(database), roles=("operator",), prefix="lses")
    who = identity.authenticate(session_factory, holder.creds(), station=STATION, policy=POLICY)
    assert who.session is not None
    with make_uow(admin.username) as uow:
        badge = identity_admin.list_badges(uow, holder.username)[0]
        view = account_controls.report_badge_lost(uow, badge.id, "left on the bus")
        uow.commit()
    assert view.revoke_reason == "reported lost: left on the bus"
    with pytest.raises(WorkCellError), UnitOfWork(session_factory, who.session) as uow:
        uow.session.execute(text("SELECT workcell.current_actor_id()")).scalar()
    with database.connect("admin") as conn:
        row = conn.execute(
            "SELECT e.detail FROM workcell.security_event e JOIN workcell.users u"
            " ON u.id = e.user_id WHERE u.username = %s AND e.kind = 'badge_reported_lost'",
            (holder.username,),
        ).fetchone()
    assert row is not None and "1 badge session(s) ended" in row[0]


@pytest.mark.requirement("11.300(b)", "11.10(b)")
def test_cli_review_report_is_a_pdf_to_sign_with_the_rows_attached(
    run: Run, database: TestDatabase, session_factory: Factory, admin: Person, tmp_path: Path
) -> None:
    """`user review --report FILE` writes a PDF listing every person (a dormant one marked
    DORMANT) with the sign-off block, the rows attached as JSON; an existing file is never
    overwritten (exit 4)."""
    old = dormant_person(database, session_factory)
    pin = pin_of(session_factory, admin.username)
    target = tmp_path / "review.pdf"
    code, out = run(
        "user", "review", "--as", admin.username, "--pin-stdin", "--report", str(target),
        stdin=(pin,),
    )  # fmt: skip
    assert code == 0, out
    reader = pypdf.PdfReader(target)
    text = " ".join((page.extract_text() or "") for page in reader.pages)
    assert "Periodic account review" in text and "Reviewed by" in text
    assert old.username in text and "DORMANT" in text
    attached = json.loads(reader.attachments["account_review.json"][0])
    assert old.username in {p["username"] for p in attached["people"]}
    code, out = run(
        "user", "review", "--as", admin.username, "--pin-stdin", "--report", str(target),
        stdin=(pin,),
    )  # fmt: skip
    assert code == 4 and "exists already" in out
