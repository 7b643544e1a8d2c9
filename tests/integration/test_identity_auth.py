"""Sign-in refusals: wrong PIN → lockout decided by the database (attempts left in the
message, committed access-log lines and security events), disabled, locked, revoked badge,
unknown badge, temporary and expired PINs, PIN history."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import (
    AccountDisabled,
    AccountLocked,
    AuthenticationFailed,
    BadgeRevoked,
    ChallengeExpired,
    InvalidInput,
    PermissionDenied,
    PinChangeRequired,
    PinExpired,
)
from domain.services import identity, identity_admin, security, users
from domain.services.access_log import AccessView, list_access
from domain.uow import UnitOfWork
from tests.conftest import TestDatabase
from tests.identity_helpers import (
    POLICY,
    STATION,
    Person,
    admin_for,
    enrol,
    new_badge_uid,
    new_pin,
)
from tests.integration.identity_fixtures import (
    KIOSK,
    as_person,
    backdate_pin,
    extra_station,
    holding_session,
    station_factory,
)
from tests.sessions import as_system, pin_of

Factory = sessionmaker[Session]
MAX_FAILED = 5  # workcell.identity_policy.max_failed_attempts: the database decides


def _auth(session_factory: Factory, creds: identity.Credentials) -> identity.Identity:
    return identity.authenticate(session_factory, creds, station=STATION, policy=POLICY)


def _events(session_factory: Factory, admin: str, person: Person) -> list[str]:
    with as_person(session_factory, admin) as uow:
        return [e.kind for e in security.list_security_events(uow, user=person.username)]


def _refusals(session_factory: Factory, admin: str, person: Person) -> list[AccessView]:
    with as_person(session_factory, admin) as uow:
        return list_access(uow, user=person.username, outcome="refused")


def _status(session_factory: Factory, username: str) -> str:
    with UnitOfWork(session_factory, None) as uow:
        return users.get_user(uow, username).status


def _admin_creds(session_factory: Factory, admin: str) -> identity.Credentials:
    """The administrator's own fresh credentials (unlock asks for them again)."""
    return identity.Credentials(pin=pin_of(session_factory, admin), username=admin)


def test_badge_and_pin_sign_in(database: TestDatabase, session_factory: Factory) -> None:
    """Badge + right PIN returns the person's identity with roles and permissions."""
    qa = enrol(session_factory, admin_for(database), roles=("qa",))
    who = _auth(session_factory, qa.creds())
    assert (who.username, who.printed_name, who.method) == (
        qa.username,
        qa.printed_name,
        "badge+pin",
    )
    assert who.roles == {"qa"}
    assert "item.approve" in who.permissions


def test_wrong_pin_n_times_locks_user_and_records_events(
    database: TestDatabase, session_factory: Factory
) -> None:
    """Five wrong PINs lock the user; each failure is a committed access-log line and
    security event, and so is the lockout."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    wrong = new_pin()
    for left in (4, 3, 2):
        with pytest.raises(AuthenticationFailed, match=f"{left} attempts left"):
            _auth(session_factory, person.creds(wrong))
    with pytest.raises(AuthenticationFailed, match="1 attempt left"):
        _auth(session_factory, person.creds(wrong))
    with pytest.raises(AccountLocked, match="now locked after 5 failed attempts"):
        _auth(session_factory, person.creds(wrong))
    assert _status(session_factory, person.username) == "locked"
    kinds = _events(session_factory, admin, person)
    assert kinds.count("auth_failed") == MAX_FAILED
    assert kinds.count("account_locked") == 1
    refused = _refusals(session_factory, admin, person)
    assert len(refused) == MAX_FAILED
    assert all(
        (r.purpose, r.method, r.station) == ("sign_in", "badge+pin", "station_pytest")
        and r.detail.startswith("auth_failed")
        for r in refused
    )
    # the right PIN no longer helps: the user is locked
    with pytest.raises(AccountLocked):
        _auth(session_factory, person.creds())


def test_lockout_applies_to_every_badge_of_the_user(
    database: TestDatabase, session_factory: Factory
) -> None:
    """Failures on one badge lock the person: their second badge is refused too."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    second = new_badge_uid()
    with as_person(session_factory, admin) as uow:
        identity_admin.add_badge(uow, person.username, second)
        uow.commit()
    for _ in range(MAX_FAILED):
        with pytest.raises(AuthenticationFailed):
            _auth(session_factory, person.creds(new_pin()))
    with pytest.raises(AccountLocked):
        _auth(session_factory, identity.Credentials(pin=person.pin, badge_uid=second))


def test_failures_count_in_a_window_and_unlock_starts_the_count_again(
    database: TestDatabase, session_factory: Factory
) -> None:
    """Failed attempts count in the policy's rolling window: a successful sign-in in
    between does not clear them (a guesser who also knows the PIN cannot reset the count);
    an administrator's unlock does."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    for _ in range(MAX_FAILED - 1):
        with pytest.raises(AuthenticationFailed):
            _auth(session_factory, person.creds(new_pin()))
    assert _auth(session_factory, person.creds()).session is not None
    with pytest.raises(AccountLocked, match="now locked"):
        _auth(session_factory, person.creds(new_pin()))
    with as_person(session_factory, admin) as uow:
        identity_admin.unlock_user(
            uow, person.username, "forgot PIN; identity checked",
            _admin_creds(session_factory, admin), station=STATION,
        )  # fmt: skip
        uow.commit()
    with pytest.raises(AuthenticationFailed, match="4 attempts left"):
        _auth(session_factory, person.creds(new_pin()))
    assert _auth(session_factory, person.creds()).username == person.username


def test_unlock_is_an_audited_admin_action(
    database: TestDatabase, session_factory: Factory
) -> None:
    """An admin unlocks with a reason; an event records it; the person can sign in again."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    with as_person(session_factory, admin) as uow:
        identity_admin.lock_user(uow, person.username, "suspected badge sharing")
        uow.commit()
    with pytest.raises(AccountLocked):
        _auth(session_factory, person.creds())
    with as_person(session_factory, admin) as uow:
        identity_admin.unlock_user(
            uow, person.username, "interviewed; cleared",
            _admin_creds(session_factory, admin), station=STATION,
        )  # fmt: skip
        uow.commit()
    assert _auth(session_factory, person.creds()).username == person.username
    kinds = _events(session_factory, admin, person)
    assert {"account_locked_by_admin", "locked_account_attempt", "account_unlocked"} <= set(kinds)
    with as_person(session_factory, admin) as uow:
        (unlock,) = [
            r for r in list_access(uow, user=admin) if r.detail == f"unlock {person.username}"
        ]
    assert (unlock.purpose, unlock.outcome, unlock.method) == ("sign", "success", "username+pin")
    with database.connect() as conn:
        reasons = [
            r[0]
            for r in conn.execute(
                "SELECT reason FROM audit.entry WHERE table_name = 'workcell.users' "
                "AND after->>'username' = %s ORDER BY id",
                (person.username,),
            )
        ]
    assert "interviewed; cleared" in reasons


def test_operator_cannot_unlock(database: TestDatabase, session_factory: Factory) -> None:
    """Unlocking needs user.administer: an operator is refused."""
    admin = admin_for(database)
    operator = enrol(session_factory, admin, roles=("operator",))
    other = enrol(session_factory, admin, roles=("operator",))
    with as_person(session_factory, admin) as uow:
        identity_admin.lock_user(uow, other.username, "test")
        uow.commit()
    with (
        as_person(session_factory, operator.username) as uow,
        pytest.raises(PermissionDenied, match=r"user\.administer"),
    ):
        identity_admin.unlock_user(
            uow, other.username, "friend", operator.by_name(), station=STATION
        )
    assert _status(session_factory, other.username) == "locked"


def test_unlock_needs_the_signed_in_administrators_own_pin(
    database: TestDatabase, session_factory: Factory
) -> None:
    """The fresh credentials must be the signed-in administrator's, and right: a wrong PIN
    is a counted failure, another person's PIN is refused; the account stays locked."""
    second_admin = enrol(session_factory, admin_for(database), roles=("admin",))
    person = enrol(session_factory, admin_for(database), roles=("operator",))
    bystander = enrol(session_factory, admin_for(database), roles=("operator",))
    with as_person(session_factory, second_admin.username) as uow:
        identity_admin.lock_user(uow, person.username, "test")
        uow.commit()
    with (
        as_person(session_factory, second_admin.username) as uow,
        pytest.raises(AuthenticationFailed, match="4 attempts left"),
    ):
        identity_admin.unlock_user(
            uow, person.username, "cleared", second_admin.by_name(new_pin()), station=STATION
        )
    with (
        as_person(session_factory, second_admin.username) as uow,
        pytest.raises(Exception, match="not those of the signed-in administrator"),
    ):
        identity_admin.unlock_user(
            uow, person.username, "cleared", bystander.by_name(), station=STATION
        )
    assert _status(session_factory, person.username) == "locked"
    (refused,) = _refusals(session_factory, second_admin.username, second_admin)
    assert refused.purpose == "sign" and f"unlock of {person.username}" in refused.detail


def test_disabled_user_cannot_sign_in(database: TestDatabase, session_factory: Factory) -> None:
    """A disabled account is refused (and the attempt recorded), even with the right PIN."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    with as_person(session_factory, admin) as uow:
        users.disable_user(uow, person.username, "left the company")
        uow.commit()
    with pytest.raises(AccountDisabled):
        _auth(session_factory, person.creds())
    assert "disabled_account_attempt" in _events(session_factory, admin, person)
    (refused,) = _refusals(session_factory, admin, person)
    assert refused.detail.startswith("disabled_account_attempt")


def test_revoked_badge_is_refused_at_once(database: TestDatabase, session_factory: Factory) -> None:
    """A revoked badge fails the next tap, even with the right PIN (an unknown card is told
    apart only as 'not recognised'); a replacement works."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    with as_person(session_factory, admin) as uow:
        (badge,) = identity_admin.list_badges(uow, person.username)
        identity_admin.revoke_badge(uow, badge.id, "reported lost")
        uow.commit()
    with pytest.raises(BadgeRevoked):
        _auth(session_factory, person.creds())
    unknown = identity.Credentials(pin=person.pin, badge_uid=new_badge_uid())
    with pytest.raises(AuthenticationFailed, match="not recognised"):
        _auth(session_factory, unknown)
    assert "revoked_badge_attempt" in _events(session_factory, admin, person)
    replacement = new_badge_uid()
    with as_person(session_factory, admin) as uow:
        view = identity_admin.add_badge(
            uow, person.username, replacement, replaces_badge_id=badge.id
        )
        uow.commit()
    assert view.replaces_id == badge.id
    creds = identity.Credentials(pin=person.pin, badge_uid=replacement)
    assert _auth(session_factory, creds).username == person.username


def test_unknown_badge_is_refused_and_recorded(
    database: TestDatabase, session_factory: Factory
) -> None:
    """A card nobody was issued is refused; the attempt is a security event (no card id)."""
    admin = admin_for(database)
    uid = new_badge_uid()
    with pytest.raises(AuthenticationFailed, match="not recognised"):
        _auth(session_factory, identity.Credentials(pin=new_pin(), badge_uid=uid))
    with as_person(session_factory, admin) as uow:
        latest = security.list_security_events(uow, kinds=["unknown_badge"], limit=1)
        (logged,) = list_access(uow, outcome="refused", limit=1)
    assert latest and uid not in latest[0].detail
    assert logged.username is None and logged.detail.startswith("unknown_badge")
    assert uid not in logged.detail


_CHALLENGE = text(
    "SELECT auth_message, salt, memory_kib, time_cost, parallelism, history"
    " FROM workcell.auth_challenge('badge+pin', :uid, 'sign_in')"
)


def test_badge_names_its_owner_once_the_pin_proves_it(
    database: TestDatabase, session_factory: Factory
) -> None:
    """A badge (read in any letter case) signs in its owner, named by the database; before
    the PIN is proven the station learns nothing: the PIN prompt for a known badge looks
    like the one for a card nobody was issued."""
    person = enrol(session_factory, admin_for(database), roles=("supervisor",))
    creds = identity.Credentials(pin=person.pin, badge_uid=(person.badge_uid or "").lower())
    who = _auth(session_factory, creds)
    assert (who.username, who.printed_name) == (person.username, person.printed_name)
    with session_factory() as session:
        known = session.execute(_CHALLENGE, {"uid": person.badge_uid}).one()
        unknown = session.execute(_CHALLENGE, {"uid": new_badge_uid()}).one()
        session.rollback()
    assert len(known.salt) == len(unknown.salt) and known.salt != unknown.salt
    assert known[2:] == unknown[2:]
    assert person.username not in known.auth_message
    assert person.printed_name not in known.auth_message


def test_username_pin_refused_where_station_requires_badges(
    database: TestDatabase, session_factory: Factory
) -> None:
    """Username + PIN works only where the station's registration allows it (the database
    decides, not the station): a floor kiosk takes badges only."""
    person = enrol(session_factory, admin_for(database), roles=("operator",))
    with station_factory(extra_station(database, KIOSK)) as kiosk:
        with pytest.raises(PermissionDenied, match="badge"):
            identity.authenticate(kiosk, person.by_name(), station=KIOSK, policy=POLICY)
        assert (
            identity.authenticate(kiosk, person.creds(), station=KIOSK, policy=POLICY).username
            == person.username
        )
    assert _auth(session_factory, person.by_name()).username == person.username


def test_badge_id_is_never_reassigned(database: TestDatabase, session_factory: Factory) -> None:
    """A card id issued once — even revoked — cannot be issued to anyone again."""
    admin = admin_for(database)
    first = enrol(session_factory, admin, roles=("operator",))
    second = enrol(session_factory, admin, roles=("operator",), badge=False)
    with as_person(session_factory, admin) as uow:
        (badge,) = identity_admin.list_badges(uow, first.username)
        identity_admin.revoke_badge(uow, badge.id, "left")
        uow.commit()
    for who in (second.username, first.username):
        with as_person(session_factory, admin) as uow, pytest.raises(InvalidInput, match="never"):
            identity_admin.add_badge(uow, who, first.badge_uid or "")
    # and the database refuses it even if the service is bypassed: the function (WC042);
    # the station has no way around it (no digest, no INSERT on badge)...
    with database.connect() as conn:
        holding_session(conn, session_factory, admin)
        with pytest.raises(psycopg.Error) as err:
            conn.execute("SELECT workcell.issue_badge(%s, %s)", (second.username, first.badge_uid))
        assert err.value.sqlstate == "WC042"
        conn.rollback()
        holding_session(conn, session_factory, admin)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT workcell.badge_digest(%s)", (first.badge_uid,))
        conn.rollback()
        holding_session(conn, session_factory, admin)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO workcell.badge (user_id, badge_hash) SELECT id, 'x'"
                " FROM workcell.users WHERE username = %s",
                (second.username,),
            )
    # ... and even owner-side the card's digest is unique
    with database.connect("admin") as conn:
        as_system(conn, reason="test: reissue a card")
        with pytest.raises(psycopg.errors.UniqueViolation, match="uq_badge_badge_hash"):
            conn.execute(
                "INSERT INTO workcell.badge (user_id, badge_hash)"
                " SELECT id, workcell.badge_digest(%s) FROM workcell.users WHERE username = %s",
                (first.badge_uid, second.username),
            )


def test_admin_set_pin_only_serves_to_choose_a_new_one(
    database: TestDatabase, session_factory: Factory
) -> None:
    """A temporary PIN refuses sign-in; change_pin with it works, then sign-in works."""
    person = enrol(session_factory, admin_for(database), roles=("operator",), temporary=True)
    with pytest.raises(PinChangeRequired):
        _auth(session_factory, person.creds())
    flagged = identity.authenticate(
        session_factory, person.creds(), station=STATION, policy=POLICY, allow_pin_change=True
    )
    assert flagged.must_change_pin
    assert flagged.session is None
    mine = new_pin()
    identity.change_pin(session_factory, person.creds(), mine, station=STATION, policy=POLICY)
    who = _auth(session_factory, person.creds(mine))
    assert not who.must_change_pin and who.session is not None
    with pytest.raises(AuthenticationFailed, match="attempts left"):
        _auth(session_factory, person.creds())  # the temporary PIN is gone


def test_expired_pin_must_be_changed(database: TestDatabase, session_factory: Factory) -> None:
    """A PIN older than pin_expiry_days is refused until changed (server time decides)."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    # Backdate through the superuser: the station role cannot write user_pin at all.
    backdate_pin(database, person.username, 181)
    with pytest.raises(PinExpired):
        _auth(session_factory, person.creds())
    mine = new_pin()
    identity.change_pin(session_factory, person.by_name(), mine, station=STATION, policy=POLICY)
    assert _auth(session_factory, person.creds(mine)).username == person.username


def test_station_cannot_backdate_a_pin(database: TestDatabase, session_factory: Factory) -> None:
    """who/when of a PIN come from database defaults: the app role cannot write user_pin at
    all (PINs are set through the functions, which take no date), even in a session."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    with database.connect() as conn:
        holding_session(conn, session_factory, admin)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(
                "INSERT INTO workcell.user_pin (user_id, temporary, set_at) "
                "SELECT id, false, now() - interval '1 day' FROM workcell.users"
                " WHERE username = %s",
                (person.username,),
            )


def test_last_five_pins_cannot_be_reused(database: TestDatabase, session_factory: Factory) -> None:
    """A PIN equal to one of the last five is refused; the wrong old PIN counts as failure."""
    person = enrol(session_factory, admin_for(database), roles=("operator",))
    current = person.pin
    history = [current]
    for _ in range(2):
        nxt = new_pin()
        identity.change_pin(
            session_factory, person.by_name(current), nxt, station=STATION, policy=POLICY
        )
        history.append(nxt)
        current = nxt
    with pytest.raises(InvalidInput, match="last 5"):
        identity.change_pin(
            session_factory, person.by_name(current), history[0], station=STATION, policy=POLICY
        )
    with pytest.raises(AuthenticationFailed, match="4 attempts left"):
        identity.change_pin(
            session_factory, person.by_name(new_pin()), new_pin(), station=STATION, policy=POLICY
        )
    (refused,) = _refusals(session_factory, admin_for(database), person)
    assert refused.purpose == "pin_change" and refused.detail.startswith("auth_failed")


def test_concurrent_wrong_pins_are_all_counted(
    database: TestDatabase, session_factory: Factory
) -> None:
    """Five wrong PINs at the same moment (five sessions of the station) lock the user
    exactly once. Prompts issued together overtake one another: an overtaken prompt is
    asked again, not counted, so every PIN typed is checked and counted exactly once."""
    from concurrent.futures import ThreadPoolExecutor

    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))

    def attempt(_: int) -> str:
        while True:
            try:
                _auth(session_factory, person.creds(new_pin()))
            except ChallengeExpired:
                continue  # overtaken by another attempt for the same person: ask again
            except AuthenticationFailed as exc:
                return type(exc).__name__
            return "accepted"

    with ThreadPoolExecutor(max_workers=MAX_FAILED) as pool:
        outcomes = list(pool.map(attempt, range(MAX_FAILED)))
    assert "accepted" not in outcomes and outcomes.count("AccountLocked") == 1
    assert _status(session_factory, person.username) == "locked"
    kinds = _events(session_factory, admin, person)
    # an attempt checked before the lockout but recorded after it reads as a locked-account
    # attempt: either way each wrong PIN is one committed event and one access-log line
    assert kinds.count("auth_failed") + kinds.count("locked_account_attempt") == MAX_FAILED
    assert kinds.count("account_locked") == 1
    assert len(_refusals(session_factory, admin, person)) == MAX_FAILED
