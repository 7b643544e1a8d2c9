"""Lifecycle gates as a plain station login (issue 11): every status move is a row of
workcell.transition_rule, checked by one guard trigger, and stations hold column grants that
leave out every server-only fact. Each attack is refused and changes nothing.

The world is built the way a plant builds it, in plain SQL at the station: an engineer
drafts ECO 1 with BOM revision A, signs it as authored and submits it, a second engineer
reviews it, QA approves it (A released); then ECO 2 carries draft revision B and is
submitted. The attacks start from there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from tests.security.attack import Lab, Person, challenge, proof, refused, sign_in, unique

pytestmark = pytest.mark.requirement("11.10(f)", "11.10(g)", "11.70")

ENGINEERING = (
    "workcell.item",
    "workcell.bom_revision",
    "workcell.bom_line",
    "workcell.eco",
    "workcell.eco_item",
    "workcell.status_transition",
    "workcell.signature",
    "workcell.kiosk_draft",
    "audit.entry",
)


@dataclass(frozen=True)
class World:
    eng1: Person
    eng2: Person
    qa: Person
    operator: Person
    parent: int
    component: int
    approved_item: int
    rev_a: int  # released by ECO 1
    rev_b: int  # in review on ECO 2
    eco1: int
    eco2: int
    eco2_item: int
    draft_id: int  # a kiosk draft owned by the operator


def one(conn: psycopg.Connection[Any], sql: str, params: Sequence[Any] = ()) -> Any:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def acting_as(conn: psycopg.Connection[Any], token: str, reason: str = "security test") -> None:
    conn.execute(
        "SELECT set_config('workcell.session', %s, true), set_config('workcell.reason', %s, true)",
        (token, reason),
    )


def sign_then(
    conn: psycopg.Connection[Any],
    person: Person,
    meaning: str,
    records: Sequence[tuple[str, int]],
    statements: Sequence[str],
    comment: str | None = None,
) -> None:
    """One signing transaction: badge + PIN proof for ``records``, then the moves, attributed
    to the signer (the one-transaction session workcell.sign opens)."""
    ch = challenge(conn, person, "sign")
    with conn.transaction():
        conn.execute("SELECT set_config('workcell.reason', %s, true)", (f"{meaning} (test)",))
        shown = [
            {
                "type": kind,
                "id": rid,
                "version": one(conn, f"SELECT version FROM workcell.{kind} WHERE id = %s", (rid,)),
                "hash": one(conn, "SELECT workcell.record_content_hash(%s, %s)", (kind, rid)),
            }
            for kind, rid in records
        ]
        conn.execute(
            "SELECT * FROM workcell.sign(%s, %s, %s, %s::jsonb, %s)",
            (ch.id, proof(ch, person.pin), meaning, json.dumps(shown), comment),
        )
        for statement in statements:
            conn.execute(statement)


def _bump(table: str, rid: int, assignment: str) -> str:
    return f"UPDATE workcell.{table} SET {assignment}, version = version + 1 WHERE id = {rid}"


def _submit(conn: psycopg.Connection[Any], author: Person, eco: int, rev: int) -> None:
    sign_then(
        conn, author, "authored", [("eco", eco), ("bom_revision", rev)],
        [_bump("eco", eco, "status = 'in_review'"),
         _bump("bom_revision", rev, "status = 'in_review'")],
    )  # fmt: skip


def _draft_eco(
    conn: psycopg.Connection[Any], token: str, item: int, label: str
) -> tuple[int, int, int]:
    """As the engineer: a draft BOM revision with one line and a draft ECO carrying it."""
    with conn.transaction():
        acting_as(conn, token)
        rev = one(
            conn,
            "INSERT INTO workcell.bom_revision (item_id, revision, version) VALUES (%s, %s, 1)"
            " RETURNING id",
            (item, label),
        )
        conn.execute(
            "INSERT INTO workcell.bom_line (bom_revision_id, position, component_id, quantity_per,"
            " unit, version) SELECT %s, 1, id, 2, 'ea', 1 FROM workcell.item"
            " WHERE description = 'gate component' ORDER BY id DESC LIMIT 1",
            (rev,),
        )
        eco = one(
            conn,
            "INSERT INTO workcell.eco (title, reason, version)"
            " VALUES ('Gate test', 'security test', 1) RETURNING id",
        )
        eco_item = one(
            conn,
            "INSERT INTO workcell.eco_item (eco_id, item_id, bom_revision_id, version)"
            " VALUES (%s, %s, %s, 1) RETURNING id",
            (eco, item, rev),
        )
    return rev, eco, eco_item


@pytest.fixture(scope="module")
def world(lab: Lab) -> Iterator[World]:
    eng1, eng2 = lab.person(["engineer"], prefix="eng"), lab.person(["engineer"], prefix="eng")
    qa, operator = lab.person(["qa"], prefix="qa"), lab.person(["operator"], prefix="op")
    with lab.owner("security test: engineering items") as conn:
        parent = one(
            conn,
            "INSERT INTO workcell.item (item_number, description, item_type, unit)"
            " VALUES (%s, 'gate parent', 'finished', 'ea') RETURNING id",
            (unique("GATE-P-").upper(),),
        )
        component = one(
            conn,
            "INSERT INTO workcell.item (item_number, description, item_type, unit)"
            " VALUES (%s, 'gate component', 'component', 'ea') RETURNING id",
            (unique("GATE-C-").upper(),),
        )
        draft_id = one(
            conn,
            "INSERT INTO workcell.kiosk_draft (owner_id, station, screen, summary, payload)"
            " VALUES (%s, 'sec', 'items', 'parked input', '{}') RETURNING id",
            (operator.id,),
        )
    conn = lab.station()
    try:
        token = sign_in(conn, eng1)
        rev_a, eco1, _ = _draft_eco(conn, token, parent, "A")
        _submit(conn, eng1, eco1, rev_a)
        sign_then(
            conn, eng2, "reviewed", [("eco", eco1), ("bom_revision", rev_a)],
            [_bump("eco", eco1, "status = 'reviewed'")],
        )  # fmt: skip
        sign_then(
            conn, qa, "approved", [("eco", eco1), ("bom_revision", rev_a)],
            [_bump("eco", eco1, "status = 'approved'"),
             _bump("bom_revision", rev_a,
                   "status = 'released', effective = tstzrange(now(), NULL, '[)')")],
        )  # fmt: skip
        token = sign_in(conn, eng1)
        rev_b, eco2, eco2_item = _draft_eco(conn, token, parent, "B")
        _submit(conn, eng1, eco2, rev_b)
        sign_then(
            conn, qa, "approved", [("item", component)],
            [_bump("item", component, "status = 'approved'")],
        )  # fmt: skip
    finally:
        conn.close()
    yield World(
        eng1, eng2, qa, operator, parent, component, component, rev_a, rev_b, eco1, eco2,
        eco2_item, draft_id,
    )  # fmt: skip


def test_the_world_was_built_through_the_gates(lab: Lab, world: World) -> None:
    """The legitimate path works at the station: A released by ECO 1, B in review on ECO 2,
    each move logged with the signer as actor and the signature it rested on."""
    with lab.superuser() as conn:
        assert (
            one(conn, "SELECT status FROM workcell.bom_revision WHERE id = %s", (world.rev_a,))
            == "released"
        )
        assert (
            one(conn, "SELECT status FROM workcell.eco WHERE id = %s", (world.eco2,)) == "in_review"
        )
        moves = conn.execute(
            "SELECT t.action, u.username, t.signature_id IS NOT NULL"
            " FROM workcell.status_transition t"
            " JOIN workcell.users u ON u.id = t.actor_id"
            " WHERE t.record_type = 'eco' AND t.record_id = %s ORDER BY t.id",
            (world.eco1,),
        ).fetchall()
    assert moves == [
        ("submit", world.eng1.username, True),
        ("review", world.eng2.username, True),
        ("approve", world.qa.username, True),
    ]


def _token(lab: Lab, person: Person) -> str:
    with lab.station() as conn:
        return sign_in(conn, person)


MOVES_WITHOUT_SIGNATURES = {
    "ECO 2 to reviewed (reviewer, no review signature)": (
        "eng2", "eco", "eco2", "status = 'reviewed'", "WC013"),
    "ECO 2 to approved straight from review (QA)": (
        "qa", "eco", "eco2", "status = 'approved'", "WC024"),
    # the exclusion constraint (A is in effect) may refuse before the guard: either way
    "revision B released (QA, no ECO approval)": (
        "qa", "bom_revision", "rev_b",
        "status = 'released', effective = tstzrange(now(), NULL, '[)')", ("WC013", "23P01")),
    "revision A obsoleted while released (engineer)": (
        "eng1", "bom_revision", "rev_a", "status = 'obsolete'", "WC024"),
    "revision A superseded with no successor (QA)": (
        "qa", "bom_revision", "rev_a",
        "status = 'superseded',"
        " effective = tstzrange(lower(effective), now() + interval '1 day', '[)')",
        "WC024"),
    "approved item back to draft without item.return (operator)": (
        "operator", "item", "approved_item", "status = 'draft'", "WC039"),
    "ECO 2 cancelled by an operator": ("operator", "eco", "eco2", "status = 'cancelled'", "WC039"),
    "ECO 2 rejected with no rejection signature (reviewer)": (
        "eng2", "eco", "eco2", "status = 'draft'", "WC013"),
    "someone else's parked draft discarded": (
        "eng1", "kiosk_draft", "draft_id", "status = 'discarded'", "WC024"),
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(MOVES_WITHOUT_SIGNATURES))
def test_a_move_without_its_rule_is_refused(lab: Lab, world: World, attack: str) -> None:
    who, table, attr, assignment, code = MOVES_WITHOUT_SIGNATURES[attack]
    token = _token(lab, getattr(world, who))
    with lab.untouched(ENGINEERING), lab.station() as conn:
        refused(code, conn, _bump(table, getattr(world, attr), assignment), token=token,
                settings=[("workcell.reason", "attack")])  # fmt: skip


def test_moves_without_a_session_are_refused(lab: Lab, world: World) -> None:
    with lab.untouched(ENGINEERING), lab.station() as conn:
        refused("WC001", conn, _bump("eco", world.eco2, "status = 'reviewed'"),
                settings=[("workcell.reason", "attack")])  # fmt: skip


def test_an_operator_cannot_make_a_bom(lab: Lab, world: World) -> None:
    """An operator inserts a BOM revision (or a 999 g line on a draft): refused, WC039."""
    token = _token(lab, world.operator)
    with lab.untouched(ENGINEERING), lab.station() as conn:
        refused(
            "WC039", conn,
            "INSERT INTO workcell.bom_revision (item_id, revision, version) VALUES (%s, 'Z9', 1)",
            (world.parent,), token=token,
        )  # fmt: skip


def test_a_revision_without_an_eco_never_leaves_draft(lab: Lab, world: World) -> None:
    """An engineer's own draft cannot go to review, be released or supersede A without an
    ECO and its signatures; the draft itself stays (it was legitimately made)."""
    token = _token(lab, world.eng1)
    with lab.station() as conn:
        with conn.transaction():
            acting_as(conn, token)
            rev = one(
                conn,
                "INSERT INTO workcell.bom_revision (item_id, revision, version) VALUES (%s, %s, 1)"
                " RETURNING id",
                (world.parent, unique("X")[:8].upper()),
            )
        with lab.untouched(ENGINEERING):
            refused("WC013", conn, _bump("bom_revision", rev, "status = 'in_review'"),
                    token=token, settings=[("workcell.reason", "attack")])  # fmt: skip
            refused(
                ("WC024", "WC023"), conn,  # the effectivity guard may refuse first
                _bump("bom_revision", rev,
                      "status = 'released', effective = tstzrange(now(), NULL, '[)')"),
                token=token, settings=[("workcell.reason", "attack")],
            )  # fmt: skip


def test_a_second_open_eco_cannot_be_made_by_closing_the_mirror(lab: Lab, world: World) -> None:
    token = _token(lab, world.eng1)
    with lab.untouched(ENGINEERING), lab.station() as conn:
        refused("WC021", conn, _bump("eco_item", world.eco2_item, "eco_open = false"),
                token=token, settings=[("workcell.reason", "attack")])  # fmt: skip


SERVER_FACTS = {
    "item created_at": (
        "INSERT INTO workcell.item (item_number, description, item_type, unit, created_at)"
        " VALUES ('FACT-1', 'x', 'raw', 'kg', '2020-01-01')"),
    "item created_by": (
        "INSERT INTO workcell.item (item_number, description, item_type, unit, created_by)"
        " VALUES ('FACT-2', 'x', 'raw', 'kg', 1)"),
    "item created as approved": (
        "INSERT INTO workcell.item (item_number, description, item_type, unit, status)"
        " VALUES ('FACT-3', 'x', 'raw', 'kg', 'approved')"),
    "eco number": (
        "INSERT INTO workcell.eco (number, title, reason) VALUES ('ECO-99999', 't', 'r')"),
    "eco created_at": "UPDATE workcell.eco SET created_at = '2020-01-01', version = version + 1",
    "revision created_by": "UPDATE workcell.bom_revision SET created_by = 1, version = version + 1",
    "eco transition row": (
        "INSERT INTO workcell.eco_transition (eco_id, from_status, to_status, action, at, actor_id)"
        " SELECT id, 'reviewed', 'approved', 'approve', '2020-01-01', 1 FROM workcell.eco LIMIT 1"),
    "status transition with a time": (
        "INSERT INTO workcell.status_transition (record_type, record_id, to_status, action, at)"
        " VALUES ('eco', 1, 'approved', 'approve', '2020-01-01')"),
    "draft closed_at": "UPDATE workcell.kiosk_draft SET closed_at = now(), version = version + 1",
    "item id": "INSERT INTO workcell.item (id, item_number, description, item_type, unit)"
               " OVERRIDING SYSTEM VALUE VALUES (999999, 'FACT-4', 'x', 'raw', 'kg')",
}  # fmt: skip


@pytest.mark.parametrize("fact", sorted(SERVER_FACTS))
def test_server_facts_cannot_be_supplied(lab: Lab, world: World, fact: str) -> None:
    """Times, authors, numbers and ids come from the database: the column is not granted."""
    token = _token(lab, world.eng1)
    with lab.untouched(ENGINEERING), lab.station() as conn:
        refused("42501", conn, SERVER_FACTS[fact], token=token,
                settings=[("workcell.reason", "attack")])  # fmt: skip


def test_a_forged_transition_is_refused_even_in_granted_columns(lab: Lab, world: World) -> None:
    """The log's granted columns are for the guard: a station's own INSERT is refused."""
    token = _token(lab, world.eng1)
    with lab.untouched(ENGINEERING), lab.station() as conn:
        refused(
            "WC005", conn,
            "INSERT INTO workcell.status_transition (record_type, record_id, from_status,"
            " to_status, action) VALUES ('eco', %s, 'reviewed', 'approved', 'approve')",
            (world.eco2,), token=token,
        )  # fmt: skip


TABLES = (
    "workcell.users", "workcell.item", "workcell.bom_revision", "workcell.bom_line",
    "workcell.routing_revision", "workcell.routing_step", "workcell.eco", "workcell.eco_item",
    "workcell.kiosk_draft", "workcell.signature", "workcell.status_transition", "audit.entry",
    "audit.chain", "audit.seal",
)  # fmt: skip


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("mode", ["ACCESS EXCLUSIVE", "EXCLUSIVE", "SHARE", "ROW EXCLUSIVE"])
def test_a_station_cannot_lock_a_table(lab: Lab, world: World, table: str, mode: str) -> None:
    """No table-wide UPDATE, DELETE or INSERT grant: no LOCK stronger than ACCESS SHARE."""
    with lab.station() as conn:
        refused("42501", conn, f"LOCK TABLE {table} IN {mode} MODE")


def test_draft_rows_are_removed_only_through_the_function(lab: Lab, world: World) -> None:
    token = _token(lab, world.eng1)
    with lab.untouched(ENGINEERING), lab.station() as conn:
        refused("42501", conn, "DELETE FROM workcell.bom_line", token=token,
                settings=[("workcell.reason", "attack")])  # fmt: skip
        line = one(
            conn, "SELECT id FROM workcell.bom_line WHERE bom_revision_id = %s", (world.rev_a,)
        )
        # a released revision's line: the draft guard refuses inside the function
        refused("WC021", conn, "SELECT workcell.remove_draft_row('bom_line', %s)", (line,),
                token=token, settings=[("workcell.reason", "attack")])  # fmt: skip
        refused("WC005", conn, "SELECT workcell.remove_draft_row('users', 1)", token=token,
                settings=[("workcell.reason", "attack")])  # fmt: skip
    operator = _token(lab, world.operator)
    with lab.untouched(ENGINEERING), lab.station() as conn:
        refused("WC039", conn, "SELECT workcell.remove_draft_row('eco_item', %s)",
                (world.eco2_item,), token=operator,
                settings=[("workcell.reason", "attack")])  # fmt: skip


def test_rules_cannot_be_changed_by_a_station(lab: Lab, world: World) -> None:
    token = _token(lab, world.eng1)
    with lab.untouched(("workcell.transition_rule",)), lab.station() as conn:
        refused("42501", conn, "UPDATE workcell.transition_rule SET signatures = '{}'",
                token=token, settings=[("workcell.reason", "attack")])  # fmt: skip
        refused(
            "42501", conn,
            "INSERT INTO workcell.transition_rule (record_type, from_status, to_status, action)"
            " VALUES ('eco', 'in_review', 'approved', 'approve')", token=token,
        )  # fmt: skip


def _parent(lab: Lab) -> int:
    with lab.owner("security test: a parent item") as conn:
        return int(
            one(
                conn,
                "INSERT INTO workcell.item (item_number, description, item_type, unit)"
                " VALUES (%s, 'gate parent', 'finished', 'ea') RETURNING id",
                (unique("GATE-Q-").upper(),),
            )
        )


def test_a_review_from_before_a_rejection_does_not_count(lab: Lab, world: World) -> None:
    """Submitted, reviewed, rejected (a restart), submitted again: moving to reviewed on the
    old review is refused — the reviewer must sign the resubmitted content."""
    parent = _parent(lab)
    with lab.station() as conn:
        rev, eco, _ = _draft_eco(conn, sign_in(conn, world.eng1), parent, "A")
        _submit(conn, world.eng1, eco, rev)
        sign_then(conn, world.eng2, "reviewed", [("eco", eco)],
                  [_bump("eco", eco, "status = 'reviewed'")])  # fmt: skip
        sign_then(conn, world.eng2, "rejected", [("eco", eco)],
                  [_bump("eco", eco, "status = 'draft'"),
                   _bump("bom_revision", rev, "status = 'draft'")],
                  comment="needs another look")  # fmt: skip
        _submit(conn, world.eng1, eco, rev)
        token = sign_in(conn, world.eng2)
        with lab.untouched(ENGINEERING):
            err = refused("WC013", conn, _bump("eco", eco, "status = 'reviewed'"), token=token,
                          settings=[("workcell.reason", "attack")])  # fmt: skip
    assert '"reviewed" signature' in str(err)
    with lab.superuser() as su:
        moves = su.execute(
            "SELECT action, restarts, comment FROM workcell.status_transition"
            " WHERE record_type = 'eco' AND record_id = %s ORDER BY id",
            (eco,),
        ).fetchall()
    # the comment: the signature's, else the transaction's reason
    assert moves == [
        ("submit", False, "authored (test)"), ("review", False, "reviewed (test)"),
        ("reject", True, "needs another look"), ("submit", False, "authored (test)"),
    ]  # fmt: skip


def test_signatures_out_of_order_are_refused(lab: Lab, world: World) -> None:
    """A "reviewed" signature older than the "authored" one (forged by a superuser, who the
    signing rules do not stop) cannot release the revision: the guard checks the order."""
    parent = _parent(lab)
    with lab.station() as conn:
        rev, eco, _ = _draft_eco(conn, sign_in(conn, world.eng1), parent, "A")
    with lab.owner("security test: a superuser forges a review") as su:
        values = su.execute(
            "SELECT nextval(pg_get_serial_sequence('workcell.signature', 'id')),"
            " 'bom_revision', 'workcell.bom_revision', id, version,"
            " workcell.record_content_hash('bom_revision', id), 'reviewed', %s,"
            " 'Forged Reviewer', now(), 'badge+pin', 'forged', NULL::text, '', 1"
            " FROM workcell.bom_revision WHERE id = %s",
            (world.eng2.id, rev),
        ).fetchone()
        assert values is not None
        row = "ROW(" + ", ".join(["%s"] * 15) + ")::workcell.signature"
        su.execute(
            "INSERT INTO workcell.signature OVERRIDING SYSTEM VALUE SELECT (r).id,"
            " (r).record_type, (r).record_table, (r).record_id, (r).record_version,"
            " (r).content_hash, (r).meaning, (r).signer_id, (r).printed_name, (r).signed_at,"
            " (r).method, (r).station, (r).comment, workcell.signature_binding(r), 1"
            f" FROM (SELECT {row} AS r) x",
            values,
        )
    with lab.station() as conn:
        _submit(conn, world.eng1, eco, rev)
        sign_then(conn, world.eng2, "reviewed", [("eco", eco)],
                  [_bump("eco", eco, "status = 'reviewed'")])  # fmt: skip
        with lab.untouched(ENGINEERING), pytest.raises(psycopg.Error) as caught:
            sign_then(
                conn, world.qa, "approved", [("eco", eco), ("bom_revision", rev)],
                [_bump("eco", eco, "status = 'approved'"),
                 _bump("bom_revision", rev,
                       "status = 'released', effective = tstzrange(now(), NULL, '[)')")],
            )  # fmt: skip
    assert caught.value.sqlstate == "WC013"
    assert "out of order" in str(caught.value)
