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

import sys

from sqlalchemy import Connection, create_engine, text

from domain.audit.verify_meta import Problem

# function -> SHA-256 of "<prosrc>|<prosecdef>|<proconfig>" (migration 0007: record_change
# is SECURITY INVOKER and hands the entry to append_entry, which writes it; seal declares
# its system actor in a SET clause)
EXPECTED = {
    "audit.record_change()": "9114f5915097126e528e7a349a5a2ca994eb14fd2b961c5255a80dba0737de72",
    "audit.append_entry(bigint,text,text,text,jsonb,jsonb,text)": "2ec220ba3e9c199b571afc6ce9061ae2aa7b013a2997bf5f87c908314b09996e",  # noqa: E501
    "audit.canonical(audit.entry)": "7fd7053f99bf16ebbae20cea4dd37723ae66d5baecb4239e4ee31ad89ff7db9a",  # noqa: E501
    "audit.entry_hash(audit.entry)": "f16248fd8b151a76cbb141b24c13e1b429ba2ea6d363f25f792c6a5c69030ff4",  # noqa: E501
    "audit.refuse_change()": "63805e45bd766f208d5579d9148e8ff44d955ea1dc310b5ddab3fc5899168c41",
    "audit.link_hash(text,bigint,text)": "7bd47d119e1e292e3a9fccb3d9ae88b1898db4e10160cba4fa85256ac38a0e46",  # noqa: E501
    "audit.chain_step(text,text,bigint,text)": "e65252e8197ad25be3141c6bed5521252364a5d1e7e37dda945b09cf76c0d677",  # noqa: E501
    "audit.seal_horizon()": "184a3f8b2cd7c04dd4f7ad4924ac42f8c320c1032d222eed2896c5c3fb5639ec",
    "audit.seal()": "f2be78cc45896547fd693ec95cae411629ba3664d210c5ecb69f7194b9776f9e",
}

_FINGERPRINTS = text("""
    SELECT f.name, encode(sha256(convert_to(
               p.prosrc || '|' || p.prosecdef::text || '|' || coalesce(p.proconfig::text, ''),
               'UTF8')), 'hex')
      FROM unnest(CAST(:names AS text[])) AS f(name)
      LEFT JOIN pg_proc p ON p.oid = to_regprocedure(f.name)
""")


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


if __name__ == "__main__":  # print the fingerprints of a database, for EXPECTED
    engine = create_engine(sys.argv[1])
    with engine.connect() as connection:
        for function, value in fingerprints(connection).items():
            print(f'    "{function}": "{value}",')
    engine.dispose()
