"""8-D CAPA on an NCR (issue 16): nine sections with owners and due dates, completed in
order by their owners with a signature (D8 by QA), D3 listing the held lots, overdue
actions listed, and an open CAPA keeping its NCR from closing."""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import InvalidInput, PermissionDenied, RuleViolation
from domain.services.quality import capa, ncr
from tests.conftest import TestDatabase
from tests.integration.engineering_helpers import make_signer
from tests.integration.materials_helpers import build_plant
from tests.integration.test_quality import Quality

pytestmark = pytest.mark.pg18


@pytest.fixture(scope="module")
def q(database: TestDatabase, session_factory: sessionmaker[Session]) -> Quality:
    plant = build_plant(database, session_factory)
    people = [make_signer(database, session_factory, p, r)
              for p, r in (("qe", "engineer"), ("insp", "operator"), ("eng", "engineer"), ("qa2", "qa"))]  # fmt: skip
    return Quality(plant, *people)


def test_a_capa_is_signed_discipline_by_discipline_and_blocks_its_ncr(q: Quality) -> None:
    p = q.plant
    lot = p.stocked("resin", "10")
    with p.uow(p.qa) as uow:
        n = ncr.raise_ncr(
            uow, ncr.NewNcr("Recurring moisture", "third lot this quarter", 3, 4, (lot,))
        )
        owners = [q.engineer] * 8 + [p.qa]
        due = [p.today - dt.timedelta(days=1)] + [
            p.today + dt.timedelta(days=7 * d) for d in range(1, 9)
        ]
        c = capa.raise_capa(uow, n.number, "Moisture ingress at supplier", owners, due)
        uow.commit()
    assert [s.discipline for s in c.sections] == list(range(9))
    assert lot in c.sections[3].content and c.sections[3].title.startswith("D3 Containment")
    with p.uow(p.qa) as uow:
        overdue = capa.overdue_actions(uow)
    assert [
        (o.capa_number, o.discipline[:2], o.owner) for o in overdue if o.capa_number == c.number
    ] == [(c.number, "D0", q.engineer)]
    with p.uow(q.engineer) as uow, pytest.raises(InvalidInput, match="no content"):
        capa.complete_section(uow, c.number, 1, p.signing(q.engineer))
    with p.uow(q.engineer) as uow:
        capa.write_section(uow, c.number, 1, "Team: QA, supplier quality, engineering")
        uow.commit()
    with (
        p.uow(q.engineer) as uow,
        pytest.raises(RuleViolation, match="after the disciplines before it"),
    ):
        capa.complete_section(uow, c.number, 1, p.signing(q.engineer))
    with p.uow(q.engineer) as uow:
        capa.write_section(uow, c.number, 0, "Containment plan: hold all open lots")
        uow.commit()
    with p.uow(q.qe) as uow, pytest.raises(RuleViolation, match="by its owner"):
        capa.complete_section(uow, c.number, 0, p.signing(q.qe))
    for d in range(8):
        with p.uow(q.engineer) as uow:
            if d > 1:
                capa.write_section(uow, c.number, d, f"D{d} done")
            capa.complete_section(uow, c.number, d, p.signing(q.engineer))
            uow.commit()
    # the NCR is dispositioned and its holds closed, but it does not close with the CAPA open
    with p.uow(p.qa) as uow:
        ncr.choose_disposition(uow, n.number, "scrap", "moisture")
        ncr.approve_ncr(uow, n.number, "qa_approved", p.signing(p.qa))
        uow.commit()
    with p.uow(q.qa2) as uow:
        ncr.disposition_ncr(uow, n.number, p.signing(q.qa2))
        uow.commit()
    with p.uow(p.qa) as uow, pytest.raises(RuleViolation, match="open CAPA"):
        ncr.close_ncr(uow, n.number, p.signing(p.qa))
    with p.uow(p.qa) as uow, pytest.raises(RuleViolation, match=r"D0\.\.D8 are complete"):
        capa.close_capa(uow, c.number, p.signing(p.qa))
    with p.uow(q.engineer) as uow, pytest.raises((PermissionDenied, RuleViolation)):
        capa.write_section(uow, c.number, 8, "closing")
        capa.complete_section(uow, c.number, 8, p.signing(q.engineer))
    with p.uow(p.qa) as uow:
        capa.write_section(uow, c.number, 8, "Effective: no recurrence in 3 lots; team thanked")
        capa.complete_section(uow, c.number, 8, p.signing(p.qa))
        uow.commit()
    with p.uow(p.qa) as uow:
        closed = capa.close_capa(uow, c.number, p.signing(p.qa))
        ncr.close_ncr(uow, n.number, p.signing(p.qa))
        uow.commit()
    assert closed.status == "closed" and all(s.status == "complete" for s in closed.sections)
    with p.uow(p.qa) as uow, pytest.raises(RuleViolation, match="complete"):
        capa.write_section(uow, c.number, 3, "rewritten")
