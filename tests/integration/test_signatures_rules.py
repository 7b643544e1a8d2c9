"""Signing rules: who may sign what, in which order, and who may not sign twice — every
refusal with a message a person can act on. Item approval is the first workflow."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import (
    AccountDisabled,
    AccountLocked,
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    PinChangeRequired,
    PinExpired,
    RuleViolation,
    SignatureRefused,
    StaleRecord,
)
from domain.services import identity_admin, item_approval, items, security, users
from domain.services.access_log import list_access
from domain.services.identity import Credentials
from domain.services.signatures import (
    RecordRef,
    SignatureView,
    describe_record,
    sign,
    signatures_for,
)
from domain.uow import UnitOfWork
from tests.conftest import TestDatabase, unique
from tests.identity_helpers import (
    POLICY,
    STATION,
    Person,
    admin_for,
    enrol,
    new_doc,
    new_pin,
    register_test_doc,
)
from tests.integration.identity_fixtures import as_person, backdate_pin, holding_session
from tests.sessions import as_system, session_of

pytestmark = pytest.mark.requirement("11.50", "11.200(a)(1)")

Factory = sessionmaker[Session]


def _item(session_factory: Factory, author: str) -> str:
    number = unique("IT").upper()
    with as_person(session_factory, author) as uow:
        items.create_item(uow, items.NewItem(number, "Drip chamber", "component", "ea"))
        uow.commit()
    return number


def _approve(
    session_factory: Factory,
    number: str,
    signer: Person,
    *,
    creds: Credentials | None = None,
    signed_in: bool = True,
    **kw: object,
) -> SignatureView:
    """The signer approves at the test station, signed in there (or, ``signed_in=False``, in
    a transaction with no session: the signature itself names the person)."""
    creds = creds or signer.creds()
    session = session_of(session_factory, signer.username) if signed_in else None
    with UnitOfWork(session_factory, session) as uow:
        view = item_approval.approve_item(
            uow,
            number,
            creds,
            station=STATION,
            policy=POLICY,
            **kw,  # type: ignore[arg-type]
        )
        uow.commit()
    return view


def _sign_doc(session_factory: Factory, doc: int, meaning: str, signer: Person) -> SignatureView:
    with as_person(session_factory, signer.username) as uow:
        view = sign(
            uow,
            RecordRef("pytest_doc", doc),
            meaning,
            signer.creds(),
            station=STATION,
            policy=POLICY,
        )
        uow.commit()
    return view


@pytest.fixture
def people(database: TestDatabase, session_factory: Factory) -> dict[str, Person]:
    admin = admin_for(database)
    return {
        role: enrol(session_factory, admin, roles=(role,), prefix=role[:3])
        for role in ("engineer", "qa", "operator", "supervisor")
    }


def test_qa_approves_an_item(
    database: TestDatabase, session_factory: Factory, people: dict[str, Person]
) -> None:
    """QA approval signs the draft and moves it to approved; the manifestation is complete."""
    number = _item(session_factory, people["engineer"].username)
    sig = _approve(session_factory, number, people["qa"], comment="checked against drawing")
    assert (sig.meaning, sig.printed_name, sig.method, sig.valid) == (
        "approved",
        people["qa"].printed_name,
        "badge+pin",
        True,
    )
    assert sig.station == "station_pytest" and sig.comment == "checked against drawing"
    assert sig.manifestation().line.startswith(f"Approved by {people['qa'].printed_name} on ")
    with UnitOfWork(session_factory, None) as uow:
        item = items.get_item(uow, number)
    assert (item.status, sig.record_version) == ("approved", 1)
    with database.connect() as conn:
        actor, reason = conn.execute(
            "SELECT actor, reason FROM audit.entry WHERE table_name = 'workcell.item' "
            "AND record_key = %s AND operation = 'UPDATE' ORDER BY id DESC LIMIT 1",
            (str(item.id),),
        ).fetchone() or (None, None)
    assert actor == people["qa"].username
    assert reason == f"approved by signature {sig.id}"


def test_author_cannot_approve_own_item(
    database: TestDatabase, session_factory: Factory, people: dict[str, Person]
) -> None:
    """Segregation of duties: the item's author is refused as its approver (someone who
    holds both item.create and item.approve)."""
    author = enrol(session_factory, admin_for(database), roles=("engineer", "qa"), prefix="eq")
    number = _item(session_factory, author.username)
    with pytest.raises(SignatureRefused, match="is the author of this item"):
        _approve(session_factory, number, author)


def test_admin_is_refused_a_signing_meaning(
    database: TestDatabase, session_factory: Factory, people: dict[str, Person]
) -> None:
    """Anyone holding the admin role is refused production signatures, even with QA too."""
    admin = admin_for(database)
    admin_qa = enrol(session_factory, admin, roles=("qa", "admin"), prefix="aq")
    number = _item(session_factory, people["engineer"].username)
    with pytest.raises(SignatureRefused, match="administrators do not sign production records"):
        _approve(session_factory, number, admin_qa)


def test_admin_role_cannot_be_given_a_signing_permission(database: TestDatabase) -> None:
    """The database refuses granting a 'sign' permission to the admin role (WC012)."""
    with database.connect("admin") as conn:
        as_system(conn, reason="test: admin signing permission")
        with pytest.raises(Exception, match="admin role cannot hold the signing permission"):
            conn.execute(
                "INSERT INTO workcell.role_permission (role, permission) "
                "VALUES ('admin', 'item.approve')"
            )


def test_operator_is_refused_approval_with_the_role_needed(
    database: TestDatabase, session_factory: Factory, people: dict[str, Person]
) -> None:
    """Without the permission the refusal names the permission and the role that has it."""
    number = _item(session_factory, people["engineer"].username)
    with pytest.raises(SignatureRefused, match=r"item\.approve permission \(role: qa\)"):
        _approve(session_factory, number, people["operator"])


def test_unverified_identity_cannot_sign(database: TestDatabase, session_factory: Factory) -> None:
    """§11.100(b): no identity-verification record, no signature."""
    admin = admin_for(database)
    qa = enrol(session_factory, admin, roles=("qa",), verified=False)
    number = _item(session_factory, enrol(session_factory, admin, roles=("engineer",)).username)
    with pytest.raises(SignatureRefused, match="verifying their identity"):
        _approve(session_factory, number, qa)


def test_policy_not_acknowledged_cannot_sign(
    database: TestDatabase, session_factory: Factory
) -> None:
    """§11.10(j): the e-signature policy must be acknowledged before the first signature."""
    admin = admin_for(database)
    qa = enrol(session_factory, admin, roles=("qa",), acknowledged=False)
    number = _item(session_factory, enrol(session_factory, admin, roles=("engineer",)).username)
    with pytest.raises(SignatureRefused, match="policy has not been acknowledged"):
        _approve(session_factory, number, qa)
    identity_admin.acknowledge_policy(session_factory, qa.creds(), station=STATION, policy=POLICY)
    assert _approve(session_factory, number, qa).valid


def test_identity_cannot_be_self_verified(database: TestDatabase, session_factory: Factory) -> None:
    """An administrator cannot record their own identity check: the service, the database
    function (WC012), no direct write for a station, and owner-side the table's check."""
    admin = admin_for(database)
    with as_person(session_factory, admin) as uow, pytest.raises(RuleViolation):
        identity_admin.verify_identity(uow, admin, "I know me")
    with database.connect() as conn:
        holding_session(conn, session_factory, admin)
        with pytest.raises(psycopg.Error) as err:
            conn.execute("SELECT workcell.verify_identity(%s, 'me')", (admin,))
        assert err.value.sqlstate == "WC012"
        conn.rollback()
        holding_session(conn, session_factory, admin)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO workcell.identity_verification (user_id, method) "
                "SELECT id, 'me' FROM workcell.users WHERE username = %s",
                (admin,),
            )
    with database.connect("admin") as conn:
        as_system(conn, reason="test: self-verification")
        with pytest.raises(Exception, match="ck_identity_verification_not_self"):
            conn.execute(
                "INSERT INTO workcell.identity_verification (user_id, method, verified_by) "
                "SELECT id, 'me', id FROM workcell.users WHERE username = %s",
                (admin,),
            )


@pytest.mark.parametrize("state", ["disabled", "locked", "temporary", "expired"])
def test_unusable_accounts_cannot_sign(
    database: TestDatabase, session_factory: Factory, people: dict[str, Person], state: str
) -> None:
    """Disabled, locked, admin-set-PIN and expired-PIN users are refused a signature (at a
    station where they are not signed in: none of them could sign in)."""
    admin = admin_for(database)
    qa = enrol(session_factory, admin, roles=("qa",), temporary=state == "temporary")
    if state in ("disabled", "locked"):
        with as_person(session_factory, admin) as uow:
            if state == "disabled":
                users.disable_user(uow, qa.username, "left")
            else:
                identity_admin.lock_user(uow, qa.username, "investigation")
            uow.commit()
    if state == "expired":
        backdate_pin(database, qa.username, 400)
    expected = {
        "disabled": AccountDisabled,
        "locked": AccountLocked,
        "temporary": PinChangeRequired,
        "expired": PinExpired,
    }[state]
    number = _item(session_factory, people["engineer"].username)
    with pytest.raises(expected):
        _approve(session_factory, number, qa, signed_in=False)
    with UnitOfWork(session_factory, None) as uow:
        assert items.get_item(uow, number).status == "draft"


def test_wrong_pin_while_signing_is_counted_though_signing_fails(
    database: TestDatabase, session_factory: Factory, people: dict[str, Person]
) -> None:
    """The failure event is committed apart from the rolled-back signing transaction."""
    qa = enrol(session_factory, admin_for(database), roles=("qa",))
    number = _item(session_factory, people["engineer"].username)
    with pytest.raises(AuthenticationFailed, match="4 attempts left"):
        _approve(session_factory, number, qa, creds=qa.creds(new_pin()))
    with as_person(session_factory, admin_for(database)) as uow:
        events = security.list_security_events(uow, user=qa.username, kinds=["auth_failed"])
        refused = list_access(uow, user=qa.username, outcome="refused")
    assert len(events) == 1
    assert "signing item" in events[0].detail
    assert [(r.purpose, r.method) for r in refused] == [("sign", "badge+pin")]
    with UnitOfWork(session_factory, None) as uow:
        assert signatures_for(uow, RecordRef("item", items.get_item(uow, number).id)) == []


def test_signature_needs_both_components(
    database: TestDatabase, session_factory: Factory, people: dict[str, Person]
) -> None:
    """A PIN without a badge or username, or a badge without a PIN, is refused before
    anything is checked (§11.200(a)(1): two components)."""
    number = _item(session_factory, people["engineer"].username)
    with pytest.raises(Exception, match="Tap your badge"):
        _approve(session_factory, number, people["qa"], creds=Credentials(pin=people["qa"].pin))
    no_pin = Credentials(pin="", badge_uid=people["qa"].badge_uid)
    with pytest.raises(Exception, match="Enter your PIN"):
        _approve(session_factory, number, people["qa"], creds=no_pin)


def test_stale_version_is_refused(
    database: TestDatabase, session_factory: Factory, people: dict[str, Person]
) -> None:
    """Signing what you saw: a version that moved on is refused with a reload hint."""
    number = _item(session_factory, people["engineer"].username)
    with pytest.raises(StaleRecord, match="Reload"):
        _approve(session_factory, number, people["qa"], expected_version=7)


def test_review_must_precede_approval_by_different_people(
    database: TestDatabase, session_factory: Factory, people: dict[str, Person]
) -> None:
    """Order (reviewed before approved) and author ≠ reviewer ≠ approver."""
    register_test_doc(database)
    admin = admin_for(database)
    qa2 = enrol(session_factory, admin, roles=("qa",))
    doc = new_doc(database, people["engineer"].username)
    with pytest.raises(SignatureRefused, match='must be signed as "reviewed" before'):
        _sign_doc(session_factory, doc, "approved", people["qa"])
    _sign_doc(session_factory, doc, "reviewed", people["qa"])
    with pytest.raises(SignatureRefused, match='already signed this pytest_doc as "reviewed"'):
        _sign_doc(session_factory, doc, "approved", people["qa"])
    assert _sign_doc(session_factory, doc, "approved", qa2).valid


def test_performer_cannot_verify(
    database: TestDatabase, session_factory: Factory, people: dict[str, Person]
) -> None:
    """performer ≠ verifier; signing the same meaning twice is refused too."""
    register_test_doc(database)
    admin = admin_for(database)
    other_sup = enrol(session_factory, admin, roles=("supervisor",))
    doc = new_doc(database, people["engineer"].username)
    _sign_doc(session_factory, doc, "performed", people["supervisor"])
    with pytest.raises(SignatureRefused, match="already signed"):
        _sign_doc(session_factory, doc, "performed", people["supervisor"])
    with pytest.raises(SignatureRefused, match='cannot also sign it as "verified"'):
        _sign_doc(session_factory, doc, "verified", people["supervisor"])
    assert _sign_doc(session_factory, doc, "verified", other_sup).valid


def test_unknown_meaning_lists_the_allowed_ones(
    database: TestDatabase, session_factory: Factory, people: dict[str, Person]
) -> None:
    """A meaning without a rule is refused, naming the meanings that exist."""
    number = _item(session_factory, people["engineer"].username)
    with UnitOfWork(session_factory, None) as uow:
        item_id = items.get_item(uow, number).id
    with (
        as_person(session_factory, people["qa"].username) as uow,
        pytest.raises(SignatureRefused, match="Meanings allowed: approved"),
    ):
        sign(
            uow,
            RecordRef("item", item_id),
            "released",
            people["qa"].creds(),
            station=STATION,
            policy=POLICY,
        )


def test_security_event_acknowledged_by_signature(
    database: TestDatabase, session_factory: Factory, people: dict[str, Person]
) -> None:
    """A supervisor acknowledges an event with a signature; the person concerned cannot."""
    admin = admin_for(database)
    target = enrol(session_factory, admin, roles=("supervisor",))
    with pytest.raises(AuthenticationFailed):
        _approve(
            session_factory,
            _item(session_factory, people["engineer"].username),
            target,
            creds=target.creds(new_pin()),
        )
    with as_person(session_factory, people["supervisor"].username) as uow:
        (event,) = security.list_security_events(uow, user=target.username, kinds=["auth_failed"])
    with (
        as_person(session_factory, target.username) as uow,
        pytest.raises(SignatureRefused, match="author"),
    ):
        security.acknowledge_event(uow, event.id, target.creds(), station=STATION, policy=POLICY)
    sup = people["supervisor"]
    with as_person(session_factory, sup.username) as uow:
        security.acknowledge_event(uow, event.id, sup.creds(), station=STATION, policy=POLICY)
        uow.commit()
    with as_person(session_factory, sup.username) as uow:
        (seen,) = security.list_security_events(uow, user=target.username, kinds=["auth_failed"])
        assert seen.acknowledged_by == sup.printed_name
        pending = security.list_security_events(uow, user=target.username, unacknowledged_only=True)
        assert event.id not in {e.id for e in pending}
        with pytest.raises(RuleViolation, match="already acknowledged"):
            security.acknowledge_event(uow, event.id, sup.creds(), station=STATION, policy=POLICY)


def test_operator_cannot_list_security_events(
    session_factory: Factory, people: dict[str, Person]
) -> None:
    """Security events are for supervisors, QA, admins and auditors."""
    with (
        as_person(session_factory, people["operator"].username) as uow,
        pytest.raises(PermissionDenied, match=r"security\.view"),
    ):
        security.list_security_events(uow)


def test_describe_record_shows_what_will_be_signed(
    session_factory: Factory, people: dict[str, Person]
) -> None:
    """The signing dialog's summary: title, version, lines; unknown records are refused."""
    number = _item(session_factory, people["engineer"].username)
    with UnitOfWork(session_factory, None) as uow:
        item_id = items.get_item(uow, number).id
        summary = describe_record(uow, RecordRef("workcell.item", item_id))
        assert summary.title == f"Item {number} — Drip chamber"
        assert summary.version == 1 and "Unit: ea" in summary.lines
        with pytest.raises(NotFound):
            describe_record(uow, RecordRef("item", item_id + 10_000_000))
    with (
        UnitOfWork(session_factory, None) as uow,
        pytest.raises(SignatureRefused, match="cannot be signed"),
    ):
        describe_record(uow, RecordRef("no_such_record", 1))
