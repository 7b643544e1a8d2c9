"""Operational qualification: the main controls exercised on a scratch database.

The caller (kiosk/validation.py) creates the scratch database on the plant's server with
this release's migrations and a station login of its own, and drops both afterwards; the
checks here create the people they need through the real functions (bootstrap, PINs set by
an administrator and replaced by their owner, identity verified, policy acknowledged) and
attack as a plain station login over psycopg, reading back as the superuser that nothing
changed. Superuser tampering comes last: it leaves the scratch trail broken on purpose.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from domain.audit.seal import seal
from domain.audit.verify import verify
from domain.db import make_session_factory
from domain.errors import AccountLocked, AuthenticationFailed, SignatureRefused, WorkCellError
from domain.operations.checks import Check, Spec, execute
from domain.services import access, identity, identity_admin, item_approval, items, users
from domain.services.identity import Credentials
from domain.services.pin_policy import IdentityPolicy, is_trivial
from domain.services.signatures import verify as verify_signature
from domain.uow import StationSession, UnitOfWork

ADMIN = "oq.admin"


def new_pin() -> str:
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(8))
        if not is_trivial(pin):
            return pin


@dataclass
class Scratch:
    """The scratch database: engines and plain DSNs of its superuser and station login."""

    admin: Engine
    station: Engine
    admin_dsn: str
    station_dsn: str
    station_name: str
    policy: IdentityPolicy
    pins: dict[str, str]

    @property
    def factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.station)

    def creds(self, username: str) -> Credentials:
        return Credentials(pin=self.pins[username], username=username)

    def session(self, username: str) -> StationSession:
        who = identity.authenticate(
            self.factory, self.creds(username), station=self.station_name, policy=self.policy
        )
        assert who.session is not None
        return who.session

    def uow(self, username: str, reason: str | None = None) -> UnitOfWork:
        return UnitOfWork(self.factory, self.session(username), reason)

    def superuser(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.admin_dsn)

    def count(self, sql: str, *params: object) -> int:
        with self.superuser() as conn:
            row = conn.execute(sql, params).fetchone()
        return int(row[0]) if row else 0


def prepare(scratch: Scratch) -> None:
    """The first administrator (bootstrap) and the people the checks act as."""
    pin = new_pin()
    with UnitOfWork.system(make_session_factory(scratch.admin), "bootstrap") as uow:
        identity_admin.bootstrap_admin(uow, ADMIN, "OQ Administrator", pin, policy=scratch.policy)
        uow.commit()
    scratch.pins[ADMIN] = pin
    cast = {
        "oq.eng": ("engineer",),
        "oq.qa": ("qa",),
        "oq.both": ("engineer", "qa"),
        "oq.lock": ("operator",),
    }
    temporary = {name: new_pin() for name in cast}
    with scratch.uow(ADMIN, "operational qualification: test people") as uow:
        for name, roles in cast.items():
            users.add_user(uow, name, f"OQ {name.removeprefix('oq.').title()}")
            for role in roles:
                access.grant_role(uow, name, role)
            identity_admin.set_pin(uow, name, temporary[name], policy=scratch.policy)
            identity_admin.verify_identity(uow, name, "operational qualification")
        uow.commit()
    for name in cast:
        own = new_pin()
        identity.change_pin(
            scratch.factory,
            Credentials(pin=temporary[name], username=name),
            own,
            station=scratch.station_name,
            policy=scratch.policy,
        )
        scratch.pins[name] = own
        identity_admin.acknowledge_policy(
            scratch.factory, scratch.creds(name), station=scratch.station_name,
            policy=scratch.policy,
        )  # fmt: skip


@contextmanager
def station_conn(scratch: Scratch, token: str | None = None) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(scratch.station_dsn) as conn:
        if token:
            conn.execute("SELECT set_config('workcell.session', %s, false)", (token,))
        yield conn


def attempt(
    conn: psycopg.Connection[Any], sql: str, *params: object, first: str | None = None
) -> str | None:
    """Run ``first`` (set-up, e.g. a forged setting) then ``sql`` in one transaction; the
    SQLSTATE the attack was refused with, or None when it went through (rolled back either
    way: an attack is never committed)."""
    try:
        if first:
            conn.execute(first)
        conn.execute(sql, params)
    except psycopg.Error as exc:
        conn.rollback()
        return exc.sqlstate or "refused"
    conn.rollback()
    return None


def _is_control(code: str | None) -> bool:
    """A refusal by a WorkCell rule (WCnnn) or by a missing privilege (42501). A syntax
    error or an unknown column would be the check's own fault: it proves nothing."""
    return code is not None and (code.startswith("WC") or code == "42501")


def _refused(results: dict[str, str | None], unchanged: bool) -> tuple[str, bool]:
    def said(code: str | None) -> str:
        if code is None:
            return "ACCEPTED"
        return f"refused {code}" if _is_control(code) else f"failed {code} (not a control)"

    parts = [f"{what}: {said(code)}" for what, code in results.items()]
    parts.append("nothing changed" if unchanged else "SOMETHING CHANGED")
    return "; ".join(parts), all(_is_control(c) for c in results.values()) and unchanged


_ITEM = (
    "INSERT INTO workcell.item (item_number, description, item_type, unit) "
    "VALUES (%s, 'oq', 'raw', 'kg')"
)
_ENTRIES = "SELECT count(*) FROM audit.entry"


def _attribution(s: Scratch) -> tuple[str, bool]:
    before = s.count(_ENTRIES), s.count("SELECT count(*) FROM workcell.item")
    with station_conn(s) as conn:
        results = {"insert without a session": attempt(conn, _ITEM, "OQ-NOSESSION")}
        results["insert naming a person in workcell.actor"] = attempt(
            conn, _ITEM, "OQ-ACTOR", first=f"SELECT set_config('workcell.actor', '{ADMIN}', true)"
        )
        results["insert claiming the system actor"] = attempt(
            conn,
            _ITEM,
            "OQ-SYSTEM",
            first="SELECT set_config('workcell.system_actor', 'system', true)",
        )
    with station_conn(s, secrets.token_hex(32)) as conn:
        results["insert with a forged session token"] = attempt(conn, _ITEM, "OQ-FORGED")
    after = s.count(_ENTRIES), s.count("SELECT count(*) FROM workcell.item")
    return _refused(results, before == after)


def _append_only(s: Scratch) -> tuple[str, bool]:
    before = s.count("SELECT count(*) FROM audit.entry WHERE reason = 'oq tamper'")
    total = s.count(_ENTRIES)
    with station_conn(s) as conn:
        results = {
            "station UPDATE of an entry": attempt(
                conn, "UPDATE audit.entry SET reason = 'oq tamper' WHERE id = 1"
            ),
            "station DELETE of an entry": attempt(conn, "DELETE FROM audit.entry WHERE id = 1"),
        }
    with s.superuser() as conn:
        conn.execute("SET ROLE workcell_owner")
        results["owner UPDATE of an entry"] = attempt(
            conn, "UPDATE audit.entry SET reason = 'oq tamper' WHERE id = 1"
        )
        conn.execute("SET ROLE workcell_owner")
        results["owner TRUNCATE of the trail"] = attempt(conn, "TRUNCATE audit.entry")
    unchanged = (
        s.count("SELECT count(*) FROM audit.entry WHERE reason = 'oq tamper'") == before
        and s.count(_ENTRIES) == total
    )
    return _refused(results, unchanged)


def _approved(s: Scratch, author: str, number: str) -> int:
    with s.uow(author) as uow:
        items.create_item(uow, items.NewItem(number, "OQ part", "component", "ea"))
        uow.commit()
    with s.uow("oq.qa") as uow:
        sig = item_approval.approve_item(
            uow, number, s.creds("oq.qa"), station=s.station_name, policy=s.policy
        )
        uow.commit()
    return sig.id


def _binding(s: Scratch) -> tuple[str, bool]:
    sig_id = _approved(s, "oq.eng", "OQ-BIND-1")
    with UnitOfWork(s.factory, None) as uow:
        first = verify_signature(uow, sig_id)
    with s.uow("oq.qa") as uow:
        item_approval.return_to_draft(uow, "OQ-BIND-1", "operational qualification")
        uow.commit()
    with s.uow("oq.eng") as uow:
        changes = item_approval.ItemChanges(description="OQ part, changed after signing")
        item_approval.edit_draft_item(uow, "OQ-BIND-1", changes, "operational qualification")
        uow.commit()
    with UnitOfWork(s.factory, None) as uow:
        after = verify_signature(uow, sig_id)
    actual = (
        f"after signing: {'valid' if first.valid else 'NOT valid'}; after the content changed: "
        f"{'valid' if after.valid else 'not valid (' + (after.reason or '') + ')'}"
    )
    return actual, first.valid and not after.valid


def _refusal(action: Callable[[], object], expected: type[Exception]) -> str | None:
    try:
        action()
    except expected as exc:
        return f"{type(exc).__name__}: {exc}"
    except WorkCellError as exc:
        return f"refused, but as {type(exc).__name__}: {exc}"
    return None


def _segregation(s: Scratch) -> tuple[str, bool]:
    with s.uow("oq.both") as uow:
        items.create_item(uow, items.NewItem("OQ-SOD-1", "OQ part", "component", "ea"))
        uow.commit()
    signatures = "SELECT count(*) FROM workcell.signature"
    before = s.count(signatures)

    def approve_own() -> None:
        with s.uow("oq.both") as uow:
            item_approval.approve_item(
                uow, "OQ-SOD-1", s.creds("oq.both"), station=s.station_name, policy=s.policy
            )
            uow.commit()

    refusal = _refusal(approve_own, SignatureRefused)
    unchanged = s.count(signatures) == before
    ok = refusal is not None and refusal.startswith("SignatureRefused") and unchanged
    return f"author approving their own item: {refusal or 'ACCEPTED'}", ok


def _components(s: Scratch) -> tuple[str, bool]:
    with s.uow("oq.eng") as uow:
        items.create_item(uow, items.NewItem("OQ-PIN-1", "OQ part", "component", "ea"))
        uow.commit()
    signatures = "SELECT count(*) FROM workcell.signature"
    before = s.count(signatures)
    wrong = Credentials(pin=new_pin(), username="oq.qa")

    def sign_with_wrong_pin() -> None:
        with s.uow("oq.qa") as uow:
            item_approval.approve_item(
                uow, "OQ-PIN-1", wrong, station=s.station_name, policy=s.policy
            )
            uow.commit()

    refusal = _refusal(sign_with_wrong_pin, AuthenticationFailed)
    unchanged = s.count(signatures) == before
    ok = (
        refusal is not None
        and refusal.startswith(("AuthenticationFailed", "Account"))
        and unchanged
    )
    return f"signing with a wrong PIN: {refusal or 'ACCEPTED'}", ok and unchanged


def _lockout(s: Scratch) -> tuple[str, bool]:
    limit = s.count("SELECT max_failed_attempts FROM workcell.identity_policy WHERE id = 1")
    wrong = Credentials(pin=new_pin(), username="oq.lock")
    outcomes = []
    for _ in range(limit):
        try:
            identity.authenticate(s.factory, wrong, station=s.station_name, policy=s.policy)
            outcomes.append("accepted")
        except AuthenticationFailed as exc:
            outcomes.append(type(exc).__name__)
    refusal = _refusal(
        lambda: identity.authenticate(
            s.factory, s.creds("oq.lock"), station=s.station_name, policy=s.policy
        ),
        AccountLocked,
    )
    events = s.count(
        "SELECT count(*) FROM workcell.security_event e JOIN workcell.users u"
        " ON u.id = e.user_id WHERE u.username = 'oq.lock' AND e.kind = 'account_locked'"
    )
    actual = (
        f"{limit} wrong PINs: {', '.join(outcomes)}; then the right PIN: "
        f"{refusal or 'ACCEPTED'}; lockout security events: {events}"
    )
    ok = "accepted" not in outcomes and bool(refusal and refusal.startswith("AccountLocked"))
    return actual, ok and events >= 1


def _guards(s: Scratch) -> tuple[str, bool]:
    with s.uow("oq.eng") as uow:
        items.create_item(uow, items.NewItem("OQ-GUARD-1", "OQ part", "component", "ea"))
        uow.commit()
    token = s.session("oq.qa").token
    state = (
        "SELECT count(*) FROM workcell.item WHERE item_number = 'OQ-GUARD-1' AND status = 'draft'"
    )
    with station_conn(s, token) as conn:
        results = {
            "status set to approved without a signature": attempt(
                conn,
                "UPDATE workcell.item SET status = 'approved', version = version + 1"
                " WHERE item_number = 'OQ-GUARD-1'",
            ),
            "created_by supplied by the station": attempt(
                conn,
                "INSERT INTO workcell.item (item_number, description, item_type, unit,"
                " created_by) VALUES ('OQ-GUARD-2', 'x', 'raw', 'kg', 1)",
            ),
        }
    return _refused(results, s.count(state) == 1)


_ATTACKS = {
    "call the audit writer directly": "SELECT audit.append_entry(true, 'workcell', 'item',"
    " 'INSERT', '{}'::text[], NULL::workcell.item, NULL::workcell.item)",
    "insert an audit entry": "INSERT INTO audit.entry (actor) VALUES ('x')",
    "create a table": "CREATE TABLE public.oq_attack (a int)",
    "create a temporary table": "CREATE TEMP TABLE oq_attack (a int)",
    "switch the audit trigger off": "ALTER TABLE workcell.item DISABLE TRIGGER audit_row",
    "skip triggers (replica role)": "SET session_replication_role = replica",
    "read PIN verifiers": "SELECT * FROM auth.pin_verifier",
    "grant a role to oneself": "UPDATE workcell.user_role SET role = 'admin'",
    "re-enable a locked account": "UPDATE workcell.users SET status = 'active'",
    "lock the sealer's table": "LOCK TABLE audit.chain IN EXCLUSIVE MODE",
}


def _station_attacks(s: Scratch) -> tuple[str, bool]:
    before = s.count(_ENTRIES), s.count("SELECT count(*) FROM workcell.user_role")
    token = s.session("oq.eng").token
    with station_conn(s, token) as conn:
        results = {what: attempt(conn, sql) for what, sql in _ATTACKS.items()}
    after = s.count(_ENTRIES), s.count("SELECT count(*) FROM workcell.user_role")
    # signing in wrote its own entries; the attacks wrote none
    return _refused(results, after[1] == before[1] and after[0] - before[0] <= 4)


def _tamper(s: Scratch) -> tuple[str, bool]:
    seal(s.admin)
    with s.superuser() as conn:
        row = conn.execute(
            "SELECT c.entry_id FROM audit.chain c ORDER BY c.position DESC LIMIT 1"
        ).fetchone()
        assert row is not None
        conn.execute("ALTER TABLE audit.entry DISABLE TRIGGER append_only")
        conn.execute("UPDATE audit.entry SET reason = 'edited by a superuser' WHERE id = %s", row)
        conn.execute("ALTER TABLE audit.entry ENABLE ALWAYS TRIGGER append_only")
        conn.commit()
    report = verify(s.admin, (), full=True)
    named = any(p.entry_id == row[0] for p in report.problems)
    first = report.first.message if report.first else "none"
    actual = (
        f"edited entry {row[0]}: verify {'NOT INTACT' if not report.ok else 'INTACT'} ({first})"
    )
    return actual, not report.ok and named


def _trigger_off(s: Scratch) -> tuple[str, bool]:
    with s.superuser() as conn:
        conn.execute("ALTER TABLE workcell.item ENABLE TRIGGER audit_row")  # plain ENABLE
        conn.commit()
    report = verify(s.admin, (), full=True)
    found = [p.message for p in report.problems if "audit_row" in p.message]
    return f"audit_row set to plain ENABLE: {found[0] if found else 'NOT reported'}", bool(found)


def operational_qualification(scratch: Scratch) -> list[Check]:
    """Every OQ check, in order; the set-up's own failure fails the first check."""
    on = scratch
    specs = [
        Spec("OQ-01", "Attribution refused without a person",
             "A station login alone, a named actor, a claimed system actor or a forged "
             "session writes nothing", ("11.10(d)", "11.10(e)", "ALCOA attributable"),
             "each insert refused with a SQLSTATE; no row, no entry",
             lambda: _attribution(on)),
        Spec("OQ-02", "Audit trail append-only",
             "Nobody, the owner included, edits, deletes or truncates an audit entry",
             ("11.10(e)", "Annex 11 §9"), "station 42501, owner WC005; trail unchanged",
             lambda: _append_only(on)),
        Spec("OQ-03", "Signature binding", "A signature no longer validates once the signed "
             "content changed", ("11.70", "11.50"), "valid after signing, not valid after "
             "the change", lambda: _binding(on)),
        Spec("OQ-04", "Segregation of duties", "The author of an item cannot approve it",
             ("11.10(g)",), "refused (SignatureRefused); no signature written",
             lambda: _segregation(on)),
        Spec("OQ-05", "Signature components", "Signing needs the signer's own PIN",
             ("11.200(a)(1)", "11.300(d)"), "wrong PIN refused; no signature written",
             lambda: _components(on)),
        Spec("OQ-06", "Lockout", "Repeated wrong PINs lock the account and raise a security "
             "event", ("11.300(d)", "Annex 11 §12"), "locked after the policy's limit; right "
             "PIN then refused (AccountLocked); lockout event recorded", lambda: _lockout(on)),
        Spec("OQ-07", "Guards and server-only facts", "A status move without its rule, and "
             "a server-only column set by a station, are refused", ("11.10(f)", "11.10(g)"),
             "both refused with a SQLSTATE; item still draft", lambda: _guards(on)),
        Spec("OQ-08", "Station-login attacks", "A signed-in station login cannot bypass the "
             "trail, create objects, read secrets or change roles",
             ("11.10(d)", "11.10(e)", "11.10(g)", "11.300(d)"),
             "every statement refused with a SQLSTATE; nothing changed",
             lambda: _station_attacks(on)),
        Spec("OQ-09", "Tamper detected", "A superuser's edit of a sealed entry is reported",
             ("11.10(a)", "11.10(e)", "Annex 11 §9"), "verify NOT INTACT, naming the entry",
             lambda: _tamper(on)),
        Spec("OQ-10", "Audit switched to plain ENABLE detected", "A trigger that replica "
             "sessions would skip is reported", ("11.10(a)", "11.10(e)"),
             "verify names audit_row of workcell.item", lambda: _trigger_off(on)),
    ]  # fmt: skip
    return execute("OQ", specs)
