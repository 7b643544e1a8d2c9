"""Engineering screens on the real services: revisions with signatures, comparison, and an
ECO signed through the shared signature dialog (touch: badge tap + keypad)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.services import bom, eco, equipment, items, routing
from domain.services.equipment import EquipmentClass
from domain.services.routing import OperationSpec, StepSpec
from kiosk.engineering_tiles import eco_list, engineering_backend_for, engineering_items
from screens.engineering.compare import CompareScreen
from screens.engineering.eco import EcoScreen
from screens.engineering.revision import ItemRevisionsScreen
from screens.modals.signature import SignatureModal
from screens.stages import at_stage
from tests.conftest import unique
from tests.identity_helpers import POLICY, STATION, Person
from tests.ui.conftest import screen_text, sign_in, tap, until
from tests.ui.materials_helpers import shoot


def _product(make_uow, erin: Person) -> tuple[str, str]:
    parent, comp = unique("SA").upper(), unique("CP").upper()
    with make_uow(erin.username) as uow:
        items.create_item(uow, items.NewItem(parent, "Drip chamber", "subassembly", "ea"))
        items.create_item(uow, items.NewItem(comp, "Spike", "component", "ea"))
        uow.commit()
    return parent, comp


def _eco(make_uow, erin: Person, parent: str, comp: str, qty: str) -> str:
    with make_uow(erin.username, reason="ui test") as uow:
        number = eco.create_eco(uow, f"Qty {qty}", "UI test").number
        view = eco.add_eco_item(uow, number, parent, new_bom=True)
        label = view.items[0].bom_revision
        assert label is not None
        bom.replace_bom_lines(uow, parent, label, [bom.BomLineInput(comp, Decimal(qty))])
        uow.commit()
    return number


def _offered(app, action: str) -> bool:
    """The step's button is shown and enabled (the signing rules have answered)."""
    button = app.screen.query_one(f"#eco-{action}")
    return bool(button.display and not button.disabled)


def _sign(make_uow, fn, number: str, who: Person) -> None:
    with make_uow(who.username) as uow:
        fn(uow, number, eco.Signing(who.creds(), STATION, POLICY))
        uow.commit()


def _released(make_uow, team: tuple[Person, Person, Person], parent: str, comp: str, qty: str):
    erin, eddie, quinn = team
    number = _eco(make_uow, erin, parent, comp, qty)
    _sign(make_uow, eco.submit_eco, number, erin)
    _sign(make_uow, eco.review_eco, number, eddie)
    _sign(make_uow, eco.approve_eco, number, quinn)


async def test_revision_screen_shows_history_content_and_signatures(make_station, person, make_uow):
    """An operator browses to an item: released rev B, superseded rev A, three signatures."""
    team = (person("engineer"), person("engineer"), person("qa"))
    olivia = person("operator")
    parent, comp = _product(make_uow, team[0])
    _released(make_uow, team, parent, comp, "2")
    _released(make_uow, team, parent, comp, "3")
    station = make_station()
    app = station.app
    backend = engineering_backend_for(station.backend)
    assert backend is not None
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        app.push_screen(engineering_items(backend))
        await until(pilot, lambda: app.screen.query_one("#eng-items").row_count > 0, "items")
        await tap(pilot, "#eng-search")
        await pilot.press(*parent, "enter")
        await until(pilot, lambda: app.screen.query_one("#eng-items").row_count == 1, "search")
        await tap(pilot, "#eng-items", offset=(4, 1))
        await until(pilot, lambda: isinstance(app.screen, ItemRevisionsScreen), "revisions")
        await until(pilot, lambda: "Approved by" in screen_text(app), "signatures")
        text = screen_text(app)
        assert "rev B  [RELEASED]" in text and "3 ea" in text.replace("  ", " ")
        for member, meaning in zip(team, ("Authored", "Reviewed", "Approved"), strict=True):
            assert f"{meaning} by {member.printed_name}" in text
        assert "NOT VALID" not in text
        await tap(pilot, "#rev-compare")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen), "compare")
        await until(pilot, lambda: "1 changed" in screen_text(app), "the comparison")


async def test_eco_approved_through_the_signature_dialog(make_station, person, make_uow):
    """QA opens a reviewed ECO and sees what rev B changes against rev A in the dialog,
    taps, enters the PIN: the ECO is approved, rev B released."""
    erin, eddie, quinn = person("engineer"), person("engineer"), person("qa")
    parent, comp = _product(make_uow, erin)
    _released(make_uow, (erin, eddie, quinn), parent, comp, "1")
    number = _eco(make_uow, erin, parent, comp, "4")
    _sign(make_uow, eco.submit_eco, number, erin)
    _sign(make_uow, eco.review_eco, number, eddie)
    station = make_station()
    app = station.app
    backend = engineering_backend_for(station.backend)
    assert backend is not None
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, quinn)
        app.push_screen(eco_list(backend))
        await until(pilot, lambda: number in screen_text(app) or _has_row(app, number), "ECO list")
        app.push_screen(EcoScreen(backend, number))
        await until(pilot, lambda: _offered(app, "approve"), "approve offered")
        await tap(pilot, "#eco-approve")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "signature dialog")
        await until(pilot, lambda: number in screen_text(app), "what is signed")
        # what changes, before the badge: the revision it releases against the one in effect
        shown = screen_text(app)
        assert f"BOM {parent} rev A → B: 0 added, 0 removed, 1 changed" in shown
        assert f"~ {comp}: qty 1 → 4" in shown
        station.reader.tap(quinn.badge_uid)
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
        await pilot.press(*quinn.pin, "enter")
        await until(pilot, lambda: isinstance(app.screen, EcoScreen), "back on the ECO")
        await until(pilot, lambda: "[APPROVED]" in screen_text(app), "approved")
        assert f"Approved by {quinn.printed_name}" in screen_text(app)
    with make_uow(quinn.username) as uow:
        assert bom.get_bom(uow, parent, "B").summary.status == "released"


async def test_operator_approval_is_refused_in_the_dialog(make_station, person, make_uow):
    """An operator's badge cannot approve: the dialog shows the rule and waits for another."""
    erin, eddie, quinn, olivia = (person(r) for r in ("engineer", "engineer", "qa", "operator"))
    parent, comp = _product(make_uow, erin)
    number = _eco(make_uow, erin, parent, comp, "4")
    _sign(make_uow, eco.submit_eco, number, erin)
    _sign(make_uow, eco.review_eco, number, eddie)
    station = make_station()
    app = station.app
    backend = engineering_backend_for(station.backend)
    assert backend is not None
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, quinn)
        app.push_screen(EcoScreen(backend, number))
        await until(pilot, lambda: _offered(app, "approve"), "approve offered")
        await tap(pilot, "#eco-approve")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "signature dialog")
        station.reader.tap(olivia.badge_uid)
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
        await pilot.press(*olivia.pin, "enter")
        await until(pilot, lambda: "eco.approve" in screen_text(app), "the refusal")
        assert at_stage(app.screen, "-waiting")
    with make_uow(quinn.username) as uow:
        assert eco.get_eco(uow, number).status == "reviewed"


def _has_row(app, key: str) -> bool:
    table = app.screen.query_one("#ecos-table")
    return any(k.value == key for k in table.rows)


async def test_engineer_edits_the_draft_and_submits_on_screen(make_station, person, make_uow):
    """From a draft ECO: edit the BOM draft (change, add, refuse unknown, remove), then sign
    the submission with badge + PIN; the ECO is in review with the edited content."""
    from screens.engineering.draft_bom import DraftBomScreen

    erin, eddie, quinn = person("engineer"), person("engineer"), person("qa")
    parent, comp = _product(make_uow, erin)
    _released(make_uow, (erin, eddie, quinn), parent, comp, "1")
    extra = unique("PK").upper()
    with make_uow(erin.username) as uow:
        items.create_item(uow, items.NewItem(extra, "Pouch", "packaging", "ea"))
        number = eco.create_eco(uow, "Pouch and qty", "UI authoring").number
        eco.add_eco_item(uow, number, parent, new_bom=True)
        uow.commit()
    station = make_station()
    app = station.app
    backend = engineering_backend_for(station.backend)
    assert backend is not None
    from kiosk.engineering_tiles import eco_list as _eco_list

    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        screen = _eco_list(backend)
        app.push_screen(screen)
        await until(pilot, lambda: _has_row(app, number), "ECO list")
        app.push_screen(screen.open_eco(number))
        await until(pilot, lambda: len(app.screen.query(".eco-edit")) == 1, "edit button")
        await tap(pilot, ".eco-edit")
        await until(pilot, lambda: isinstance(app.screen, DraftBomScreen), "draft editor")
        await until(pilot, lambda: app.screen.query_one("#draft-lines").row_count == 1, "lines")
        await tap(pilot, "#draft-lines", offset=(4, 1))
        await until(pilot, lambda: app.screen.query_one("#draft-qty").value == "1", "row picked")
        app.screen.query_one("#draft-qty").value = "2"
        await tap(pilot, "#draft-save")
        await until(pilot, lambda: "2" in screen_text(app) and _cell(app, 0, 2) == "2", "qty 2")
        app.screen.query_one("#draft-component").value = "NOPE-404"
        app.screen.query_one("#draft-qty").value = "1"
        await tap(pilot, "#draft-save")
        await until(pilot, lambda: any(n.severity == "error" for n in app._notifications),
                    "unknown component refused")  # fmt: skip
        assert app.screen.query_one("#draft-lines").row_count == 1
        app.screen.query_one("#draft-component").value = extra
        await tap(pilot, "#draft-save")
        await until(pilot, lambda: app.screen.query_one("#draft-lines").row_count == 2, "added")
        await tap(pilot, "#draft-lines", offset=(4, 2))
        await until(pilot, lambda: not app.screen.query_one("#draft-remove").disabled, "picked")
        await tap(pilot, "#draft-remove")
        await until(pilot, lambda: app.screen.query_one("#draft-lines").row_count == 1, "removed")
        await pilot.press("escape")
        await until(pilot, lambda: _offered(app, "submit"), "submit offered")
        await tap(pilot, "#eco-submit")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "signature dialog")
        await until(pilot, lambda: number in screen_text(app), "what is signed")
        station.reader.tap(erin.badge_uid)
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
        await pilot.press(*erin.pin, "enter")
        await until(pilot, lambda: "[IN REVIEW]" in screen_text(app), "in review")
    with make_uow(erin.username) as uow:
        view = eco.get_eco(uow, number)
        lines = bom.get_bom(uow, parent, "B").lines
    assert view.status == "in_review"
    assert [(x.component, x.quantity_per) for x in lines] == [(comp, Decimal(2))]


def _cell(app, row: int, column: int) -> str:
    table = app.screen.query_one("#draft-lines")
    return str(table.get_row_at(row)[column]) if table.row_count > row else ""


async def test_new_eco_with_a_requested_effective_date(make_station, person, make_uow):
    """New ECO on screen: title, reason and a date; it opens with 00:00 site time as its start."""
    erin = person("engineer")
    station = make_station()
    app = station.app
    backend = engineering_backend_for(station.backend)
    assert backend is not None
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        app.push_screen(eco_list(backend))
        await until(pilot, lambda: app.screen.query("#ecos-new"), "New ECO offered")
        await tap(pilot, "#ecos-new")
        await until(pilot, lambda: app.screen.query("#new-eco-title"), "the form")
        await pilot.press(*"Bigger pouch", "enter", *"Complaint CC-7", "enter")
        await pilot.press(*"2030-01-15", "enter")
        await until(pilot, lambda: isinstance(app.screen, EcoScreen), "the new ECO")
        await until(pilot, lambda: "Effective: 2030-01-15 00:00 CET" in screen_text(app), "start")
        number = app.screen.number
    with make_uow(erin.username) as uow:
        view = eco.get_eco(uow, number)
    assert view.created_by == erin.username and view.effective_from is not None
    assert view.effective_from.isoformat().startswith("2030-01-14T23:00")


async def test_review_is_not_offered_to_the_ecos_author_and_says_why(
    make_station, person, make_uow
):
    """Before any badge: the author of a submitted ECO sees Review and Reject disabled with
    the segregation rule's reason; another engineer gets them enabled."""
    erin, eddie = person("engineer"), person("engineer")
    parent, comp = _product(make_uow, erin)
    number = _eco(make_uow, erin, parent, comp, "5")
    _sign(make_uow, eco.submit_eco, number, erin)
    station = make_station()
    app = station.app
    backend = engineering_backend_for(station.backend)
    assert backend is not None
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        app.push_screen(EcoScreen(backend, number))
        await until(pilot, lambda: "not for you" in screen_text(app), "the reason")
        assert app.screen.query_one("#eco-review").disabled
        assert app.screen.query_one("#eco-reject").disabled
        assert "author" in screen_text(app) or "authored" in screen_text(app)
        await tap(pilot, "#eco-review")
        await pilot.pause()
        assert isinstance(app.screen, EcoScreen)  # no signature dialog opened
    station = make_station()
    backend = engineering_backend_for(station.backend)
    assert backend is not None
    async with station.app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, eddie)
        station.app.push_screen(EcoScreen(backend, number))
        await until(pilot, lambda: _offered(station.app, "review"), "review offered")
        assert "not for you" not in screen_text(station.app)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_routing_compare_shows_the_equipment_class(make_station, person, make_uow, size):
    """Rev B names the balance a step is weighed on: the comparison shows the step's
    equipment class as a changed field, before and after."""
    erin, sam = person("engineer"), person("supervisor")
    parent, _ = _product(make_uow, erin)
    balance = unique("BAL-").upper()
    with make_uow(sam.username) as uow:
        equipment.add_class(uow, EquipmentClass(balance, "Balance", 365, weighing=True))
        uow.commit()
    with make_uow(erin.username, reason="ui test") as uow:
        for label, cls in (("A", None), ("B", balance)):
            routing.create_routing_revision(uow, parent, label=label)
            routing.replace_operations(uow, parent, label, [OperationSpec(10, "WEIGH-1", "Weigh",
                steps=(StepSpec(1, "Weigh resin", equipment_class=cls),))])  # fmt: skip
        uow.commit()
    station = make_station()
    app = station.app
    backend = engineering_backend_for(station.backend)
    assert backend is not None
    async with app.run_test(size=size) as pilot:
        await sign_in(pilot, station, erin)
        app.push_screen(CompareScreen(backend, "routing", parent, "A", "B"))
        await until(pilot, lambda: "1 changed" in screen_text(app), "the comparison")
        table = app.screen.query_one("#cmp-table")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows == [["~", "op 10 / step 1", "equipment class", "—", balance]]
        shoot(app, f"routing-compare-{size[0]}x{size[1]}")
