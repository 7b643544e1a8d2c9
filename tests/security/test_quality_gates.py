"""Quality gates as a plain station login (issue 16): templates, inspections and their
results, dispositions, switching, NCRs and their holds. Each attack is refused by the
database and changes nothing.

The world is built at the station: a quality engineer writes a receiving template for caps
(Z1.4 level II, one major attribute at AQL 1.0) and signs it authored, QA approves it; the
receiver receives lot A (500 caps: its inspection opens, n 50 Ac 1 Re 2) and the inspector
passes every sample and completes it; lot F is received and fails (2 nonconforming), QA
refers it to NCR F (severity 4 x occurrence 2: major) with use-as-is chosen and QA's
approval only; resin lot R, released and on the line, is put on NCR R by hand.
"""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from tests.security.attack import Lab, Person, refused, run, sign_in, unique
from tests.security.test_lifecycle_gates import acting_as, one, sign_then
from tests.security.test_materials_gates import _bins, _bump, _release, move, receive

pytestmark = pytest.mark.requirement("11.10(f)", "11.10(g)")

QUALITY = (
    "workcell.inspection_template", "workcell.inspection_template_class",
    "workcell.inspection_characteristic", "workcell.inspection", "workcell.inspection_plan",
    "workcell.inspection_result", "workcell.inspection_result_invalidation",
    "workcell.switching_state", "workcell.switching_event", "workcell.ncr", "workcell.ncr_lot",
    "workcell.risk_matrix", "workcell.risk_matrix_cell", "workcell.risk_matrix_approval",
    "workcell.lot", "workcell.hold", "workcell.inventory_txn", "workcell.on_hand",
    "workcell.shipment_line", "workcell.status_transition", "workcell.signature", "audit.entry",
    "workcell.z14_cell", "workcell.z14_code_letter",
)  # fmt: skip
REASON = [("workcell.reason", "attack")]


@dataclass(frozen=True)
class World:
    qe: Person
    qa: Person
    qa2: Person
    inspector: Person
    receiver: Person
    supervisor: Person
    cap: int
    resin: int
    device: int
    acme: int
    bins: dict[str, int]
    template: int
    lot_a: int
    insp_a: int
    lot_f: int
    insp_f: int
    ncr_f: int
    lot_r: int
    ncr_r: int
    customer: int


def _item(conn: psycopg.Connection[Any], name: str, unit: str, tracking: str = "lot") -> int:
    return int(one(conn, "INSERT INTO workcell.item (item_number, description, item_type, unit, tracking)"
                         " VALUES (%s, %s, 'component', %s, %s) RETURNING id",
                   (unique(f"Q-{name}-").upper(), name, unit, tracking)))  # fmt: skip


def _fill(
    conn: psycopg.Connection[Any], token: str, inspection: int, char: int, failing: int
) -> None:
    with conn.transaction():
        acting_as(conn, token, "results (test)")
        n = one(conn, "SELECT sample_size FROM workcell.inspection WHERE id = %s", (inspection,))
        for sample in range(1, n + 1):
            conn.execute("SELECT workcell.record_inspection_result(%s, %s, %s, NULL, %s, NULL, '')",
                         (inspection, sample, char, sample > failing))  # fmt: skip


def _complete(conn: psycopg.Connection[Any], who: Person, inspection: int) -> None:
    sign_then(conn, who, "inspected", [("inspection", inspection)],
              [_bump("inspection", inspection, "status = 'completed'")])  # fmt: skip


def _inspection_of(conn: psycopg.Connection[Any], lot: int) -> int:
    return int(one(conn, "SELECT id FROM workcell.inspection WHERE lot_id = %s", (lot,)))


@pytest.fixture(scope="module")
def world(lab: Lab) -> Iterator[World]:
    qe, qa, qa2 = (
        lab.person(["engineer"], prefix="qe"),
        lab.person(["qa"], prefix="qa"),
        lab.person(["qa"], prefix="qb"),
    )
    inspector, receiver = (
        lab.person(["operator"], prefix="insp"),
        lab.person(["operator"], prefix="rcv"),
    )
    supervisor = lab.person(["supervisor"], prefix="sup")
    with lab.owner("security test: quality master data") as conn:
        cap, resin, device = (
            _item(conn, "cap", "ea"),
            _item(conn, "resin", "kg"),
            _item(conn, "dev", "ea", "serial"),
        )
        bins = _bins(conn)
        acme = int(
            one(
                conn,
                "INSERT INTO workcell.supplier (code, name) VALUES (%s, 'Acme') RETURNING id",
                (unique("QACME").upper(),),
            )
        )
        for item in (cap, resin):
            conn.execute(
                "INSERT INTO workcell.approved_supplier (item_id, supplier_id) VALUES (%s, %s)",
                (item, acme),
            )
        customer = int(
            one(
                conn,
                "INSERT INTO workcell.customer (code, name) VALUES (%s, 'Clinic') RETURNING id",
                (unique("QC").upper(),),
            )
        )
    conn = lab.station()
    try:
        for item in (cap, resin, device):
            sign_then(
                conn, qa, "approved", [("item", item)], [_bump("item", item, "status = 'approved'")]
            )
        token = sign_in(conn, qe)
        with conn.transaction():
            acting_as(conn, token, "template (test)")
            template = int(
                one(
                    conn,
                    "INSERT INTO workcell.inspection_template (item_id, inspection_type, revision, title, sampling, inspection_level, version)"
                    " VALUES (%s, 'receiving', 1, 'Cap receiving', 'z14', 'II', 1) RETURNING id",
                    (cap,),
                )
            )
            conn.execute(
                "INSERT INTO workcell.inspection_template_class (template_id, defect_class, aql, version) VALUES (%s, 'major', 1.0, 1)",
                (template,),
            )
            conn.execute(
                "INSERT INTO workcell.inspection_characteristic (template_id, seq, name, kind, defect_class, version)"
                " VALUES (%s, 1, 'Thread gauge', 'attribute', 'major', 1)",
                (template,),
            )
        sign_then(
            conn,
            qe,
            "authored",
            [("inspection_template", template)],
            [_bump("inspection_template", template, "status = 'in_review'")],
        )
        sign_then(
            conn,
            qa,
            "approved",
            [("inspection_template", template)],
            [_bump("inspection_template", template, "status = 'released'")],
        )
        char = int(
            one(
                conn,
                "SELECT id FROM workcell.inspection_characteristic WHERE template_id = %s",
                (template,),
            )
        )
        rtoken = sign_in(conn, receiver)
        lot_a = receive(conn, rtoken, cap, acme, bins["RCV"], "500")
        lot_f = receive(conn, rtoken, cap, acme, bins["RCV"], "500")
        insp_a, insp_f = _inspection_of(conn, lot_a), _inspection_of(conn, lot_f)
        itoken = sign_in(conn, inspector)
        _fill(conn, itoken, insp_a, char, 0)
        _fill(conn, itoken, insp_f, char, 2)
        _complete(conn, inspector, insp_a)
        _complete(conn, inspector, insp_f)
        qtoken = sign_in(conn, qa)
        with conn.transaction():
            acting_as(conn, qtoken, "NCR (test)")
            ncr_f = int(
                one(
                    conn,
                    "SELECT workcell.raise_ncr('inspection', %s, NULL, NULL, 'Threads', '2 of 50', 4, 2)",
                    (insp_f,),
                )
            )
        sign_then(
            conn,
            qa,
            "referred",
            [("inspection", insp_f)],
            [_bump("inspection", insp_f, "status = 'referred'")],
        )
        qtoken = sign_in(conn, qa)
        with conn.transaction():
            acting_as(conn, qtoken, "disposition (test)")
            conn.execute(
                _bump("ncr", ncr_f, "disposition = 'use_as_is', disposition_note = 'functional'")
            )
        sign_then(conn, qa, "qa_approved", [("ncr", ncr_f)], [])
        # resin: received, released, on the line, then an NCR by hand
        lot_r = receive(conn, rtoken, resin, acme, bins["QUA"], "50")
        _release(conn, qa, lot_r)
        move(conn, sign_in(conn, receiver), lot_r, bins["QUA"], bins["LINE"], "20")
        qtoken = sign_in(conn, qa)
        with conn.transaction():
            acting_as(conn, qtoken, "NCR (test)")
            ncr_r = int(
                one(
                    conn,
                    "SELECT workcell.raise_ncr('manual', NULL, NULL, ARRAY[%s]::bigint[], 'Resin', 'supplier notice', 2, 2)",
                    (lot_r,),
                )
            )
    finally:
        conn.close()
    yield World(qe, qa, qa2, inspector, receiver, supervisor, cap, resin, device, acme, bins,
                template, lot_a, insp_a, lot_f, insp_f, ncr_f, lot_r, ncr_r, customer)  # fmt: skip


def _token(lab: Lab, person: Person) -> str:
    with lab.station() as conn:
        return sign_in(conn, person)


def _value(lab: Lab, sql: str, params: tuple[Any, ...] = ()) -> Any:
    with lab.superuser() as conn:
        return one(conn, sql, params)


def test_the_world_was_built_through_the_gates(lab: Lab, world: World) -> None:
    """The receipt opened the inspection on the table's plan; the database decided; the NCR
    holds its lots; the switching state counted both lots."""
    plan = _value(
        lab,
        "SELECT array[code_letter, sample_size::text, ac::text, re::text] FROM workcell.inspection_plan WHERE inspection_id = %s",
        (world.insp_a,),
    )
    assert plan == ["H", "50", "1", "2"]
    assert (
        _value(lab, "SELECT decision FROM workcell.inspection WHERE id = %s", (world.insp_a,))
        == "accept"
    )
    assert (
        _value(lab, "SELECT decision FROM workcell.inspection WHERE id = %s", (world.insp_f,))
        == "reject"
    )
    assert _value(lab, "SELECT workcell.lot_is_held(%s)", (world.lot_f,)) is True
    # the world's two lots, in order (the release test receives a third, in any test order)
    recent = _value(
        lab, "SELECT recent FROM workcell.switching_state WHERE item_id = %s", (world.cap,)
    )
    assert recent.startswith("AR")


def test_the_inspector_cannot_disposition_their_own_inspection(lab: Lab, world: World) -> None:
    """Signature refused (distinct from "inspected"): the lot stays in quarantine."""
    with lab.untouched(QUALITY), lab.station() as conn, pytest.raises(psycopg.Error) as caught:
        sign_then(conn, world.inspector, "released", [("inspection", world.insp_a), ("lot", world.lot_a)],
                  [_bump("inspection", world.insp_a, "status = 'released'")])  # fmt: skip
    assert caught.value.sqlstate in ("WC012", "WC039"), caught.value


def test_the_receiver_cannot_disposition_the_inspection_of_their_receipt(
    lab: Lab, world: World
) -> None:
    with lab.untouched(QUALITY), lab.station() as conn, pytest.raises(psycopg.Error) as caught:
        sign_then(conn, world.receiver, "released", [("inspection", world.insp_a)], [])
    assert caught.value.sqlstate in ("WC012", "WC039"), caught.value


MOVES = {
    "inspection released without a signature": ("qa2", "inspection", "insp_a", "status = 'released'", "WC013"),
    "inspection completed again": ("inspector", "inspection", "insp_a", "status = 'open'", "WC024"),
    "lot released with its inspection not dispositioned": ("qa2", "lot", "lot_a", "status = 'released'", ("WC013", "WC024")),
    "NCR dispositioned without engineering's approval": ("qa", "ncr", "ncr_f", "status = 'dispositioned'", "WC024"),
    "NCR closed while open": ("qa", "ncr", "ncr_f", "status = 'closed'", "WC024"),
    "NCR dispositioned by the inspector": ("inspector", "ncr", "ncr_f", "status = 'dispositioned'", "WC039"),
    "released template edited": ("qe", "inspection_template", "template", "title = 'changed'", "WC117"),
    "template released twice": ("qa", "inspection_template", "template", "status = 'draft'", "WC024"),
    "NCR risk class lowered": ("qa", "ncr", "ncr_f", "risk_class = 'minor'", "42501"),
    "inspection decision forged": ("qa", "inspection", "insp_f", "decision = 'accept'", "42501"),
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(MOVES))
def test_a_move_without_its_rule_is_refused(lab: Lab, world: World, attack: str) -> None:
    who, table, record, assignment, code = MOVES[attack]
    token = _token(lab, getattr(world, who))
    with lab.untouched(QUALITY), lab.station() as conn:
        refused(
            code,
            conn,
            _bump(table, getattr(world, record), assignment),
            token=token,
            settings=REASON,
        )


def test_an_approved_lot_release_still_needs_the_disposition(lab: Lab, world: World) -> None:
    """QA2 signs the lot released (a valid signature) but the inspection is not dispositioned:
    the lot's rule refuses."""
    with lab.untouched(QUALITY), lab.station() as conn, pytest.raises(psycopg.Error) as caught:
        _release(conn, world.qa2, world.lot_a)
    assert caught.value.sqlstate == "WC024" and "inspection" in str(caught.value)


WRITES = {
    "result inserted directly": "INSERT INTO workcell.inspection_result (inspection_id, sample_no, characteristic_id, passed) SELECT id, 1, 1, true FROM workcell.inspection LIMIT 1",
    "result edited": "UPDATE workcell.inspection_result SET passed = true",
    "result deleted": "DELETE FROM workcell.inspection_result",
    "invalidation deleted": "DELETE FROM workcell.inspection_result_invalidation",
    "inspection inserted": "INSERT INTO workcell.inspection (number, lot_id, template_id, inspection_type, data_version) SELECT 'X', lot_id, template_id, 'receiving', data_version FROM workcell.inspection LIMIT 1",
    "plan loosened": "UPDATE workcell.inspection_plan SET ac = 10, re = 11, version = version + 1",
    "switching state reduced": "UPDATE workcell.switching_state SET status = 'reduced', version = version + 1",
    "switching score forged": "UPDATE workcell.switching_state SET score = 30, version = version + 1",
    "switching event forged": "INSERT INTO workcell.switching_event (state_id, from_status, to_status, rule, score_before, score_after) SELECT id, 'normal', 'reduced', 'x', 0, 0 FROM workcell.switching_state LIMIT 1",
    "NCR inserted directly": "INSERT INTO workcell.ncr (number, origin, title, description, severity, occurrence, matrix_id, risk_class) SELECT 'N', 'manual', 't', 'd', 1, 1, id, 'minor' FROM workcell.risk_matrix LIMIT 1",
    "NCR lot unlinked": "DELETE FROM workcell.ncr_lot",
    "reference cell edited": "UPDATE workcell.z14_cell SET ac = 5",
    "reference cell added": "INSERT INTO workcell.z14_cell SELECT * FROM workcell.z14_cell LIMIT 1",
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(WRITES))
def test_quality_records_cannot_be_written_directly(lab: Lab, world: World, attack: str) -> None:
    """Stations hold no grant on results, plans, decisions, switching or NCR facts (42501)."""
    token = _token(lab, world.qa)
    with lab.untouched(QUALITY), lab.station() as conn:
        refused("42501", conn, WRITES[attack], token=token, settings=REASON)


def test_the_released_risk_matrix_is_fixed(lab: Lab, world: World) -> None:
    token = _token(lab, world.qa)
    with lab.untouched(QUALITY), lab.station() as conn:
        refused("WC128", conn, "UPDATE workcell.risk_matrix_cell SET risk_class = 'minor', version = version + 1 WHERE risk_class = 'critical'",
                token=token, settings=REASON)  # fmt: skip
        refused("WC128", conn, "UPDATE workcell.risk_matrix_approval SET approvals = '{qa_approved}', version = version + 1",
                token=token, settings=REASON)  # fmt: skip


def test_a_draft_matrix_cannot_drop_qas_approval(lab: Lab, world: World) -> None:
    """QA (quality.configure) writing a draft by plain SQL: a disposition needing only
    engineering's approval is refused by the CHECK (migration 0035), the draft with it."""
    token = _token(lab, world.qa)
    with lab.untouched(QUALITY), lab.station() as conn:
        err = refused("23514", conn,
                "INSERT INTO workcell.risk_matrix (revision, title, version) VALUES (9999, 'attack', 1);"
                " INSERT INTO workcell.risk_matrix_approval (matrix_id, risk_class, disposition, approvals, version)"
                " SELECT id, 'major', 'use_as_is', '{engineering_approved}', 1 FROM workcell.risk_matrix WHERE revision = 9999",
                token=token, settings=REASON)  # fmt: skip
    assert "ck_risk_matrix_approval_qa" in str(err)


FUNCTIONS = {
    "result without a session": ("", "SELECT workcell.record_inspection_result(%s, 1, 1, NULL, true, NULL, '')", "insp_a", ("WC001", "WC039")),
    "result on a completed inspection": ("inspector", "SELECT workcell.record_inspection_result(%s, 1, 1, NULL, true, NULL, '')", "insp_a", "WC119"),
    "manual plan by the inspector": ("inspector", "SELECT workcell.set_manual_plan(%s, 'major', 2, 0, 1, 'x')", "insp_a", "WC039"),
    "severity reduced by the inspector": ("inspector", "SELECT workcell.switching_move(%s, 1, 'reduced', 'x')", "cap", "WC039"),
    "severity reduced by QA without a score": ("qa", "SELECT workcell.switching_move(%s, (SELECT supplier_id FROM workcell.switching_state WHERE item_id = %s), 'reduced', 'steady')", "cap", "WC126"),
    "NCR raised by an operator": ("inspector", "SELECT workcell.raise_ncr('manual', NULL, NULL, ARRAY[%s]::bigint[], 't', 'd', 1, 1)", "lot_a", "WC039"),
    "NCR off the matrix": ("qa", "SELECT workcell.raise_ncr('manual', NULL, NULL, ARRAY[%s]::bigint[], 't', 'd', 9, 1)", "lot_a", "WC128"),
    "receiving inspection opened by hand": ("qa", "SELECT workcell.create_inspection(%s, 'receiving')", "lot_a", "WC119"),
    "in-process inspection before work orders": ("qa", "SELECT workcell.create_inspection(%s, 'in_process')", "lot_a", "WC119"),
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(FUNCTIONS))
def test_the_quality_functions_check_who_and_what(lab: Lab, world: World, attack: str) -> None:
    who, statement, record, code = FUNCTIONS[attack]
    token = _token(lab, getattr(world, who)) if who else None
    rid = getattr(world, record)
    params = (rid, rid) if statement.count("%s") == 2 else (rid,)
    with lab.untouched(QUALITY), lab.station() as conn:
        refused(code, conn, statement, params, token=token, settings=REASON)


def test_an_ncr_hold_is_not_released_by_hand(lab: Lab, world: World) -> None:
    """A valid QA "released" signature on the hold, but the NCR is open: refused."""
    hold = _value(lab, "SELECT hold_id FROM workcell.ncr_lot WHERE ncr_id = %s", (world.ncr_r,))
    with lab.untouched(QUALITY), lab.station() as conn, pytest.raises(psycopg.Error) as caught:
        sign_then(
            conn, world.qa, "released", [("hold", hold)], [_bump("hold", hold, "status = 'closed'")]
        )
    assert caught.value.sqlstate == "WC024" and "NCR" in str(caught.value)


def test_an_ncr_hold_cannot_be_forged(lab: Lab, world: World) -> None:
    token = _token(lab, world.supervisor)
    with lab.untouched(QUALITY), lab.station() as conn:
        refused("WC123", conn, "INSERT INTO workcell.hold (lot_id, source, source_ref, reason, version) VALUES (%s, 'ncr', 'NCR-NONE', 'x', 1)",
                (world.lot_a,), token=token, settings=REASON)  # fmt: skip


def test_an_ncr_hold_blocks_consumption_and_shipping(lab: Lab, world: World) -> None:
    """Resin lot R is released and on the line, but on NCR hold: not consumed, not picked."""
    token = _token(lab, world.receiver)
    inputs = json.dumps([{"lot": world.lot_r, "bin": world.bins["LINE"], "quantity": "1"}])
    with lab.untouched(QUALITY), lab.station() as conn:
        refused("WC062", conn, "SELECT workcell.record_production(%s, 1, %s, NULL, ARRAY[%s], %s::jsonb, 'attack')",
                (world.device, world.bins["QUA"], unique("SN"), inputs), token=token, settings=REASON)  # fmt: skip
    sup = _token(lab, world.supervisor)
    with lab.station() as conn:
        shipment = run(conn, "INSERT INTO workcell.shipment (customer_id, reference, version) VALUES (%s, 'q', 1) RETURNING id",
                       (world.customer,), token=sup, settings=REASON)[0][0]  # fmt: skip
    with lab.untouched(QUALITY), lab.station() as conn:
        refused("WC062", conn, "INSERT INTO workcell.shipment_line (shipment_id, lot_id, bin_id, quantity, version) VALUES (%s, %s, %s, 1, 1)",
                (shipment, world.lot_r, world.bins["LINE"]), token=sup, settings=REASON)  # fmt: skip


def test_qa_dispositions_the_accepted_inspection_and_the_lot_moves(lab: Lab, world: World) -> None:
    """The way that works: QA2 signs the inspection and the lot released in one PIN entry; the
    lot leaves quarantine with the inspection. On a lot of its own, since the release cannot be
    undone and the other tests (in any order) need the world's accepted inspection still open."""
    char = _value(lab, "SELECT id FROM workcell.inspection_characteristic WHERE template_id = %s",
                  (world.template,))  # fmt: skip
    with lab.station() as conn:
        lot = receive(
            conn, sign_in(conn, world.receiver), world.cap, world.acme, world.bins["RCV"], "500"
        )
        inspection = _inspection_of(conn, lot)
        _fill(conn, sign_in(conn, world.inspector), inspection, char, 0)
        _complete(conn, world.inspector, inspection)
        sign_then(conn, world.qa2, "released", [("inspection", inspection), ("lot", lot)],
                  [_bump("inspection", inspection, "status = 'released'")])  # fmt: skip
    assert _value(lab, "SELECT status FROM workcell.lot WHERE id = %s", (lot,)) == "released"


@dataclass(frozen=True)
class Capa:
    id: int
    sections: dict[int, int]  # discipline -> section id
    owner: Person


@pytest.fixture(scope="module")
def open_capa(lab: Lab, world: World) -> Capa:
    """A CAPA on NCR R: D0..D7 owned by the supervisor, D8 by QA; D1 written."""
    with lab.station() as conn:
        token = sign_in(conn, world.qa)
        with conn.transaction():
            acting_as(conn, token, "CAPA (test)")
            owners = [world.supervisor.id] * 8 + [world.qa.id]
            cid = int(one(conn, "SELECT workcell.raise_capa(%s, 'Resin moisture', %s::bigint[], ARRAY(SELECT current_date + g FROM generate_series(1, 9) g))",
                          (world.ncr_r, owners)))  # fmt: skip
        stoken = sign_in(conn, world.supervisor)
        with conn.transaction():
            acting_as(conn, stoken, "D1 (test)")
            conn.execute(
                "UPDATE workcell.capa_section SET content = 'team', version = version + 1 WHERE capa_id = %s AND discipline = 1",
                (cid,),
            )
        rows = conn.execute(
            "SELECT discipline, id FROM workcell.capa_section WHERE capa_id = %s", (cid,)
        ).fetchall()
    return Capa(cid, {int(d): int(i) for d, i in rows}, world.supervisor)


def test_a_capa_section_is_completed_by_its_owner_in_order(
    lab: Lab, world: World, open_capa: Capa
) -> None:
    """D1 before D0, or by someone else than its owner: refused; nothing changes."""
    d1 = open_capa.sections[1]
    for who in (world.supervisor, world.qa):
        with (
            lab.untouched((*QUALITY, "workcell.capa", "workcell.capa_section")),
            lab.station() as conn,
            pytest.raises(psycopg.Error) as caught,
        ):
            sign_then(
                conn,
                who,
                "completed",
                [("capa_section", d1)],
                [_bump("capa_section", d1, "status = 'complete'")],
            )
        assert caught.value.sqlstate in ("WC024", "WC039"), caught.value


def test_a_capa_does_not_close_with_sections_open(lab: Lab, world: World, open_capa: Capa) -> None:
    with (
        lab.untouched((*QUALITY, "workcell.capa", "workcell.capa_section")),
        lab.station() as conn,
        pytest.raises(psycopg.Error) as caught,
    ):
        sign_then(
            conn,
            world.qa,
            "closed",
            [("capa", open_capa.id)],
            [_bump("capa", open_capa.id, "status = 'closed'")],
        )
    assert caught.value.sqlstate == "WC024" and "D0..D8" in str(caught.value)


CAPA_WRITES = {
    "section owner changed": "UPDATE workcell.capa_section SET owner_id = 1, version = version + 1",
    "section completion time forged": "UPDATE workcell.capa_section SET completed_at = now(), version = version + 1",
    "CAPA inserted directly": "INSERT INTO workcell.capa (number, ncr_id, title) SELECT 'C', id, 't' FROM workcell.ncr LIMIT 1",
    "CAPA moved to another NCR": "UPDATE workcell.capa SET ncr_id = ncr_id, version = version + 1",
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(CAPA_WRITES))
def test_capa_facts_cannot_be_written(lab: Lab, world: World, open_capa: Capa, attack: str) -> None:
    token = _token(lab, world.qa)
    with lab.untouched((*QUALITY, "workcell.capa", "workcell.capa_section")), lab.station() as conn:
        refused("42501", conn, CAPA_WRITES[attack], token=token, settings=REASON)


def test_a_capa_is_raised_by_supervisors_and_qa_only(
    lab: Lab, world: World, open_capa: Capa
) -> None:
    token = _token(lab, world.inspector)
    owners = [world.inspector.id] * 9
    with lab.untouched((*QUALITY, "workcell.capa", "workcell.capa_section")), lab.station() as conn:
        refused("WC039", conn, "SELECT workcell.raise_capa(%s, 'x', %s::bigint[], ARRAY(SELECT current_date + g FROM generate_series(1, 9) g))",
                (world.ncr_r, owners), token=token, settings=REASON)  # fmt: skip
