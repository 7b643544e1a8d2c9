"""Is the audit machinery the one this build shipped?

A superuser who cannot disable the audit trigger unnoticed (verify checks it is attached and
ENABLE ALWAYS) could still replace the trigger *function* with one that writes nothing, or
the hash functions with ones that agree with forged entries. Verify therefore compares a
fingerprint of each function that records, hashes or seals — SHA-256 of its body, whether
it is SECURITY DEFINER, and its SET clauses — with the fingerprints of this release.

When a migration changes one of these functions on purpose, update EXPECTED in the same
change (tests/integration/test_audit_tamper.py fails until then, by design: a change to
the audit machinery is a validated change). `python -m domain.audit.machinery URL` prints
the fingerprints of a database.
"""

from __future__ import annotations

import json
import sys
from importlib import resources

from sqlalchemy import Connection, create_engine, text

from domain.audit.verify_meta import Problem

# function -> SHA-256 of "<prosrc>|<prosecdef>|<proconfig>" (migration 0007: record_change
# is SECURITY INVOKER and hands the entry to append_entry, which writes it; seal declares
# its system actor in a SET clause; migration 0010: seal tries its lock, never waits;
# migration 0011: secrets leave append_entry as keyed
# digests, and the functions that compare rows with the trail — a first_difference that
# always answers "none" would silence that check; the write path of issue 11 item 8: one
# append_entry per row resolving the actor inline)
EXPECTED = {
    "audit.record_change()": "35030866e72f7c3e812810d52718dee7454f1ab16f5126352faae654095a576b",
    "audit.append_entry(boolean,name,name,text,text[],anyelement,anyelement)": "ecea3b1c6cab6bcee00a8d24b2cf605ab34da2fade82567e6d5a4e5deaebcd05",  # noqa: E501
    "audit.canonical(audit.entry)": "7fd7053f99bf16ebbae20cea4dd37723ae66d5baecb4239e4ee31ad89ff7db9a",  # noqa: E501
    "audit.entry_hash(audit.entry)": "f16248fd8b151a76cbb141b24c13e1b429ba2ea6d363f25f792c6a5c69030ff4",  # noqa: E501
    "audit.refuse_change()": "63805e45bd766f208d5579d9148e8ff44d955ea1dc310b5ddab3fc5899168c41",
    "audit.link_hash(text,bigint,text)": "7bd47d119e1e292e3a9fccb3d9ae88b1898db4e10160cba4fa85256ac38a0e46",  # noqa: E501
    "audit.chain_step(text,text,bigint,text)": "e65252e8197ad25be3141c6bed5521252364a5d1e7e37dda945b09cf76c0d677",  # noqa: E501
    "audit.seal_horizon()": "184a3f8b2cd7c04dd4f7ad4924ac42f8c320c1032d222eed2896c5c3fb5639ec",
    "audit.seal()": "12bf1649fcf93880c8ba18ed39ec6020e88456c28ff136aec5d1ea90f11c4ecb",
    "audit.rows_vs_trail(text,boolean,bigint,integer)": "8084cf36b6e3f3fb062b684bec9f17583328777fd14f2cc00ed32ac7b3c9c83e",  # noqa: E501
    "audit.first_difference(jsonb,jsonb,text[])": "129231f27c1187e2652701a25a8ffeea7fe02148594533403d03259c4934f0a1",  # noqa: E501
    "audit.trigger_columns(regclass)": "f175359ccf47a333457387bca761f61263e2963a5032c11e2dc0c74554cdf8f0",  # noqa: E501
    "audit.digest_key()": "a463ca46b386a417682b84fbec3291e2cd36e176812a998293c11d360fbcd340",
    "audit.secret_digest(bytea,text,text)": "0ef013bbfd9e5f59f93dd399e7a48511efd91fb1f490906596054fa1fd10d9b3",  # noqa: E501
    "audit.epoch_link(text,integer,bigint)": "de13af2c6048b218468e130f292c9e6eac4a36beed7b84eab5e1d4c1d36d898e",  # noqa: E501
    "audit.seal_range(integer,bigint,xid8,xid8,bigint,text,bigint,xid8)": "3a2858446713181e45c962ea5b8ead2ae2dd3a237140fb36fabeadf1da9ed180",  # noqa: E501
    "audit.digest_secrets(bytea,jsonb,text[])": "a9bcaa321391775b1ce8986d49b9a1bcbf8224146aa36cea5f3a26c572f1f447",  # noqa: E501
}

_FINGERPRINTS = text("""
    SELECT f.name, encode(sha256(convert_to(
               p.prosrc || '|' || p.prosecdef::text || '|' || coalesce(p.proconfig::text, ''),
               'UTF8')), 'hex')
      FROM unnest(CAST(:names AS text[])) AS f(name)
      LEFT JOIN pg_proc p ON p.oid = to_regprocedure(f.name)
""")


# Beyond the audit functions: every SECURITY DEFINER function, every trigger function and the
# actor resolution, with owner and grants, and the state of every trigger on the regulated
# schemas — so a superuser's quiet redefinition of a guard, a re-granted function or a
# trigger set to ENABLE (not ALWAYS) is reported. The expected values are the release's
# manifest (machinery.json, written by `python -m domain.audit.machinery URL --manifest`).
_GUARDS = text("""
    SELECT p.oid::regprocedure::text AS name, encode(sha256(convert_to(
               p.prosrc || '|' || p.prosecdef::text || '|' || coalesce(p.proconfig::text, '')
               || '|' || pg_get_userbyid(p.proowner) || '|' || coalesce(p.proacl::text, ''),
               'UTF8')), 'hex') AS digest, p.prosecdef
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname IN ('workcell', 'audit', 'auth')
       AND (p.prosecdef OR p.prorettype = 'trigger'::regtype
            OR p.proname IN ('current_actor_id', 'system_actor_id'))
""")
_TRIGGERS = text("""
    SELECT c.oid::regclass::text || ':' || t.tgname AS name,
           t.tgfoid::regprocedure::text || '|' || t.tgenabled::text || '|' || t.tgtype::text
               AS state
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT t.tgisinternal AND n.nspname IN ('workcell', 'audit')
""")


def manifest(conn: Connection) -> dict[str, dict[str, str]]:
    """This database's guards and triggers, as the release manifest records them."""
    functions = {r.name: r.digest for r in conn.execute(_GUARDS)}
    triggers = {r.name: r.state for r in conn.execute(_TRIGGERS)}
    return {
        "functions": dict(sorted(functions.items())),
        "triggers": dict(sorted(triggers.items())),
    }


def release_manifest() -> dict[str, dict[str, str]]:
    data = resources.files("domain.audit").joinpath("machinery.json").read_text("utf-8")
    loaded: dict[str, dict[str, str]] = json.loads(data)
    return loaded


_ALTERED = (
    "differs from the one this release installs (body, SET clauses, owner or grants): "
    "a rule may no longer hold"
)


def check_guards(conn: Connection) -> list[Problem]:
    """Every guard, SECURITY DEFINER function and trigger as this release installs it; an
    extra SECURITY DEFINER function is reported too (it runs with the owner's rights)."""
    expected, found = release_manifest(), manifest(conn)
    problems = []
    for name, digest in expected["functions"].items():
        if name in EXPECTED:
            continue  # the audit functions have their own messages (check_machinery)
        now = found["functions"].get(name)
        if now is None:
            problems.append(Problem("machinery", f"function {name} is missing"))
        elif now != digest:
            problems.append(Problem("machinery", f"function {name} {_ALTERED}"))
    definer = {r.name for r in conn.execute(_GUARDS) if r.prosecdef}
    for name in sorted(definer - set(expected["functions"])):
        problems.append(Problem("machinery", f"SECURITY DEFINER function {name} is not part of "
            "this release (it runs with the owner's rights)"))  # fmt: skip
    for name, state in expected["triggers"].items():
        now = found["triggers"].get(name)
        if now is None:
            problems.append(Problem("machinery", f"trigger {name} is missing"))
        elif now != state:
            problems.append(Problem("machinery", f"trigger {name} was changed or its enabled "
                f"state differs (now {now}, expected {state})"))  # fmt: skip
    return problems


def fingerprints(conn: Connection) -> dict[str, str | None]:
    rows = conn.execute(_FINGERPRINTS, {"names": list(EXPECTED)})
    return {name: digest for name, digest in rows}


def check_machinery(conn: Connection) -> list[Problem]:
    """A missing or altered audit function is a failure: entries may go unrecorded."""
    problems = []
    for name, digest in fingerprints(conn).items():
        if digest is None:
            problems.append(Problem("machinery", f"audit function {name} is missing"))
        elif digest != EXPECTED[name]:
            problems.append(
                Problem(
                    "machinery",
                    f"audit function {name} differs from the one this release installs "
                    "(replaced or altered): changes may go unrecorded or unhashed",
                )
            )
    return problems


if __name__ == "__main__":  # the fingerprints of a database, for EXPECTED or machinery.json
    engine = create_engine(sys.argv[1])
    with engine.connect() as connection:
        if "--manifest" in sys.argv[2:]:
            print(json.dumps(manifest(connection), indent=1, sort_keys=True))
        else:
            for function, value in fingerprints(connection).items():
                print(f'    "{function}": "{value}",')
    engine.dispose()
