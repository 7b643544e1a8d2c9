"""ECOs: three signatures from three people release the revisions; the refusals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import AuthenticationFailed, InvalidInput, RuleViolation, SignatureRefused
from domain.services import bom, eco, effectivity, signatures
from domain.services.signatures import RecordRef
from tests.conftest import TEST_ADMIN, TestDatabase
from tests.integration.engineering_helpers import (
    ENGINEER,
    D,
    engineer,  # noqa: F401
    make_item,
    make_signer,
    released_bom,
    signing,
)
from tests.integration.identity_fixtures import token_at

pytestmark = [pytest.mark.pg18, pytest.mark.usefixtures("engineer")]


@dataclass(frozen=True)
class Team:
    author: str  # engineer
    reviewer: str  # engineer
    qa: str
    operator: str
    quality_engineer: str  # engineer + qa: may author and approve, never both on one ECO


@pytest.fixture(scope="module")
def team(database: TestDatabase, session_factory: sessionmaker[Session]) -> Team:
    def person(prefix: str, *roles: str) -> str:
        return make_signer(database, session_factory, prefix, *roles)

    return Team(
        person("erin", "engineer"),
        person("eddie", "engineer"),
        person("quinn", "qa"),
        person("olivia", "operator"),
        person("quinta", "engineer", "qa"),
    )


def _product(make_uow) -> tuple[str, str, str]:
    """A parent with released BOM rev A (2 x comp) used inside a top assembly."""
    with make_uow(ENGINEER) as uow:
        top, parent, comp = make_item(uow, "FG"), make_item(uow, "SA"), make_item(uow, "CP")
        uow.commit()
    released_bom(make_uow, parent, [(comp, "2")])
    released_bom(make_uow, top, [(parent, "1")])
    return top, parent, comp


def _draft_eco(make_uow, author: str, parent: str, qty: str = "3", **kw) -> str:
    """An ECO by ``author`` carrying a new BOM revision of ``parent`` with a changed qty."""
    with make_uow(author, reason="test ECO") as uow:
        view = eco.create_eco(uow, "Change quantity", "Field feedback", **kw)
        eco.add_eco_item(uow, view.number, parent, new_bom=True, change_note="qty")
        label = eco.get_eco(uow, view.number).items[0].bom_revision
        assert label is not None
        current = bom.get_bom(uow, parent, label)
        line = current.lines[0]
        bom.replace_bom_lines(
            uow, parent, label, [bom.BomLineInput(line.component, D(qty), position=line.position)]
        )
        uow.commit()
    return view.number


def _act(make_uow, fn, number: str, who: str, comment: str | None = None) -> None:
    with make_uow(who) as uow:
        fn(uow, number, signing(who, comment))
        uow.commit()


def test_three_signatures_release_the_revision_and_supersede_the_old(make_uow, team) -> None:
    """Author → reviewer → QA: rev B released now, rev A superseded, ECO approved, 3 events."""
    top, parent, _ = _product(make_uow)
    number = _draft_eco(make_uow, team.author, parent)
    _act(make_uow, eco.submit_eco, number, team.author)
    _act(make_uow, eco.review_eco, number, team.reviewer)
    _act(make_uow, eco.approve_eco, number, team.qa)
    with make_uow() as uow:
        view = eco.get_eco(uow, number)
        hist = {s.revision: s for s in bom.bom_history(uow, parent)}
        current = bom.bom_as_of(uow, parent, effectivity.server_now(uow))
        sigs = signatures.signatures_for(uow, RecordRef("bom_revision", hist["B"].id))
    assert view.status == "approved"
    assert [e.action for e in view.history] == ["submit", "review", "approve"]
    assert [(i.used_in, i.level) for i in view.impact] == [(top, 1)]
    assert hist["A"].status == "superseded" and hist["B"].status == "released"
    assert hist["A"].effective_to == hist["B"].effective_from
    assert current.summary.revision == "B" and current.lines[0].quantity_per == D(3)
    assert [(s.meaning, s.username, s.valid) for s in sigs] == [
        ("authored", team.author, True),
        ("reviewed", team.reviewer, True),
        ("approved", team.qa, True),
    ]


def test_signatures_stay_valid_after_supersession(make_uow, team) -> None:
    """Rev B's signatures stay valid when a later ECO supersedes it (lifecycle is unsigned)."""
    _, parent, _ = _product(make_uow)
    for qty in ("3", "4"):
        number = _draft_eco(make_uow, team.author, parent, qty)
        _act(make_uow, eco.submit_eco, number, team.author)
        _act(make_uow, eco.review_eco, number, team.reviewer)
        _act(make_uow, eco.approve_eco, number, team.qa)
    with make_uow() as uow:
        b = bom.get_bom(uow, parent, "B").summary
        eco_b = eco.list_ecos(uow, item_number=parent)[-1]
        sigs = signatures.signatures_for(uow, RecordRef("bom_revision", b.id))
        eco_sigs = signatures.signatures_for(
            uow, RecordRef("eco", eco.get_eco(uow, eco_b.number).id)
        )
    assert b.status == "superseded" and b.effective_to is not None
    assert len(sigs) == 3 and all(s.valid for s in sigs)
    assert {s.meaning for s in eco_sigs} == {"authored", "reviewed", "approved"}
    assert all(s.valid for s in eco_sigs)


def test_author_cannot_approve_own_eco(make_uow, team) -> None:
    """A quality engineer who authored the ECO may not approve it, though they hold QA."""
    _, parent, _ = _product(make_uow)
    number = _draft_eco(make_uow, team.quality_engineer, parent)
    _act(make_uow, eco.submit_eco, number, team.quality_engineer)
    _act(make_uow, eco.review_eco, number, team.reviewer)
    with pytest.raises(SignatureRefused, match="author"):
        _act(make_uow, eco.approve_eco, number, team.quality_engineer)


def test_author_cannot_review_own_eco(make_uow, team) -> None:
    """The author's review is refused: the reviewer is a second person."""
    _, parent, _ = _product(make_uow)
    number = _draft_eco(make_uow, team.author, parent)
    _act(make_uow, eco.submit_eco, number, team.author)
    with pytest.raises(SignatureRefused):
        _act(make_uow, eco.review_eco, number, team.author)


def test_reviewer_cannot_also_approve(make_uow, team) -> None:
    """Whoever reviewed may not approve the same ECO: three different people."""
    _, parent, _ = _product(make_uow)
    number = _draft_eco(make_uow, team.author, parent)
    _act(make_uow, eco.submit_eco, number, team.author)
    _act(make_uow, eco.review_eco, number, team.quality_engineer)
    with pytest.raises(SignatureRefused, match="already signed"):
        _act(make_uow, eco.approve_eco, number, team.quality_engineer)


def test_operator_cannot_sign_an_approval(make_uow, team) -> None:
    """An operator lacks eco.approve: the signature is refused and nothing is released."""
    _, parent, _ = _product(make_uow)
    number = _draft_eco(make_uow, team.author, parent)
    _act(make_uow, eco.submit_eco, number, team.author)
    _act(make_uow, eco.review_eco, number, team.reviewer)
    with pytest.raises(SignatureRefused, match=r"eco\.approve"):
        _act(make_uow, eco.approve_eco, number, team.operator)
    with make_uow() as uow:
        assert eco.get_eco(uow, number).status == "reviewed"
        assert bom.get_bom(uow, parent, "B").summary.status == "in_review"


def test_approval_before_review_refused_by_service_and_signing_rules(make_uow, team) -> None:
    """Out of order: the service refuses, and a direct 'approved' signature is refused too."""
    _, parent, _ = _product(make_uow)
    number = _draft_eco(make_uow, team.author, parent)
    _act(make_uow, eco.submit_eco, number, team.author)
    with pytest.raises(RuleViolation, match="in review"):
        _act(make_uow, eco.approve_eco, number, team.qa)
    with make_uow(team.qa) as uow, pytest.raises(SignatureRefused, match="reviewed"):
        eco_id = eco.get_eco(uow, number).id
        s = signing(team.qa)
        signatures.sign(
            uow, RecordRef("eco", eco_id), "approved", s.creds, station=s.station, policy=s.policy
        )


def test_rejection_returns_eco_and_revisions_to_draft_with_comment(make_uow, team) -> None:
    """A rejected ECO is a draft again, its comment in the history; fixed, it can go again."""
    _, parent, comp = _product(make_uow)
    number = _draft_eco(make_uow, team.author, parent)
    _act(make_uow, eco.submit_eco, number, team.author)
    with pytest.raises(InvalidInput):
        _act(make_uow, eco.reject_eco, number, team.reviewer, comment="  ")
    _act(make_uow, eco.reject_eco, number, team.reviewer, comment="Quantity needs a drawing ref")
    with make_uow(team.author, reason="address rejection") as uow:
        view = eco.get_eco(uow, number)
        assert view.status == "draft" and view.items[0].bom_status == "draft"
        assert view.history[-1].comment == "Quantity needs a drawing ref"
        bom.replace_bom_lines(uow, parent, "B", [bom.BomLineInput(comp, D(3), notes="DWG-7 r2")])
        uow.commit()
    _act(make_uow, eco.submit_eco, number, team.author)
    _act(make_uow, eco.review_eco, number, team.reviewer)
    _act(make_uow, eco.approve_eco, number, team.qa)
    with make_uow() as uow:
        assert bom.get_bom(uow, parent, "B").summary.status == "released"


def test_one_open_eco_per_item_service_and_database(make_uow, team, database) -> None:
    """A second open ECO for the same item is refused by the service and by a unique index."""
    _, parent, _ = _product(make_uow)
    _draft_eco(make_uow, team.author, parent)
    with make_uow(ENGINEER) as uow:
        other = eco.create_eco(uow, "Another", "Because").number
        uow.commit()
    with make_uow(ENGINEER) as uow, pytest.raises(RuleViolation, match="one open ECO"):
        eco.add_eco_item(uow, other, parent, new_bom=True)
    with database.connect() as conn:
        conn.execute(
            "SELECT set_config('workcell.session', %s, true)", (token_at(database, ENGINEER),)
        )
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "INSERT INTO workcell.eco_item (eco_id, item_id, bom_revision_id) "
                "SELECT e.id, r.item_id, r.id FROM workcell.eco e, workcell.bom_revision r "
                "JOIN workcell.item i ON i.id = r.item_id "
                "WHERE e.number = %s AND i.item_number = %s AND r.revision = 'A'",
                (other, parent),
            )


def test_future_effective_date_leaves_current_revision_in_effect(make_uow, team) -> None:
    """Approved with an effective date next week: today's BOM is still rev A."""
    _, parent, _ = _product(make_uow)
    with make_uow() as uow:
        next_week = effectivity.server_now(uow) + dt.timedelta(days=7)
    number = _draft_eco(make_uow, team.author, parent, effective_from=next_week)
    _act(make_uow, eco.submit_eco, number, team.author)
    _act(make_uow, eco.review_eco, number, team.reviewer)
    _act(make_uow, eco.approve_eco, number, team.qa)
    with make_uow() as uow:
        now = effectivity.server_now(uow)
        assert bom.bom_as_of(uow, parent, now).summary.revision == "A"
        assert bom.bom_as_of(uow, parent, next_week).summary.revision == "B"


def test_submitted_eco_content_is_frozen_in_the_database(make_uow, team, database) -> None:
    """Through SQL as the station, an ECO in review cannot be retitled (WC021)."""
    _, parent, _ = _product(make_uow)
    number = _draft_eco(make_uow, team.author, parent)
    _act(make_uow, eco.submit_eco, number, team.author)
    with database.connect() as conn:
        conn.execute(
            "SELECT set_config('workcell.session', %s, true), "
            "set_config('workcell.reason', 'sneak', true)",
            (token_at(database, TEST_ADMIN),),
        )
        with pytest.raises(psycopg.Error) as err:
            conn.execute(
                "UPDATE workcell.eco SET title = 'other', version = version + 1 WHERE number = %s",
                (number,),
            )
    assert err.value.sqlstate == "WC021"


def test_wrong_pin_signs_nothing(make_uow, team) -> None:
    """A wrong PIN at submission leaves the ECO a draft with no signature."""
    _, parent, _ = _product(make_uow)
    number = _draft_eco(make_uow, team.author, parent)
    with make_uow(team.author) as uow, pytest.raises(AuthenticationFailed):
        eco.submit_eco(uow, number, signing(team.author, pin="000111"))
    with make_uow() as uow:
        view = eco.get_eco(uow, number)
        assert view.status == "draft"
        assert signatures.signatures_for(uow, RecordRef("eco", view.id)) == []


def test_signing_what_was_not_shown_is_refused(make_uow, team) -> None:
    """A line edited after the reviewer loaded the ECO: the review with the old hash is refused."""
    _, parent, comp = _product(make_uow)
    number = _draft_eco(make_uow, team.author, parent)
    with make_uow() as uow:
        shown = eco.get_eco(uow, number).content_hash
    with make_uow(ENGINEER, reason="late edit") as uow:
        bom.replace_bom_lines(uow, parent, "B", [bom.BomLineInput(comp, D(9))])
        uow.commit()
    stale = eco.Signing(signing(team.author).creds, "station_pytest", signing(team.author).policy,
                        expected_hash=shown)  # fmt: skip
    with make_uow(team.author) as uow, pytest.raises(RuleViolation, match="changed since"):
        eco.submit_eco(uow, number, stale)
