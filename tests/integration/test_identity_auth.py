"""Sign-in refusals: wrong PIN → lockout with a committed security event, disabled,
locked, revoked badge, unknown badge, temporary and expired PINs, PIN history."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import (
    AccountDisabled,
    AccountLocked,
    AuthenticationFailed,
    BadgeRevoked,
    InvalidInput,
    PinChangeRequired,
    PinExpired,
)
from domain.services import identity, identity_admin, security, users
from domain.uow import UnitOfWork
from tests.conftest import TestDatabase
from tests.identity_helpers import (
    BADGE_ONLY,
    POLICY,
    STATION,
    Person,
    admin_for,
    enrol,
    new_badge_uid,
    new_pin,
)

Factory = sessionmaker[Session]


def _auth(session_factory: Factory, creds: identity.Credentials) -> identity.Identity:
    return identity.authenticate(session_factory, creds, station=STATION, policy=POLICY)


def _events(session_factory: Factory, admin: str, person: Person) -> list[str]:
    with UnitOfWork(session_factory, admin) as uow:
        return [e.kind for e in security.list_security_events(uow, user=person.username)]


def _status(session_factory: Factory, username: str) -> str:
    with UnitOfWork(session_factory, "system") as uow:
        return users.get_user(uow, username).status


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
    """Five wrong PINs lock the user; each failure and the lockout are committed events."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    wrong = new_pin()
    for left in (4, 3, 2, 1):
        with pytest.raises(AuthenticationFailed, match=f"{left} attempt"):
            _auth(session_factory, person.creds(wrong))
    with pytest.raises(AccountLocked, match="now locked"):
        _auth(session_factory, person.creds(wrong))
    assert _status(session_factory, person.username) == "locked"
    kinds = _events(session_factory, admin, person)
    assert kinds.count("auth_failed") == 5
    assert "account_locked" in kinds
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
    with UnitOfWork(session_factory, admin) as uow:
        identity_admin.add_badge(uow, person.username, second)
        uow.commit()
    for _ in range(POLICY.max_failed_attempts):
        with pytest.raises(AuthenticationFailed):
            _auth(session_factory, person.creds(new_pin()))
    with pytest.raises(AccountLocked):
        _auth(session_factory, identity.Credentials(pin=person.pin, badge_uid=second))


def test_success_resets_the_failure_count(database: TestDatabase, session_factory: Factory) -> None:
    """Failed attempts count consecutively: a successful sign-in starts the count again."""
    person = enrol(session_factory, admin_for(database), roles=("operator",))
    for _ in range(POLICY.max_failed_attempts - 1):
        with pytest.raises(AuthenticationFailed):
            _auth(session_factory, person.creds(new_pin()))
    _auth(session_factory, person.creds())
    with pytest.raises(AuthenticationFailed, match="4 attempts left"):
        _auth(session_factory, person.creds(new_pin()))


def test_unlock_is_an_audited_admin_action(
    database: TestDatabase, session_factory: Factory
) -> None:
    """An admin unlocks with a reason; an event records it; the person can sign in again."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    with UnitOfWork(session_factory, admin) as uow:
        identity_admin.lock_user(uow, person.username, "suspected badge sharing")
        uow.commit()
    with pytest.raises(AccountLocked):
        _auth(session_factory, person.creds())
    with UnitOfWork(session_factory, admin) as uow:
        identity_admin.unlock_user(uow, person.username, "interviewed; cleared")
        uow.commit()
    assert _auth(session_factory, person.creds()).username == person.username
    kinds = _events(session_factory, admin, person)
    assert {"account_locked_by_admin", "locked_account_attempt", "account_unlocked"} <= set(kinds)
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
    with UnitOfWork(session_factory, admin) as uow:
        identity_admin.lock_user(uow, other.username, "test")
        uow.commit()
    with (
        UnitOfWork(session_factory, operator.username) as uow,
        pytest.raises(Exception, match=r"user\.administer"),
    ):
        identity_admin.unlock_user(uow, other.username, "friend")


def test_disabled_user_cannot_sign_in(database: TestDatabase, session_factory: Factory) -> None:
    """A disabled account is refused (and the attempt recorded), even with the right PIN."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    with UnitOfWork(session_factory, admin) as uow:
        users.disable_user(uow, person.username, "left the company")
        uow.commit()
    with pytest.raises(AccountDisabled):
        _auth(session_factory, person.creds())
    assert "disabled_account_attempt" in _events(session_factory, admin, person)


def test_revoked_badge_is_refused_at_once(database: TestDatabase, session_factory: Factory) -> None:
    """A revoked badge fails the next tap (identify and sign-in); a replacement works."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    with UnitOfWork(session_factory, admin) as uow:
        (badge,) = identity_admin.list_badges(uow, person.username)
        identity_admin.revoke_badge(uow, badge.id, "reported lost")
        uow.commit()
    with UnitOfWork(session_factory, "system") as uow, pytest.raises(BadgeRevoked):
        identity.identify_badge(uow, person.badge_uid or "")
    with UnitOfWork(session_factory, "system") as uow, pytest.raises(AuthenticationFailed):
        identity.identify_badge(uow, new_badge_uid())
    with pytest.raises(BadgeRevoked):
        _auth(session_factory, person.creds())
    assert "revoked_badge_attempt" in _events(session_factory, admin, person)
    replacement = new_badge_uid()
    with UnitOfWork(session_factory, admin) as uow:
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
    with UnitOfWork(session_factory, admin) as uow:
        latest = security.list_security_events(uow, kinds=["unknown_badge"], limit=1)
    assert latest and uid not in latest[0].detail


def test_identify_badge_names_the_owner(database: TestDatabase, session_factory: Factory) -> None:
    """Tapping a badge shows whose it is before the PIN is asked."""
    person = enrol(session_factory, admin_for(database), roles=("supervisor",))
    with UnitOfWork(session_factory, "system") as uow:
        owner = identity.identify_badge(uow, (person.badge_uid or "").lower())
    assert owner == identity.BadgeOwner(person.username, person.printed_name)


def test_username_pin_refused_where_station_requires_badges(
    database: TestDatabase, session_factory: Factory
) -> None:
    """Username + PIN works only where the station's policy allows it."""
    person = enrol(session_factory, admin_for(database), roles=("operator",))
    with pytest.raises(AuthenticationFailed, match="badge"):
        identity.authenticate(session_factory, person.by_name(), station=STATION, policy=BADGE_ONLY)
    assert _auth(session_factory, person.by_name()).username == person.username


def test_badge_id_is_never_reassigned(database: TestDatabase, session_factory: Factory) -> None:
    """A card id issued once — even revoked — cannot be issued to anyone again."""
    admin = admin_for(database)
    first = enrol(session_factory, admin, roles=("operator",))
    second = enrol(session_factory, admin, roles=("operator",), badge=False)
    with UnitOfWork(session_factory, admin) as uow:
        (badge,) = identity_admin.list_badges(uow, first.username)
        identity_admin.revoke_badge(uow, badge.id, "left")
        uow.commit()
    for who in (second.username, first.username):
        with UnitOfWork(session_factory, admin) as uow, pytest.raises(InvalidInput, match="never"):
            identity_admin.add_badge(uow, who, first.badge_uid or "")
    # and the database refuses it even if the service is bypassed
    with database.connect() as conn:
        conn.execute("SELECT set_config('workcell.actor', %s, true)", (admin,))
        digest = conn.execute("SELECT workcell.badge_digest(%s)", (first.badge_uid,)).fetchone()
        uid_row = conn.execute(
            "SELECT id FROM workcell.users WHERE username = %s", (second.username,)
        ).fetchone()
        assert digest and uid_row
        with pytest.raises(Exception, match="uq_badge_badge_hash"):
            conn.execute(
                "INSERT INTO workcell.badge (user_id, badge_hash) VALUES (%s, %s)",
                (uid_row[0], digest[0]),
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
    mine = new_pin()
    identity.change_pin(
        session_factory, person.badge_uid or "", person.pin, mine, station=STATION, policy=POLICY
    )
    assert not _auth(session_factory, person.creds(mine)).must_change_pin


def test_expired_pin_must_be_changed(database: TestDatabase, session_factory: Factory) -> None:
    """A PIN older than pin_expiry_days is refused until changed (server time decides)."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    with database.connect("admin") as conn:
        # Backdate through the superuser: the station role cannot write set_at at all.
        conn.execute("SELECT set_config('workcell.actor', 'system', true)")
        conn.execute(
            "INSERT INTO workcell.user_pin (user_id, pin_hash, temporary, set_at) "
            "SELECT user_id, pin_hash, false, now() - interval '181 days' FROM workcell.user_pin "
            "WHERE user_id = (SELECT id FROM workcell.users WHERE username = %s)",
            (person.username,),
        )
        conn.commit()
    with pytest.raises(PinExpired):
        _auth(session_factory, person.creds())
    identity.change_pin(
        session_factory, person.username, person.pin, new_pin(), station=STATION, policy=POLICY
    )


def test_station_cannot_backdate_a_pin(database: TestDatabase, session_factory: Factory) -> None:
    """who/when of a PIN come from database defaults: the app role cannot write set_at."""
    person = enrol(session_factory, admin_for(database), roles=("operator",))
    with database.connect() as conn:
        conn.execute("SELECT set_config('workcell.actor', 'system', true)")
        with pytest.raises(Exception, match="permission denied"):
            conn.execute(
                "INSERT INTO workcell.user_pin (user_id, pin_hash, temporary, set_at) "
                "SELECT id, '$argon2id$x', false, now() FROM workcell.users WHERE username = %s",
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
            session_factory, person.username, current, nxt, station=STATION, policy=POLICY
        )
        history.append(nxt)
        current = nxt
    with pytest.raises(InvalidInput, match="last 5"):
        identity.change_pin(
            session_factory, person.username, current, history[0], station=STATION, policy=POLICY
        )
    with pytest.raises(AuthenticationFailed, match="attempts left"):
        identity.change_pin(
            session_factory, person.username, new_pin(), new_pin(), station=STATION, policy=POLICY
        )


def test_concurrent_wrong_pins_are_all_counted(
    database: TestDatabase, session_factory: Factory
) -> None:
    """Five wrong PINs at the same moment from five stations lock the user exactly once."""
    from concurrent.futures import ThreadPoolExecutor

    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))

    def attempt(_: int) -> str:
        try:
            _auth(session_factory, person.creds(new_pin()))
        except AuthenticationFailed as exc:
            return type(exc).__name__
        return "accepted"

    with ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = list(pool.map(attempt, range(POLICY.max_failed_attempts)))
    assert "accepted" not in outcomes and "AccountLocked" in outcomes
    assert _status(session_factory, person.username) == "locked"
    kinds = _events(session_factory, admin, person)
    assert kinds.count("auth_failed") == POLICY.max_failed_attempts
    assert kinds.count("account_locked") == 1
