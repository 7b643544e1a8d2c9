"""Installation qualification: is this database the installation this release describes?

Read-only, on the admin URL (a superuser or the owner): server version, schema revision,
roles and station logins, the station privileges against the release's allow-list, the
audit triggers and every trigger and guard function against the release manifest
(domain/audit/machinery.json), the time source, the installation id, epochs and anchors,
the identity policy and the registered stations (docs/validation.md#iq).
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Sequence
from functools import partial

from sqlalchemy import Connection, Engine, text

from domain.audit.anchors import Anchor
from domain.audit.machinery import check_guards, check_machinery
from domain.audit.verify import verify
from domain.audit.verify_meta import check_triggers
from domain.operations import pgtools
from domain.operations.checks import Check, Spec, execute, listed
from domain.operations.privileges import allowed, held

SUPPORTED = range(15, 19)
SKEW_LIMIT_S = 5.0
GROUP_ROLES = ("workcell_owner", "workcell_app", "workcell_auditor")


def _one(conn: Connection, sql: str) -> object:
    return conn.execute(text(sql)).scalar()


def _server(conn: Connection) -> tuple[str, bool]:
    version = str(_one(conn, "SELECT current_setting('server_version')"))
    major = int(str(_one(conn, "SHOW server_version_num"))) // 10000
    return f"PostgreSQL {version}", major in SUPPORTED


def _revision(conn: Connection, head: str) -> tuple[str, bool]:
    current = _one(conn, "SELECT version_num FROM workcell.alembic_version")
    return f"database at {current}, this build's head {head}", current == head


def _tools(conn: Connection) -> tuple[str, bool]:
    major = int(str(_one(conn, "SHOW server_version_num"))) // 10000
    tools = pgtools.for_server(major)
    return f"pg_dump/pg_restore/psql {tools.version} in {tools.directory}", True


_ROLES = """
SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolcanlogin
  FROM pg_roles r WHERE r.rolname = ANY(:names)
"""


def _roles(conn: Connection) -> tuple[str, bool]:
    rows = {r[0]: r for r in conn.execute(text(_ROLES), {"names": list(GROUP_ROLES)})}
    problems = [f"{n} missing" for n in GROUP_ROLES if n not in rows]
    for name, row in rows.items():
        if any(row[1:5]):
            problems.append(f"{name} is privileged (superuser, CREATEROLE, CREATEDB or BYPASSRLS)")
        if name != "workcell_owner" and row[5]:
            problems.append(f"{name} can log in (a group role must not)")
    return (listed(problems) if problems else "three group roles, none privileged"), not problems


# logins acting as stations (members of workcell_app, superusers aside: they are members
# of everything) and every registered station's login
_STATIONS = """
SELECT r.rolname, r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls,
       EXISTS (SELECT 1 FROM workcell.station s WHERE s.login_role = r.rolname)
  FROM pg_roles r
 WHERE r.rolcanlogin AND r.rolname <> 'workcell_owner'
   AND ((NOT r.rolsuper AND pg_has_role(r.oid, 'workcell_app', 'MEMBER'))
        OR r.rolname IN (SELECT login_role FROM workcell.station))
 ORDER BY 1
"""


def _station_logins(conn: Connection) -> tuple[str, bool]:
    rows = list(conn.execute(text(_STATIONS)))
    bad = [f"{r[0]} is privileged" for r in rows if r[1]]
    missing = conn.execute(
        text(
            "SELECT s.login_role FROM workcell.station s WHERE s.enabled AND NOT EXISTS"
            " (SELECT 1 FROM pg_roles r WHERE r.rolname = s.login_role) ORDER BY 1"
        )
    ).scalars()
    bad += [f"station login {m} is registered but does not exist" for m in missing]
    registered = sum(1 for r in rows if r[2])
    # Logins are cluster-wide: another database's stations on the same server are members of
    # workcell_app too; they are counted, not failed (they can act only where registered).
    others = len(rows) - registered
    ok = f"{registered} registered station logins, none privileged" + (
        f"; {others} other plain logins of workcell_app (stations of other databases on "
        "this server, or unregistered: they cannot sign anyone in here)"
        if others
        else ""
    )
    return (listed(bad) if bad else ok), not bad


def _privileges(conn: Connection) -> tuple[str, bool]:
    raw = conn.connection.dbapi_connection
    assert raw is not None
    actual, expected = set(held(raw, "workcell_app")), allowed()  # type: ignore[arg-type]
    extra, missing = sorted(actual - expected), sorted(expected - actual)
    found = [f"not on the allow-list: {p}" for p in extra]
    found += [f"allow-listed but not held: {p}" for p in missing]
    same = f"{len(actual)} privileges, exactly the allow-list"
    return (listed(found) if found else same), not found


def _audit_triggers(conn: Connection) -> tuple[str, bool]:
    problems = [p.message for p in check_triggers(conn)]
    count = _one(conn, "SELECT count(*) FROM audit.regulated_table")
    ok = f"{count} regulated tables, audit_row and audit_no_truncate ENABLE ALWAYS on each"
    return (listed(problems) if problems else ok), not problems


def _triggers(conn: Connection) -> tuple[str, bool]:
    problems = [p.message for p in check_guards(conn) if " trigger " in f" {p.message}"]
    return (listed(problems) if problems else "every trigger as released"), not problems


def _audit_functions(conn: Connection) -> tuple[str, bool]:
    problems = [p.message for p in check_machinery(conn)]
    return (listed(problems) if problems else "every audit function as released"), not problems


def _guard_functions(conn: Connection) -> tuple[str, bool]:
    problems = [p.message for p in check_guards(conn) if "function" in p.message]
    ok = "every SECURITY DEFINER, trigger and actor function as released"
    return (listed(problems) if problems else ok), not problems


def _time_source(conn: Connection, host_now: dt.datetime) -> tuple[str, bool]:
    server_now, zone = conn.execute(
        text("SELECT clock_timestamp(), current_setting('TimeZone')")
    ).one()
    skew = (host_now - server_now).total_seconds()
    ntp = _ntp_synchronised()
    actual = (
        f"server time {server_now:%Y-%m-%d %H:%M:%S %Z} (TimeZone {zone}); this machine "
        f"{skew:+.1f} s from it; NTP synchronised on this machine: {ntp}"
    )
    return actual, abs(skew) <= SKEW_LIMIT_S and ntp != "no"


def _ntp_synchronised() -> str:
    try:
        out = subprocess.run(
            ["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no timedatectl)"
    return {"yes": "yes", "no": "no"}.get(out, "unknown (no timedatectl answer)")


def _installation(conn: Connection) -> tuple[str, bool]:
    rows = conn.execute(text("SELECT id::text, created_at FROM audit.installation")).all()
    epochs = conn.execute(
        text("SELECT epoch, opened_at, system_identifier FROM audit.epoch ORDER BY epoch")
    ).all()
    if len(rows) != 1:
        return f"{len(rows)} installation rows", False
    opened = "; ".join(f"epoch {e[0]} opened {e[1]:%Y-%m-%d}" for e in epochs) or "epoch 1"
    return f"installation {rows[0][0]} (created {rows[0][1]:%Y-%m-%d}); {opened}", True


# IQ-07 to IQ-10 report these kinds of verify's problems, each under its own clause
_OWN_CHECKS = ("machinery", "trigger")


def _anchors(engine: Engine, anchors: Sequence[Anchor], source: str) -> tuple[str, bool]:
    report = verify(engine, anchors, full=True)
    problems = [p for p in report.problems if p.kind not in _OWN_CHECKS]
    if problems:
        first = min(problems, key=lambda p: p.order)
        return f"trail NOT INTACT ({len(problems)} problems): {first.message}", False
    if not report.anchors_checked and report.chained:
        return f"trail intact, but no anchor of this installation in {source}", False
    return (
        f"trail intact: {report.entries} entries, {report.chained} sealed, "
        f"{report.anchors_checked} anchors from {source} checked (triggers and functions: "
        "IQ-07 to IQ-10)"
    ), True


_POLICY = """
SELECT max_failed_attempts, failure_window_s, pin_expiry_days, pin_history, session_idle_s,
       argon2_memory_kib, argon2_time_cost FROM workcell.identity_policy WHERE id = 1
"""


def _policy(conn: Connection) -> tuple[str, bool]:
    row = conn.execute(text(_POLICY)).mappings().one()
    actual = ", ".join(f"{k} {v}" for k, v in row.items())
    ok = (
        row["max_failed_attempts"] <= 5
        and 0 < row["pin_expiry_days"] <= 365
        and row["session_idle_s"] <= 900
        and row["argon2_memory_kib"] >= 19456
        and row["argon2_time_cost"] >= 2
    )
    return actual, ok


def _stations(conn: Connection) -> tuple[str, bool]:
    rows = conn.execute(
        text("SELECT name, login_role, methods, enabled FROM workcell.station ORDER BY name")
    ).all()
    shown = [f"{r[0]} ({r[1]}: {', '.join(r[2])}{'' if r[3] else ', disabled'})" for r in rows]
    return (listed(shown) if shown else "no station registered"), bool(rows)


def installation_qualification(
    engine: Engine,
    *,
    build_head: str,
    anchors: Sequence[Anchor] = (),
    anchor_source: str = "no anchor file",
    host_now: dt.datetime | None = None,
) -> list[Check]:
    """Every IQ check on the database behind ``engine`` (admin URL), in the report's order."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        on = partial
        specs = [
            Spec("IQ-01", "Database server version", "The server is a supported PostgreSQL",
                 ("11.10(a)",), "PostgreSQL 15 to 18", on(_server, conn)),
            Spec("IQ-02", "Schema revision", "The database is migrated to this release",
                 ("11.10(a)", "11.10(k)", "Annex 11 §10"), "database revision = build head",
                 on(_revision, conn, build_head)),
            Spec("IQ-03", "Backup tools", "pg_dump/pg_restore of the server's version exist",
                 ("11.10(c)", "Annex 11 §7.2"), "client tools of the server's major or newer",
                 on(_tools, conn)),
            Spec("IQ-04", "Group roles", "Owner, app and auditor roles exist, none privileged",
                 ("11.10(d)", "11.10(g)"), "3 roles, no SUPERUSER/CREATEROLE/CREATEDB/"
                 "BYPASSRLS, only the owner may log in", on(_roles, conn)),
            Spec("IQ-05", "Station logins", "Every station login is a plain, registered login",
                 ("11.10(d)", "11.10(h)"), "no privileged station login; every registered "
                 "station's login exists",
                 on(_station_logins, conn)),
            Spec("IQ-06", "Station privileges", "A station holds exactly the reviewed "
                 "privileges of this release", ("11.10(d)", "11.10(g)"),
                 "held privileges = domain/operations/station_privileges.txt",
                 on(_privileges, conn)),
            Spec("IQ-07", "Audit triggers", "Every regulated table is audited, ENABLE ALWAYS",
                 ("11.10(e)", "Annex 11 §9"), "audit_row + audit_no_truncate 'A' on each; "
                 "append-only guards on the trail", on(_audit_triggers, conn)),
            Spec("IQ-08", "Triggers and guards", "Every trigger of the release present, with "
                 "its function, events and enabled state", ("11.10(e)", "11.10(f)"),
                 "as in domain/audit/machinery.json", on(_triggers, conn)),
            Spec("IQ-09", "Audit function fingerprints", "The functions that record, hash "
                 "and seal are the released ones", ("11.10(a)", "11.10(e)"),
                 "SHA-256 of body, SECURITY DEFINER, SET clauses as released",
                 on(_audit_functions, conn)),
            Spec("IQ-10", "Guard function fingerprints", "Every SECURITY DEFINER function, "
                 "trigger function and the actor resolution as released, by body, SET "
                 "clauses, owner and grants; no other SECURITY DEFINER function",
                 ("11.10(d)", "11.10(f)", "11.10(g)"), "as in domain/audit/machinery.json",
                 on(_guard_functions, conn)),
            Spec("IQ-11", "Time source", "Records carry the server's synchronised time",
                 ("11.10(e)", "ALCOA contemporaneous"),
                 f"this machine within {SKEW_LIMIT_S:.0f} s of the server; NTP not reported "
                 "unsynchronised", on(_time_source, conn, host_now or dt.datetime.now(dt.UTC))),
            Spec("IQ-12", "Installation identity", "One installation id; epochs recorded",
                 ("11.10(c)", "11.10(e)"), "exactly one audit.installation row",
                 on(_installation, conn)),
            Spec("IQ-13", "Audit trail and anchors", "The trail verifies in full against the "
                 "anchors kept outside the database", ("11.10(a)", "11.10(e)", "Annex 11 §9"),
                 "verify intact; at least one anchor of this installation checked",
                 on(_anchors, engine, anchors, anchor_source)),
            Spec("IQ-14", "Identity policy", "Lockout, PIN length and verifier cost as "
                 "recommended", ("11.300(b)", "11.300(d)", "11.10(d)"), "lockout after <= 5 "
                 "failures, PIN expiry 1-365 days, idle lock <= 900 s, argon2id m >= 19 MiB, "
                 "t >= 2", on(_policy, conn)),
            Spec("IQ-15", "Registered stations", "Stations are registered with their sign-in "
                 "methods", ("11.10(h)",), "at least one registered station",
                 on(_stations, conn)),
        ]  # fmt: skip
        return execute("IQ", specs)
