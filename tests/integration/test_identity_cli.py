"""`workcell user ...` end to end: the acting admin re-authenticates with a PIN for every
privileged action; secrets never show up in output, logs, the audit trail or events."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.services import identity, security
from domain.uow import UnitOfWork
from kiosk.cli import main
from tests.conftest import TestDatabase, unique
from tests.identity_helpers import (
    POLICY,
    STATION,
    admin_for,
    enrol,
    new_badge_uid,
    new_pin,
)
from tests.sessions import pin_of, session_of

Factory = sessionmaker[Session]
Run = Callable[..., tuple[int, str]]


@pytest.fixture
def run(
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    """Run the CLI against the test database; stdin lines feed --pin-stdin."""
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
def cli_admin(database: TestDatabase, session_factory: Factory) -> tuple[str, str]:
    """An administrator with a PIN of their own (set by the test administrator)."""
    person = enrol(session_factory, admin_for(database), roles=("admin",), prefix="cadm")
    return person.username, person.pin


def test_admin_issues_pin_and_badge_then_user_signs_in(
    session_factory: Factory, run: Run, cli_admin: tuple[str, str]
) -> None:
    """add → grant → set-pin (temporary) → add-badge → change-pin → badge sign-in works."""
    admin, admin_pin = cli_admin
    name, temp, mine, uid = unique("cli"), new_pin(), new_pin(), new_badge_uid()
    assert (
        run("user", "add", name, "Cli Person", "--as", admin, "--pin-stdin", stdin=(admin_pin,))[0]
        == 0
    )
    assert (
        run("user", "grant", name, "operator", "--as", admin, "--pin-stdin", stdin=(admin_pin,))[0]
        == 0
    )
    code, out = run("user", "set-pin", name, "--as", admin, "--pin-stdin", stdin=(admin_pin, temp))
    assert code == 0 and "temporary" in out
    code, out = run("user", "add-badge", name, "--as", admin, "--pin-stdin", stdin=(admin_pin, uid))
    assert code == 0 and uid not in out
    code, _ = run("user", "change-pin", name, "--pin-stdin", stdin=(temp, mine))
    assert code == 0
    creds = identity.Credentials(pin=mine, badge_uid=uid)
    who = identity.authenticate(session_factory, creds, station=STATION, policy=POLICY)
    assert who.roles == {"operator"}


def test_wrong_admin_pin_refuses_the_action(run: Run, cli_admin: tuple[str, str]) -> None:
    """A privileged action with the wrong admin PIN changes nothing and says why."""
    admin, _ = cli_admin
    name = unique("nop")
    code, out = run("user", "add", name, "X Y", "--as", admin, "--pin-stdin", stdin=(new_pin(),))
    assert code == 4 and "Wrong PIN" in out
    code, out = run("user", "list")
    assert code == 0 and name not in out


def test_operator_cannot_administer(
    database: TestDatabase, session_factory: Factory, run: Run
) -> None:
    """Right PIN, wrong role: refused with the permission named."""
    operator = enrol(session_factory, admin_for(database), roles=("operator",))
    code, out = run(
        "user", "lock", operator.username, "--as", operator.username, "--reason", "x",
        "--pin-stdin", stdin=(operator.pin,),
    )  # fmt: skip
    assert code == 4 and "user.administer" in out


def test_lock_unlock_and_revoke_badge_from_cli(
    database: TestDatabase, session_factory: Factory, run: Run, cli_admin: tuple[str, str]
) -> None:
    """lock/unlock/revoke-badge are audited admin actions, each re-authenticated."""
    admin, pin = cli_admin
    person = enrol(session_factory, admin_for(database), roles=("operator",))
    args = ("--as", admin, "--pin-stdin")
    assert run("user", "lock", person.username, "--reason", "audit", *args, stdin=(pin,))[0] == 0
    assert run("user", "unlock", person.username, "--reason", "ok", *args, stdin=(pin,))[0] == 0
    _, out = run("user", "badges", person.username)
    badge_id = out.splitlines()[2].split()[0]
    assert run("user", "revoke-badge", badge_id, "--reason", "lost", *args, stdin=(pin,))[0] == 0
    _, out = run("user", "badges", person.username)
    assert "lost" in out


def test_secrets_never_reach_output_logs_audit_or_events(
    database: TestDatabase,
    session_factory: Factory,
    run: Run,
    cli_admin: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """PINs, badge ids and their hashes appear in no output, log record (SQL logging on),
    audit entry or security event."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # SQL echo, the worst case
    admin, admin_pin = cli_admin
    name, temp, mine, uid = unique("sec"), new_pin(8), new_pin(8), "SECRETCARD" + new_badge_uid()
    outputs = []
    args = ("--as", admin, "--pin-stdin")
    outputs.append(run("-v", "user", "add", name, "Secret Person", *args, stdin=(admin_pin,))[1])
    outputs.append(run("-v", "user", "set-pin", name, *args, stdin=(admin_pin, temp))[1])
    outputs.append(run("-v", "user", "add-badge", name, *args, stdin=(admin_pin, uid))[1])
    outputs.append(run("-v", "user", "add-badge", name, *args, stdin=(admin_pin, uid))[1])
    outputs.append(run("-v", "user", "change-pin", name, "--pin-stdin", stdin=(temp, mine))[1])
    outputs.append(run("-v", "user", "change-pin", name, "--pin-stdin", stdin=(temp, mine))[1])
    for _ in range(2):
        with pytest.raises(Exception, match="Wrong PIN"):
            identity.authenticate(
                session_factory, identity.Credentials(pin=temp, badge_uid=uid),
                station=STATION, policy=POLICY,
            )  # fmt: skip
    with database.connect("admin") as conn:
        # what the database keeps of them: PIN verifiers (salt, stored key) and the badge digest
        hashes = [
            r[0]
            for r in conn.execute(
                "SELECT encode(v.salt, 'hex') FROM auth.pin_verifier v"
                " JOIN workcell.user_pin p ON p.id = v.pin_id"
                " JOIN workcell.users u ON u.id = p.user_id WHERE u.username = %s"
                " UNION ALL SELECT encode(v.stored_key, 'hex') FROM auth.pin_verifier v"
                " JOIN workcell.user_pin p ON p.id = v.pin_id"
                " JOIN workcell.users u ON u.id = p.user_id WHERE u.username = %s"
                " UNION ALL SELECT badge_hash FROM workcell.badge b"
                " JOIN workcell.users u ON u.id = b.user_id WHERE u.username = %s",
                (name, name, name),
            )
        ]
        trail = "\n".join(
            str(r)
            for r in conn.execute(
                "SELECT before::text, after::text, reason FROM audit.entry WHERE id >"
                " (SELECT coalesce(max(id), 0) - 500 FROM audit.entry)"
            )
        )
    with UnitOfWork(session_factory, session_of(session_factory, admin)) as uow:
        events = "\n".join(str(e) for e in security.list_security_events(uow, user=name))
    assert len(hashes) == 5 and "auth_failed" in events  # 2 PINs x (salt, key), 1 badge
    haystacks = {
        "output": "\n".join(outputs),
        "logs": caplog.text,
        "audit": trail,
        "events": events,
    }
    assert "SELECT" in caplog.text  # SQL logging really was on
    for secret in (temp, mine, uid, uid.lower(), *hashes):
        for where, text in haystacks.items():
            assert secret not in text, f"a secret leaked into the {where}"


def test_audit_show_security_lists_events_for_supervisors(
    database: TestDatabase, session_factory: Factory, run: Run
) -> None:
    """`workcell audit show --security --as SUPERVISOR` lists lockouts; operators refused."""
    admin = admin_for(database)
    supervisor = enrol(session_factory, admin, roles=("supervisor",))
    victim = enrol(session_factory, admin, roles=("operator",))
    for _ in range(POLICY.max_failed_attempts):
        with pytest.raises(Exception, match="Wrong PIN"):
            identity.authenticate(
                session_factory, victim.creds(new_pin()), station=STATION, policy=POLICY
            )
    code, out = run(
        "audit", "show", "--security", "--as", supervisor.username, "--user", victim.username,
        "--since", "2000-01-01 00:00+00", "--pin-stdin", stdin=(supervisor.pin,),
    )  # fmt: skip
    assert code == 0
    assert "account_locked" in out and out.count("auth_failed") == POLICY.max_failed_attempts
    operator = enrol(session_factory, admin, roles=("operator",))
    code, out = run(
        "audit", "show", "--security", "--as", operator.username, "--pin-stdin",
        stdin=(operator.pin,),
    )  # fmt: skip
    assert code == 4 and "security.view" in out


def test_audit_show_access_lists_sign_ins_and_refusals(
    database: TestDatabase, session_factory: Factory, run: Run
) -> None:
    """`workcell audit show --access --refused --as ADMIN` lists a person's refused sign-in."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    with pytest.raises(Exception, match="Wrong PIN"):
        identity.authenticate(
            session_factory, person.creds(new_pin()), station=STATION, policy=POLICY
        )
    code, out = run(
        "audit", "show", "--access", "--refused", "--as", admin, "--user", person.username,
        "--pin-stdin", stdin=(pin_of(session_factory, admin),),
    )  # fmt: skip
    assert code == 0, out
    assert "refused" in out and "sign_in" in out and "auth_failed" in out


def test_bootstrap_creates_the_first_admin_with_own_pin(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On an empty installation `user add --bootstrap` makes an administrator with their
    own PIN who can act at once; a second bootstrap is refused."""
    from tests.conftest import create_test_database, drop_test_database

    db = create_test_database("wcboot")
    try:
        monkeypatch.setenv("WORKCELL_DATABASE_URL", db.station)
        monkeypatch.setenv("WORKCELL_ADMIN_DATABASE_URL", db.admin)  # bootstrap: owner-side
        monkeypatch.setenv("WORKCELL_CONFIG", str(tmp_path / "absent.toml"))
        monkeypatch.setenv("WORKCELL_STATION", "pytest_boot")
        pin = new_pin()

        def invoke(*argv: str, stdin: tuple[str, ...]) -> int:
            monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{s}\n" for s in stdin)))
            return main(list(argv))

        assert invoke("user", "add", "first.admin", "First Admin", "--bootstrap", "--pin-stdin",
                      stdin=(pin,)) == 0  # fmt: skip
        assert invoke("user", "add", "second", "Second", "--bootstrap", "--pin-stdin",
                      stdin=(new_pin(),)) == 4  # fmt: skip
        assert invoke("user", "add", "olga", "Olga Operator", "--as", "first.admin",
                      "--pin-stdin", stdin=(pin,)) == 0  # fmt: skip
        out = capsys.readouterr()
        assert "first administrator" in out.out and "exists already" in out.err
    finally:
        drop_test_database(db)
