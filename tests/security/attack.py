"""The attacker's toolkit: a plain station login (psycopg, no domain layer) against a test
database whose people are created owner-side, and a snapshot of every table an attack could
touch, read back as the superuser.

People are made the way migration 0007 leaves room for owner-side set-up: the owner role
with the 'system' actor and a reason, rows inserted directly, the PIN verifier through
auth.store_verifier (salt and stored key computed by domain.services.scram at the policy's
argon2id cost, which the suite lowers first).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from domain.services import scram
from kiosk import dbadmin
from tests.conftest import TestDatabase, create_test_database, drop_test_database

# The station every "no token" attack comes from: the plain test login.
DEFAULT_STATION = "station_pytest"

# Extra station logins (cluster-wide roles, registered in each test database). Attacks that
# move a station's failure counter get a station of their own, so one test's burst never
# blocks another test's station.
STATIONS: dict[str, dict[str, Any]] = {
    "station_sec_a": {
        "name": "sec-a",
        "methods": ("badge+pin", "username+pin"),
        "concurrent": True,
    },
    "station_sec_b": {"name": "sec-b", "methods": ("badge+pin",), "concurrent": False},
    "station_sec_roll": {"name": "sec-roll", "methods": ("badge+pin",), "concurrent": False},
    "station_sec_burst": {"name": "sec-burst", "methods": ("badge+pin",), "concurrent": False},
    "station_sec_guess": {"name": "sec-guess", "methods": ("badge+pin",), "concurrent": True},
    "station_sec_sp": {"name": "sec-sp", "methods": ("badge+pin",), "concurrent": True},
    "station_sec_lock": {"name": "sec-lock", "methods": ("badge+pin",), "concurrent": True},
    "station_sec_mask": {"name": "sec-mask", "methods": ("badge+pin",), "concurrent": True},
    "station_sec_look": {"name": "sec-look", "methods": ("badge+pin",), "concurrent": True},
    "station_sec_admin": {
        "name": "sec-admin",
        "methods": ("badge+pin", "username+pin"),
        "concurrent": True,
    },
}

# Everything an attack on identity, signatures or the audit trail could change.
WATCHED: tuple[str, ...] = (
    "workcell.users",
    "workcell.user_role",
    "workcell.user_pin",
    "workcell.badge",
    "workcell.identity_verification",
    "workcell.policy_acknowledgement",
    "workcell.security_event",
    "workcell.signature",
    "workcell.item",
    "workcell.station",
    "workcell.identity_policy",
    "workcell.access_log",
    "workcell.installation_secret",
    "audit.entry",
    "auth.pin_verifier",
    "auth.session",
    "auth.counter_base",
)

CHEAP = {"argon2_memory_kib": 64, "argon2_time_cost": 1, "argon2_parallelism": 1}


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    printed_name: str
    pin: str
    badge: str | None

    def identifier(self, method: str) -> str:
        if method == "badge+pin":
            assert self.badge is not None, f"{self.username} has no badge"
            return self.badge
        return self.username


@dataclass(frozen=True)
class Challenge:
    id: int
    auth_message: str
    salt: str
    cost: scram.Cost
    history: list[dict[str, Any]]


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def new_pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(6))


def new_badge() -> str:
    return secrets.token_hex(7).upper()


def wrong_pin(pin: str) -> str:
    return pin[:-1] + ("0" if pin[-1] != "0" else "1")


@dataclass
class Lab:
    """This run's database, seen from both sides."""

    db: TestDatabase
    cost: scram.Cost

    # -- connections -------------------------------------------------------------------

    def station_dsn(self, role: str = DEFAULT_STATION) -> str:
        url = make_url(self.db.station).set(drivername="postgresql", username=role, password=None)
        return url.render_as_string(hide_password=False)

    def station(self, role: str = DEFAULT_STATION) -> psycopg.Connection[Any]:
        """A plain station login, autocommit: each statement outside ``transaction()`` is
        its own committed transaction (as a challenge must be)."""
        return psycopg.connect(self.station_dsn(role), autocommit=True)

    def superuser(self) -> psycopg.Connection[Any]:
        return self.db.connect("admin", autocommit=True)

    @contextmanager
    def owner(self, reason: str = "security test set-up") -> Iterator[psycopg.Connection[Any]]:
        """Owner-side system work in one committed transaction."""
        with self.db.connect("admin") as conn:
            conn.execute("SET LOCAL ROLE workcell_owner")
            conn.execute(
                "SELECT set_config('workcell.system_actor', 'system', true),"
                " set_config('workcell.reason', %s, true)",
                (reason,),
            )
            yield conn
            conn.commit()

    # -- people and records ------------------------------------------------------------

    def person(
        self,
        roles: Sequence[str] = (),
        *,
        prefix: str = "p",
        badge: bool = True,
        verified: bool = True,
        acknowledged: bool = True,
        temporary: bool = False,
        pin: bool = True,
    ) -> Person:
        username, secret = unique(prefix), new_pin()
        uid = new_badge() if badge else None
        verifier = scram.new_verifier(secret, self.cost)
        with self.owner("security test: a person") as conn:
            row = conn.execute(
                "INSERT INTO workcell.users (username, printed_name) VALUES (%s, %s) RETURNING id",
                (username, f"Sec {username.title()}"),
            ).fetchone()
            assert row is not None
            user_id = int(row[0])
            for role in roles:
                conn.execute(
                    "INSERT INTO workcell.user_role (user_id, role) VALUES (%s, %s)",
                    (user_id, role),
                )
            if pin:
                conn.execute(
                    "SELECT auth.store_verifier(%s, %s, %s, %s, %s, %s, %s)",
                    (
                        user_id,
                        temporary,
                        verifier.salt,
                        self.cost.memory_kib,
                        self.cost.time_cost,
                        self.cost.parallelism,
                        verifier.stored_key,
                    ),
                )
            if uid is not None:
                conn.execute(
                    "INSERT INTO workcell.badge (user_id, badge_hash)"
                    " VALUES (%s, workcell.badge_digest(%s))",
                    (user_id, uid),
                )
            if verified:
                conn.execute(
                    "INSERT INTO workcell.identity_verification (user_id, method)"
                    " VALUES (%s, 'photo ID checked (security tests)')",
                    (user_id,),
                )
            if acknowledged:
                conn.execute(
                    "INSERT INTO workcell.policy_acknowledgement (user_id, policy_version)"
                    " SELECT %s, signature_policy_version FROM workcell.identity_policy",
                    (user_id,),
                )
        return Person(user_id, username, f"Sec {username.title()}", secret, uid)

    def item(self) -> int:
        with self.owner("security test: an item") as conn:
            row = conn.execute(
                "INSERT INTO workcell.item (item_number, description, item_type, unit)"
                " VALUES (%s, 'security test item', 'component', 'ea') RETURNING id",
                (unique("SEC-").upper(),),
            ).fetchone()
            assert row is not None
            return int(row[0])

    def lock(self, person: Person) -> None:
        with self.owner("security test: locked by the owner") as conn:
            conn.execute(
                "UPDATE workcell.users SET status = 'locked', version = version + 1 WHERE id = %s",
                (person.id,),
            )

    def revoke_badge(self, person: Person) -> None:
        with self.owner("security test: badge revoked") as conn:
            conn.execute(
                "UPDATE workcell.badge SET revoked_at = now(), revoked_by = 2,"
                " revoke_reason = 'security test', version = version + 1 WHERE user_id = %s",
                (person.id,),
            )

    def set_policy(self, **changes: int) -> None:
        """Owner-side policy change (the columns named), audited with a reason."""
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Literal(v)) for k, v in changes.items()
        )
        with self.owner("security test: policy") as conn:
            conn.execute(
                sql.SQL(
                    "UPDATE workcell.identity_policy SET {}, version = version + 1 WHERE id = 1"
                ).format(assignments)
            )

    def policy(self, column: str) -> int:
        with self.superuser() as conn:
            row = conn.execute(
                sql.SQL("SELECT {} FROM workcell.identity_policy WHERE id = 1").format(
                    sql.Identifier(column)
                )
            ).fetchone()
            assert row is not None
            return int(row[0])

    def set_identity_policy_sql(self) -> str:
        """``workcell.set_identity_policy(changes, reason, ...)`` as this schema declares it:
        the changes and reason as parameters, any further (fresh-credential) arguments NULL."""
        with self.superuser() as conn:
            row = conn.execute(
                "SELECT max(pronargs) FROM pg_proc WHERE proname = 'set_identity_policy'"
                " AND pronamespace = 'workcell'::regnamespace"
            ).fetchone()
        assert row is not None and row[0] is not None and row[0] >= 2
        return "SELECT workcell.set_identity_policy(%s::jsonb, %s" + ", NULL" * (row[0] - 2) + ")"

    def status(self, person: Person) -> str:
        with self.superuser() as conn:
            row = conn.execute(
                "SELECT status FROM workcell.users WHERE id = %s", (person.id,)
            ).fetchone()
            assert row is not None
            return str(row[0])

    def events(self, kind: str, since: int = 0) -> list[tuple[int, str, int | None, str, str]]:
        """Security events of a kind after id ``since``: (id, station, user_id, detail, kind)."""
        with self.superuser() as conn:
            rows = conn.execute(
                "SELECT id, station, user_id, detail, kind FROM workcell.security_event"
                " WHERE kind = %s AND id > %s ORDER BY id",
                (kind, since),
            ).fetchall()
            return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def last_event_id(self) -> int:
        with self.superuser() as conn:
            row = conn.execute(
                "SELECT coalesce(max(id), 0) FROM workcell.security_event"
            ).fetchone()
            assert row is not None
            return int(row[0])

    # -- what must not change ----------------------------------------------------------

    def snapshot(self, tables: Iterable[str] = WATCHED) -> dict[str, tuple[int, str]]:
        """Row count and a digest of every row, per table, read by the superuser."""
        out: dict[str, tuple[int, str]] = {}
        with self.superuser() as conn:
            for name in tables:
                schema, table = name.split(".")
                query = sql.SQL(
                    "SELECT count(*),"
                    " coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM {} t"
                ).format(sql.Identifier(schema, table))
                row = conn.execute(query).fetchone()
                assert row is not None
                out[name] = (int(row[0]), str(row[1]))
        return out

    @contextmanager
    def untouched(self, tables: Iterable[str] = WATCHED) -> Iterator[None]:
        """The block (refused attacks) leaves every watched table exactly as it was."""
        names = tuple(tables)
        before = self.snapshot(names)
        yield
        after = self.snapshot(names)
        changed = {n: (before[n], after[n]) for n in names if before[n] != after[n]}
        assert not changed, f"a refused attack changed {sorted(changed)}: {changed}"


def open_lab(prefix: str = "wcsec") -> Lab:
    """A fresh test database with the attack stations registered and cheap argon2id."""
    db = create_test_database(prefix)
    try:
        for role, spec in STATIONS.items():
            dbadmin.add_station(
                db.admin,
                role,
                name=spec["name"],
                methods=spec["methods"],
                concurrent=spec["concurrent"],
            )
        cost = scram.Cost(
            CHEAP["argon2_memory_kib"], CHEAP["argon2_time_cost"], CHEAP["argon2_parallelism"]
        )
        lab = Lab(db, cost)
        with lab.owner("security tests: cheap argon2id") as conn:
            conn.execute(
                "UPDATE workcell.identity_policy SET argon2_memory_kib = %(argon2_memory_kib)s,"
                " argon2_time_cost = %(argon2_time_cost)s,"
                " argon2_parallelism = %(argon2_parallelism)s, version = version + 1"
                " WHERE id = 1 AND (argon2_memory_kib, argon2_time_cost, argon2_parallelism)"
                " IS DISTINCT FROM (%(argon2_memory_kib)s, %(argon2_time_cost)s,"
                " %(argon2_parallelism)s)",
                CHEAP,
            )
        # One lab serves every security test of a run (all of them in one process on the
        # PG18 stage): the station's sign-in look-up limit is a per-15-minute budget that the
        # suite's own sign-ins on station_pytest would exhaust. test_guessing lowers it to
        # prove the limit and restores it; the failure limit stays the policy's.
        lab.set_policy(station_lookup_limit=100_000)
    except BaseException:
        drop_test_database(db)
        raise
    return lab


# -- the station's side of the protocol ---------------------------------------------------


def challenge(
    conn: psycopg.Connection[Any],
    who: Person | str,
    purpose: str = "sign_in",
    method: str = "badge+pin",
) -> Challenge:
    identifier = who.identifier(method) if isinstance(who, Person) else who
    row = conn.execute(
        "SELECT challenge_id, auth_message, salt, memory_kib, time_cost, parallelism, history"
        " FROM workcell.auth_challenge(%s, %s, %s)",
        (method, identifier, purpose),
    ).fetchone()
    assert row is not None
    return Challenge(
        int(row[0]), row[1], row[2], scram.Cost(row[3], row[4], row[5]), list(row[6] or [])
    )


def proof(ch: Challenge, pin: str) -> str:
    salted = scram.salted_password(pin, bytes.fromhex(ch.salt), ch.cost)
    return scram.client_proof(salted, ch.auth_message)


def sign_in(conn: psycopg.Connection[Any], person: Person, method: str = "badge+pin") -> str:
    """A real sign-in (challenge committed, then answered); returns the session token."""
    ch = challenge(conn, person, "sign_in", method)
    row = conn.execute(
        "SELECT token FROM workcell.sign_in(%s, %s)", (ch.id, proof(ch, person.pin))
    ).fetchone()
    assert row is not None
    return str(row[0])


def acting(conn: psycopg.Connection[Any], token: str | None) -> None:
    if token is not None:
        conn.execute("SELECT set_config('workcell.session', %s, true)", (token,))


def run(
    conn: psycopg.Connection[Any],
    statement: str | sql.Composable,
    params: Sequence[Any] | None = None,
    *,
    token: str | None = None,
    settings: Sequence[tuple[str, str]] = (),
) -> list[tuple[Any, ...]]:
    """One transaction at the station: optional token and settings, then the statement."""
    with conn.transaction():
        acting(conn, token)
        for name, value in settings:
            conn.execute("SELECT set_config(%s, %s, true)", (name, value))
        cur = conn.execute(statement, params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def refused(
    expected: str | Iterable[str],
    conn: psycopg.Connection[Any],
    statement: str | sql.Composable,
    params: Sequence[Any] | None = None,
    **kwargs: Any,
) -> psycopg.Error:
    """The statement fails with one of the expected SQLSTATEs (and commits nothing)."""
    codes = {expected} if isinstance(expected, str) else set(expected)
    with pytest.raises(psycopg.Error) as caught:
        run(conn, statement, params, **kwargs)
    err = caught.value
    assert err.sqlstate in codes, f"expected {sorted(codes)}, got {err.sqlstate}: {err}"
    return err


def raises(expected: str | Iterable[str], action: Callable[[], object]) -> psycopg.Error:
    codes = {expected} if isinstance(expected, str) else set(expected)
    with pytest.raises(psycopg.Error) as caught:
        action()
    err = caught.value
    assert err.sqlstate in codes, f"expected {sorted(codes)}, got {err.sqlstate}: {err}"
    return err
