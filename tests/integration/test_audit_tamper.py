"""A superuser tampers with the trail; `workcell audit verify` exits 1 and names the entry.

Every test gets a database of its own (the tampering wrecks it). The trail is built as
three seals, each anchored in the station's anchor file by `workcell audit seal`: the
bootstrap and items A, then item B alone (so its anchor pins exactly one entry), then items C.
The superuser switches the append-only guards off (DISABLE TRIGGER: ENABLE ALWAYS triggers
ignore session_replication_role), does the damage, and switches them back on, so only the
damage itself is left for verify to find.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from domain.audit.bundle import link_hash
from domain.audit.verify import verify
from domain.db import make_engine
from tests.conftest import TestDatabase
from tests.integration.audit_fixtures import Cli, fresh_database, make_cli, write_items

pytestmark = [pytest.mark.pg18, pytest.mark.requirement("11.10(a)", "11.10(e)", "Annex 11 §9")]

GUARDED = ("audit.entry", "audit.chain", "audit.seal")


@dataclass
class Trail:
    db: TestDatabase
    cli: Cli
    heads: list[int]  # last position of each seal

    @property
    def b_position(self) -> int:
        return self.heads[1]

    def entry_at(self, position: int) -> int:
        return int(self.scalar("SELECT entry_id FROM audit.chain WHERE position = %s", position))

    def scalar(self, sql: str, *params: Any) -> Any:
        with self.db.connect("admin") as conn:
            row = conn.execute(sql, params).fetchone()
            assert row is not None
            return row[0]

    def superuser(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        """Run statements as the superuser with the append-only guards switched off."""
        with self.db.connect("admin") as conn:
            for table in GUARDED:
                conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER append_only")
            for sql, params in statements:
                conn.execute(sql, params)
            for table in GUARDED:
                conn.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER append_only")
            conn.commit()

    def verify(self, *extra: str) -> tuple[int, str]:
        return self.cli.run("audit", "verify", *extra)


@pytest.fixture
def trail(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Trail]:
    with fresh_database("wctamper") as db:
        cli = make_cli(monkeypatch, tmp_path, db)
        write_items(db, 3, "A", updates=1)
        assert cli.run("audit", "seal")[0] == 0
        write_items(db, 1, "B")
        assert cli.run("audit", "seal")[0] == 0
        write_items(db, 3, "C", updates=1)
        assert cli.run("audit", "seal")[0] == 0
        with db.connect() as conn:
            heads = [r[0] for r in conn.execute("SELECT last_position FROM audit.seal ORDER BY id")]
        assert len(heads) == 3 and heads[1] == heads[0] + 1 and heads[2] == heads[1] + 6
        yield Trail(db, cli, heads)


def test_untouched_trail_verifies(trail: Trail) -> None:
    """The baseline: an untouched trail with three anchors is reported intact (exit 0)."""
    code, out = trail.verify()
    assert code == 0, out
    total = trail.heads[-1]
    assert f"INTACT: {total} entries, {total} sealed, 0 awaiting seal, 3 anchors checked" in out


def test_edited_entry_is_named(trail: Trail) -> None:
    """Changing an entry's content (hash left alone) is found by recomputing its hash."""
    victim = trail.entry_at(3)
    trail.superuser(("UPDATE audit.entry SET reason = 'nothing to see' WHERE id = %s", (victim,)))
    code, out = trail.verify()
    assert code == 1
    assert f"first bad entry: {victim}" in out
    assert "changed after it was written" in out


def test_edited_entry_with_recomputed_hash_is_named(trail: Trail) -> None:
    """Recomputing the edited entry's own hash does not help: the chain sealed the old one."""
    victim = trail.entry_at(5)
    trail.superuser(
        ("UPDATE audit.entry SET actor = 'bootstrap' WHERE id = %s", (victim,)),
        ("UPDATE audit.entry e SET entry_hash = audit.entry_hash(e) WHERE id = %s", (victim,)),
    )
    code, out = trail.verify()
    assert code == 1
    assert f"first bad entry: {victim}" in out
    assert "differs from the sealed one" in out


def test_deleted_entry_is_named(trail: Trail) -> None:
    """A deleted entry leaves its chain row pointing at nothing."""
    victim = trail.entry_at(6)
    trail.superuser(("DELETE FROM audit.entry WHERE id = %s", (victim,)))
    code, out = trail.verify()
    assert code == 1
    assert f"first bad entry: {victim}" in out
    assert "was deleted" in out


def _forged_copy(trail: Trail, model: int) -> tuple[int, list[tuple[str, tuple[Any, ...]]]]:
    """A new id and the statements that forge a copy of entry ``model`` under it, dated into
    the model's (sealed) transaction, with a correct hash of its own."""
    forged = int(trail.scalar("SELECT nextval('audit.entry_id_seq')"))
    return forged, [
        (
            "INSERT INTO audit.entry SELECT (x).* FROM ("
            " SELECT ROW(%s, e.tx_id, e.at, e.actor, e.actor_id, e.station, e.table_name,"
            " e.record_key, e.operation, e.before, e.after, 'forged', '')::audit.entry AS x"
            " FROM audit.entry e WHERE e.id = %s) s",
            (forged, model),
        ),
        ("UPDATE audit.entry e SET entry_hash = audit.entry_hash(e) WHERE id = %s", (forged,)),
    ]


def test_entry_inserted_among_sealed_ones_is_named(trail: Trail) -> None:
    """A forged entry dated into a sealed transaction, with a correct hash, is not in the chain."""
    forged, statements = _forged_copy(trail, trail.entry_at(4))
    trail.superuser(*statements)
    code, out = trail.verify()
    assert code == 1
    assert f"first bad entry: {forged}" in out
    assert "not in the chain" in out


def test_reordered_chain_rows_are_named(trail: Trail) -> None:
    """Swapping which entry sits at two positions breaks the link at the first of them."""
    p = trail.b_position + 2
    first, second = trail.entry_at(p), trail.entry_at(p + 1)
    expected = _reorder_chain_rows(trail)
    assert expected == f"chain position {p} (entry {second})"
    code, out = trail.verify()
    assert code == 1
    assert expected in out
    assert f"first bad entry: {second}" in out
    assert first != second


def _rewrite_tail(trail: Trail, victim_position: int) -> int:
    """Edit an entry and recompute everything after it, as a careful superuser would."""
    victim = trail.entry_at(victim_position)
    statements: list[tuple[str, tuple[Any, ...]]] = [
        ("UPDATE audit.entry SET reason = 'rewritten' WHERE id = %s", (victim,)),
        ("UPDATE audit.entry e SET entry_hash = audit.entry_hash(e) WHERE id = %s", (victim,)),
    ]
    trail.superuser(*statements)
    with trail.db.connect("admin") as conn:
        rows = conn.execute(
            "SELECT c.position, c.prev_hash, e.entry_hash FROM audit.chain c"
            " JOIN audit.entry e ON e.id = c.entry_id WHERE c.position >= %s ORDER BY c.position",
            (victim_position,),
        ).fetchall()
    prev = rows[0][1]
    rewrite: list[tuple[str, tuple[Any, ...]]] = []
    for position, _old_prev, entry_hash in rows:
        new = link_hash(prev, position, entry_hash)
        rewrite.append(
            (
                "UPDATE audit.chain SET entry_hash = %s, prev_hash = %s, chain_hash = %s"
                " WHERE position = %s",
                (entry_hash, prev, new, position),
            )
        )
        rewrite.append(
            ("UPDATE audit.seal SET head_hash = %s WHERE last_position = %s", (new, position))
        )
        prev = new
    trail.superuser(*rewrite)
    return victim


def test_consistent_tail_rewrite_is_caught_by_the_anchors(trail: Trail, tmp_path: Path) -> None:
    """A rewrite that recomputes chain and seals passes every internal check; the anchors
    kept outside the database catch it and name the entry."""
    victim = _rewrite_tail(trail, trail.b_position)
    empty = tmp_path / "no-anchors.log"
    empty.write_text("")
    code, out = trail.verify("--anchors", str(empty))
    assert code == 0, "internally consistent: only the anchors can tell"
    assert "cannot be detected" in out
    code, out = trail.verify()
    assert code == 1
    assert f"first bad entry: {victim}" in out
    assert "history was rewritten" in out


def test_rewrite_is_also_caught_through_the_domain_function(trail: Trail) -> None:
    """verify() itself reports the anchor mismatch with the entry's position and id."""
    from domain.audit.anchors import read_anchors

    victim = _rewrite_tail(trail, trail.b_position)
    engine = make_engine(trail.db.station)
    try:
        report = verify(engine, read_anchors(trail.cli.anchor_file))
    finally:
        engine.dispose()
    assert not report.ok
    assert report.first is not None
    assert (report.first.kind, report.first.position, report.first.entry_id) == (
        "anchor",
        trail.b_position,
        victim,
    )


@pytest.mark.parametrize(
    ("alter", "expected"),
    [
        ("ALTER TABLE workcell.item ENABLE TRIGGER audit_row", "plain ENABLE"),
        ("ALTER TABLE workcell.item DISABLE TRIGGER audit_row", "DISABLED"),
        ("ALTER TABLE workcell.users ENABLE REPLICA TRIGGER audit_row", "ENABLE REPLICA"),
        ("DROP TRIGGER audit_row ON workcell.item", "missing"),
    ],
)
def test_weakened_audit_trigger_is_reported(trail: Trail, alter: str, expected: str) -> None:
    """An audit trigger that is not ENABLE ALWAYS (or gone) makes verify fail."""
    trail.superuser((alter, ()))
    code, out = trail.verify()
    assert code == 1
    assert "audit_row on workcell." in out
    assert expected in out


def test_disabled_append_only_guard_is_reported(trail: Trail) -> None:
    """The guards of the audit tables themselves are checked too."""
    with trail.db.connect("admin") as conn:
        conn.execute("ALTER TABLE audit.chain DISABLE TRIGGER append_only")
        conn.commit()
    code, out = trail.verify()
    assert code == 1
    assert "append_only on audit.chain is DISABLED" in out


def test_entry_left_unsealed_beyond_grace_fails(trail: Trail) -> None:
    """A fresh unsealed entry is fine; one left unsealed longer than the grace time is not."""
    write_items(trail.db, 1, "LATE")
    code, out = trail.verify()
    assert code == 0, out
    assert "1 awaiting seal" in out
    time.sleep(1.5)
    code, out = trail.verify("--grace", "1")
    assert code == 1
    assert "waiting" in out and "to be sealed" in out
    assert trail.cli.run("audit", "seal")[0] == 0
    assert trail.verify("--grace", "1")[0] == 0


def test_neutered_trigger_function_is_reported(trail: Trail) -> None:
    """Replacing the trigger function by one that records nothing leaves the trigger attached
    and ENABLE ALWAYS; verify still reports it, by the function's fingerprint."""
    trail.superuser(
        (
            "CREATE OR REPLACE FUNCTION audit.record_change() RETURNS trigger"
            " LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp"
            " SET timezone = 'UTC' AS $$ BEGIN RETURN NULL; END $$",
            (),
        )
    )
    code, out = trail.verify()
    assert code == 1
    assert "audit function audit.record_change() differs" in out


def test_neutered_entry_writer_is_reported(trail: Trail) -> None:
    """The trigger hands each entry to audit.append_entry (migration 0007); a writer that
    writes nothing is reported the same way."""
    trail.superuser(
        (
            "CREATE OR REPLACE FUNCTION audit.append_entry(p_owner boolean, p_schema name,"
            " p_table name, p_op text, p_args text[], p_old anyelement, p_new anyelement)"
            " RETURNS void LANGUAGE plpgsql SECURITY DEFINER"
            " SET search_path = pg_catalog, pg_temp SET timezone = 'UTC'"
            " AS $$ BEGIN RETURN; END $$",
            (),
        )
    )
    code, out = trail.verify()
    assert code == 1
    assert (
        "audit function audit.append_entry(boolean,name,name,text,text[],anyelement,anyelement)"
        " differs" in out
    )


def test_redefined_guard_is_reported(trail: Trail) -> None:
    """A superuser's quiet redefinition of a guard (the item approval lock, made to let
    everything through) makes verify fail and name the function."""
    trail.superuser(
        (
            "CREATE OR REPLACE FUNCTION workcell.item_approval_guard() RETURNS trigger"
            " LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp"
            " SET workcell.system_actor = '' AS $$ BEGIN RETURN NEW; END $$",
            (),
        )
    )
    code, out = trail.verify()
    assert code == 1
    assert "function workcell.item_approval_guard() differs" in out


def test_guard_trigger_switched_to_plain_enable_is_reported(trail: Trail) -> None:
    """A guard trigger set from ENABLE ALWAYS to ENABLE (so replication mode skips it) is
    reported with its enabled state."""
    trail.superuser(("ALTER TABLE workcell.item ENABLE TRIGGER item_approval_guard", ()))
    code, out = trail.verify()
    assert code == 1
    assert "trigger workcell.item:item_approval_guard was changed" in out


def test_extra_security_definer_function_is_reported(trail: Trail) -> None:
    """A SECURITY DEFINER function that no release installed (it runs with the owner's
    rights) is reported; so is a function whose grants were widened."""
    trail.superuser(
        (
            "CREATE FUNCTION workcell.backdoor() RETURNS void LANGUAGE sql SECURITY DEFINER"
            " SET search_path = pg_catalog AS 'SELECT NULL::void'",
            (),
        ),
        ("ALTER FUNCTION workcell.backdoor() OWNER TO workcell_owner", ()),
        ("GRANT EXECUTE ON FUNCTION workcell.issue_badge(text, text, bigint) TO PUBLIC", ()),
    )
    code, out = trail.verify()
    assert code == 1
    assert "SECURITY DEFINER function workcell.backdoor() is not part of this release" in out
    assert "function workcell.issue_badge(text,text,bigint) differs" in out


def _edit_entry(trail: Trail) -> str:
    victim = trail.entry_at(3)
    trail.superuser(("UPDATE audit.entry SET reason = 'nothing to see' WHERE id = %s", (victim,)))
    return f"entry {victim} was changed after it was written"


def _edit_entry_and_its_hash(trail: Trail) -> str:
    victim = trail.entry_at(5)
    trail.superuser(
        ("UPDATE audit.entry SET actor = 'bootstrap' WHERE id = %s", (victim,)),
        ("UPDATE audit.entry e SET entry_hash = audit.entry_hash(e) WHERE id = %s", (victim,)),
    )
    return "differs from the sealed one"


def _delete_entry(trail: Trail) -> str:
    p = trail.b_position + 1  # item C0's INSERT: its UPDATE stays the record's latest entry
    victim = trail.entry_at(p)
    trail.superuser(("DELETE FROM audit.entry WHERE id = %s", (victim,)))
    return f"chain position {p} (entry {victim}): the entry was deleted"


def _swap_entry(trail: Trail) -> str:
    """One entry deleted and a forged one (correct hash) put in with another id, so the
    counts still agree."""
    victim = trail.entry_at(6)
    _, forge = _forged_copy(trail, trail.entry_at(4))
    trail.superuser(("DELETE FROM audit.entry WHERE id = %s", (victim,)), *forge)
    return "the entry was deleted"


def _delete_chain_row(trail: Trail) -> str:
    p = trail.b_position + 2
    trail.superuser(("DELETE FROM audit.chain WHERE position = %s", (p,)))
    return f"chain position {p + 1}"


def _alter_chain_hash(trail: Trail) -> str:
    p = trail.b_position + 3
    alter = "UPDATE audit.chain SET chain_hash = repeat('0', 64) WHERE position = %s"
    trail.superuser((alter, (p,)))
    return f"chain position {p} (entry {trail.entry_at(p)}): its chain hash does not match"


def _rewrite_one_link(trail: Trail) -> str:
    """An entry edited and its hash, its chain row's entry hash and chain hash recomputed:
    consistent in itself, but the next row still links to the old chain hash."""
    p = trail.b_position + 2
    victim = trail.entry_at(p)
    trail.superuser(
        ("UPDATE audit.entry SET reason = 'rewritten' WHERE id = %s", (victim,)),
        ("UPDATE audit.entry e SET entry_hash = audit.entry_hash(e) WHERE id = %s", (victim,)),
        (
            "UPDATE audit.chain c SET entry_hash = e.entry_hash,"
            " chain_hash = audit.link_hash(c.prev_hash, c.position, e.entry_hash)"
            " FROM audit.entry e WHERE e.id = c.entry_id AND c.position = %s",
            (p,),
        ),
    )
    return f"chain position {p + 1} (entry {trail.entry_at(p + 1)}): does not link"


def _reorder_chain_rows(trail: Trail) -> str:
    p = trail.b_position + 2
    first, second = trail.entry_at(p), trail.entry_at(p + 1)
    first_hash = trail.scalar("SELECT entry_hash FROM audit.chain WHERE position = %s", p)
    second_hash = trail.scalar("SELECT entry_hash FROM audit.chain WHERE position = %s", p + 1)
    move = "UPDATE audit.chain SET entry_id = %s, entry_hash = %s WHERE position = %s"
    trail.superuser(
        (move, (-1, "", p)),  # entry ids are unique: park the first while swapping
        (move, (first, first_hash, p + 1)),
        (move, (second, second_hash, p)),
    )
    return f"chain position {p} (entry {second})"


@pytest.mark.parametrize(
    "attack",
    [_edit_entry, _edit_entry_and_its_hash, _delete_entry, _swap_entry, _delete_chain_row,
     _alter_chain_hash, _rewrite_one_link, _reorder_chain_rows],
    ids=lambda f: f.__name__.strip("_"),
)  # fmt: skip
def test_tampering_below_the_mark_fails_the_incremental_verify(
    trail: Trail, attack: Callable[[Trail], str]
) -> None:
    """The routine verify starts from the last verified mark (docs/audit.md#verify): it
    rehashes only new and changed entries and checks only the chain rows written or changed
    since. Each attack on the part verified before is still found and named by it, with no
    full pass asked for: an edited row has a new xmin, a removed one breaks the counts."""
    code, out = trail.verify()
    assert code == 0, out  # the full pass, which leaves the mark
    write_items(trail.db, 2, "D", updates=1)
    assert trail.cli.run("audit", "seal")[0] == 0
    code, out = trail.verify()
    assert code == 0, out
    assert "rows touched since the last verify compared" in out  # incremental, and clean
    expected = attack(trail)
    code, out = trail.verify()
    assert code == 1, out
    assert "rows touched since the last verify compared" in out
    assert expected in out


def test_a_mark_ahead_of_the_cluster_checks_the_whole_chain(trail: Trail) -> None:
    """A mark whose snapshot horizon is beyond this cluster's transaction counter (made on
    another copy of the history, or a restore by hand) would make every row look unchanged:
    the chain is then checked in full, and a tampered row is still found."""
    alter = "UPDATE audit.chain SET chain_hash = repeat('0', 64) WHERE position = 4"
    trail.superuser((alter, ()))
    ahead = str(int(trail.scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")) + 10**6)
    engine = make_engine(trail.db.station)
    try:
        report = verify(engine, full=False, since_entry=10**9, since_xmin=ahead)
    finally:
        engine.dispose()
    assert not report.ok
    assert any(p.kind == "chain" and p.position == 4 for p in report.problems), report.problems
