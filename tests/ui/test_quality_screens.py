"""The quality screens on the real services, driven by taps: the inspector at the dock
(plan, results per sample on the keypad, an invalidated result kept, completion signed),
QA's disposition (the inspector and the receiver refused before any badge), NCRs raised by
hand with the risk class and the approvals it demands, 8-D CAPAs signed in order, overdue
actions on the supervisor's and QA's home screens."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.services.work_orders import training
from screens.home import HomeScreen
from screens.modals.signature import SignatureModal
from screens.quality.capa import CapaScreen, NewCapaScreen
from screens.quality.inspection import InspectionScreen
from screens.quality.inspections import InspectionsScreen
from screens.quality.ncr import NcrScreen, NcrsScreen
from screens.quality.overdue import OverdueCapaPanel
from screens.sign_in import SignInScreen
from screens.widgets.keyboard import KeyboardModal, key_id
from screens.work_orders.qualifications import ExpiringQualificationsPanel
from tests.conftest import unique
from tests.ui.conftest import screen_text, sign_in, tap, tap_and_pin, until
from tests.ui.materials_helpers import (
    choose,
    scan,
    shoot,
    switch_to,
    tap_row,
    type_on_screen,
)
from tests.ui.quality_helpers import (
    D,
    QPlant,
    build_quality,
    open_tile,
    press,
    raise_capa,
    raise_ncr,
)


@pytest.fixture(scope="module")
def q(database, session_factory) -> QPlant:
    return build_quality(database, session_factory)


async def _open_inspection(pilot, station, who, number: str) -> InspectionScreen:
    app = pilot.app
    await sign_in(pilot, station, who, touch=True)
    listing = await open_tile(pilot, "inspections", InspectionsScreen)
    await until(pilot, lambda: listing.rows is not None, "open inspections")
    await pilot.pause()
    shoot(app, f"inspections-{app.size.width}x{app.size.height}")
    await _tap_listed(pilot, "#insp-table", number)
    await until(pilot, lambda: isinstance(app.screen, InspectionScreen), "the inspection")
    screen = app.screen
    await until(pilot, lambda: screen.detail is not None, "the inspection loaded")
    return screen


async def _tap_listed(pilot, table: str, key: str) -> None:
    """Swipe the list to the row (a shared plant lists many), then tap it."""
    widget = pilot.app.screen.query_one(table)
    widget.scroll_to(y=widget.get_row_index(key) * widget.rows[key].height, animate=False)
    await pilot.pause()
    await tap_row(pilot, table, key)


async def _done(pilot, predicate, what: str) -> None:
    """Wait for a signed step; on a timeout, say what the screen showed (its refusal)."""
    try:
        await until(pilot, predicate, what)
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}\n{screen_text(pilot.app)}") from None


async def sign(pilot, station, who) -> None:
    """The signature dialog with what is signed loaded (checked before the PIN), then
    ``who``'s badge and PIN on the keypad."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, SignatureModal), "the signature")
    await until(pilot, lambda: app.screen.loaded(), "what is signed, shown")
    await tap_and_pin(pilot, station, who, who.pin, touch=True)


async def _char(pilot, screen, selector: str) -> None:
    await until(pilot, screen.rows_current, "the sample's rows rebuilt")
    await press(pilot, selector)


async def _answered(pilot, screen, before: int) -> None:
    await until(pilot, lambda: screen.answers > before, "the backend's answer")


async def _keypad(pilot, text: str) -> None:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keypad")
    modal = app.screen
    for char in text:
        before = modal.query_one("#kb-text").value
        await tap(pilot, "#" + key_id(char))
        await until(pilot, lambda b=before: modal.query_one("#kb-text").value != b, repr(char))
    await tap(pilot, "#kb-ok")
    await until(pilot, lambda: not isinstance(app.screen, KeyboardModal), "keypad closed")


async def test_the_inspector_enters_every_sample_and_signs(make_station, person, q):
    """Plan shown with the data's source; a value on the keypad (out of limits said while
    typing), PASS/FAIL, a wrong result invalidated with its reason (kept), Complete refused
    until every result is in, then signed "inspected": the database decides."""
    inspector = person("operator")
    _lot, number = q.receive()
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _open_inspection(pilot, station, inspector, number)
        text = screen_text(app)
        assert "n=2" in text or "n=2" in str(screen.query_one("#insp-plan").render())
        assert screen.detail.data_version in str(screen.query_one("#insp-plan").render())
        assert screen.query_one("#insp-complete").disabled
        assert "4 result(s) still to enter" in str(screen.query_one("#insp-complete-why").render())
        before = screen.answers
        await _char(pilot, screen, "#enter-1")
        await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keypad")
        await _keypad(pilot, "10.3")
        await _answered(pilot, screen, before)
        assert screen.detail.result(1, 1) is not None and not screen.detail.result(1, 1).passed
        # the value was a misreading: invalidated with the reason, entered again
        before = screen.answers
        await _char(pilot, screen, "#invalidate-1")
        await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the reason")
        await _keypad(pilot, "MISREAD")
        await _answered(pilot, screen, before)
        assert screen.detail.result(1, 1) is None
        before = screen.answers
        await _char(pilot, screen, "#enter-1")
        await _keypad(pilot, "10.02")
        await _answered(pilot, screen, before)
        before = screen.answers
        await _char(pilot, screen, "#pass-2")
        await _answered(pilot, screen, before)
        await press(pilot, "#insp-next")
        await until(pilot, lambda: screen.sample == 2, "sample 2")
        before = screen.answers
        await _char(pilot, screen, "#enter-1")
        await _keypad(pilot, "9.95")
        await _answered(pilot, screen, before)
        before = screen.answers
        await _char(pilot, screen, "#pass-2")
        await _answered(pilot, screen, before)
        shoot(app, "inspection-160x48")
        assert not screen.query_one("#insp-complete").disabled
        await press(pilot, "#insp-complete")
        await sign(pilot, station, inspector)
        await _done(
            pilot, lambda: app.screen is screen and screen.detail.status == "completed", "completed"
        )
        assert "ACCEPT" in str(screen.query_one("#insp-decision").render())
    v = q.view(number)
    assert (v.status, v.decision) == ("completed", "accept")
    kept = [r for r in v.results if r.invalidated]
    assert [(r.value, r.invalidated) for r in kept] == [(D("10.3"), "MISREAD")]


async def test_release_is_refused_for_the_inspector_and_the_receiver(make_station, person, q):
    """The inspector (QA) and the receiver (a QA supervisor) see Release and Reject
    disabled with the database's reason before any badge; another QA releases and the lot
    leaves quarantine in the same signature."""
    receiver = person("supervisor", "qa")
    inspector = person("qa")
    releaser = person("qa")
    lot, number = q.receive(by=receiver)
    q.complete(number, inspector)
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _open_inspection(pilot, station, inspector, number)
        assert screen.query_one("#insp-release").disabled
        assert screen.query_one("#insp-reject").disabled
        why = str(screen.query_one("#insp-release-why").render())
        assert "Release: not now" in why and "inspected" in why
        await switch_to(pilot, station, receiver)
        screen = await _reopen(pilot, number)
        assert screen.query_one("#insp-release").disabled
        assert "Release: not now" in str(screen.query_one("#insp-release-why").render())
        await switch_to(pilot, station, releaser)
        screen = await _reopen(pilot, number)
        assert not screen.query_one("#insp-release").disabled
        assert not screen.query_one("#insp-release-why").display
        await pilot.pause()
        shoot(app, "inspection-qa-160x48")
        await press(pilot, "#insp-release")
        await sign(pilot, station, releaser)
        await _done(
            pilot, lambda: app.screen is screen and screen.detail.status == "released", "released"
        )
    assert q.view(number).status == "released"
    assert q.lot(lot).status == "released"


async def _reopen(pilot, number: str) -> InspectionScreen:
    app = pilot.app
    listing = await open_tile(pilot, "inspections", InspectionsScreen)
    await until(pilot, lambda: listing.rows is not None, "open inspections")
    await _tap_listed(pilot, "#insp-table", number)
    await until(pilot, lambda: isinstance(app.screen, InspectionScreen), "the inspection")
    screen = app.screen
    await until(pilot, lambda: screen.detail is not None, "the inspection loaded")
    return screen


async def test_a_rejection_needs_its_reason_before_the_badge(make_station, person, q):
    """Reject without a reason: said on the screen, no dialog; with the reason typed, QA
    signs and the lot is rejected."""
    inspector = person("operator")
    qa = person("qa")
    lot, number = q.receive()
    q.complete(number, inspector, fail=True)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_inspection(pilot, station, qa, number)
        assert "REJECT" in str(screen.query_one("#insp-decision").render())
        assert not screen.query_one("#insp-release").display  # a rejected count is not released
        before = screen.answers
        await press(pilot, "#insp-reject")
        await _answered(pilot, screen, before)
        assert "Say why the lot is rejected" in str(screen.query_one("#insp-message").render())
        assert not isinstance(app.screen, SignatureModal)
        await type_on_screen(pilot, "#insp-comment", "THREAD FAILED")
        shoot(app, "inspection-qa-80x24")
        await press(pilot, "#insp-reject")
        await sign(pilot, station, qa)
        await _done(
            pilot, lambda: app.screen is screen and screen.detail.status == "rejected", "rejected"
        )
    assert q.lot(lot).status == "rejected"


async def test_a_failed_inspection_is_referred_to_an_ncr(make_station, person, q):
    """Refer: the NCR's title, severity and occurrence checked before the badge; signed
    "referred", the NCR holds the lot."""
    inspector = person("operator")
    qa = person("qa")
    lot, number = q.receive()
    q.complete(number, inspector, fail=True)
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _open_inspection(pilot, station, qa, number)
        before = screen.answers
        await press(pilot, "#insp-refer")
        await _answered(pilot, screen, before)
        assert "title" in str(screen.query_one("#insp-message").render())
        await type_on_screen(pilot, "#insp-ncr-title", "THREADS")
        await type_on_screen(pilot, "#insp-comment", "NO-GO GAUGE ENTERS")
        await choose(pilot, "#insp-severity", "4")
        await choose(pilot, "#insp-occurrence", "2")
        await press(pilot, "#insp-refer")
        await sign(pilot, station, qa)
        await _done(
            pilot, lambda: app.screen is screen and screen.detail.status == "referred", "referred"
        )
        assert screen.detail.ncr_number is not None
    held = q.lot(lot)
    assert held.held and held.status == "quarantine"


async def _tap_listed_ncr(pilot, number: str):
    app = pilot.app
    await _tap_listed(pilot, "#ncrs-table", number)
    await until(pilot, lambda: isinstance(app.screen, NcrScreen), "the NCR")
    screen = app.screen
    await until(pilot, lambda: screen.detail is not None, "the NCR loaded")
    return screen


async def test_an_ncr_raised_by_hand_needs_the_approvals_of_its_risk_class(make_station, person, q):
    """QA scans the lot, severity 4 x occurrence 2: major. Use as is needs QA and
    engineering: QA's own engineering button and Carry out are disabled with the reason;
    the engineer approves at their sign-in; QA carries it out (the hold closes) and closes."""
    qa = person("qa")
    engineer = person("engineer")
    lot, _ = q.receive()
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, qa, touch=True)
        screen = await open_tile(pilot, "ncrs", NcrsScreen)
        await until(pilot, lambda: screen.rows is not None, "the NCRs")
        await pilot.pause()
        shoot(app, "ncrs-160x48")
        before = screen.answers
        await press(pilot, "#ncrs-raise")
        await _answered(pilot, screen, before)
        assert "title" in str(screen.query_one("#ncrs-message").render())
        before = screen.answers
        await scan(pilot, lot)
        await _answered(pilot, screen, before)
        assert screen.lots == [lot]
        await type_on_screen(pilot, "#ncrs-title", "BURRS")
        await type_on_screen(pilot, "#ncrs-description", "BURRS ON THREAD")
        await choose(pilot, "#ncrs-severity", "4")
        await choose(pilot, "#ncrs-occurrence", "2")
        await press(pilot, "#ncrs-raise")
        await until(pilot, lambda: isinstance(app.screen, NcrScreen), "the new NCR")
        ncr_screen = app.screen
        await until(pilot, lambda: ncr_screen.detail is not None, "the NCR loaded")
        number = ncr_screen.detail.number
        assert "risk class MAJOR" in str(ncr_screen.query_one("#ncr-risk").render())
        assert q.lot(lot).held
        await choose(pilot, "#ncr-disposition", "use_as_is")
        await type_on_screen(pilot, "#ncr-note", "COSMETIC ONLY")
        before = ncr_screen.answers
        await press(pilot, "#ncr-choose")
        await _answered(pilot, ncr_screen, before)
        d = ncr_screen.detail
        assert d.required == ("qa_approved", "engineering_approved")
        assert ncr_screen.query_one("#ncr-engineering_approved").disabled
        assert "not now" in str(ncr_screen.query_one("#ncr-engineering_approved-why").render())
        assert ncr_screen.query_one("#ncr-execute").disabled
        assert "approval missing" in str(ncr_screen.query_one("#ncr-execute-why").render())
        await pilot.pause()
        shoot(app, "ncr-160x48")
        await press(pilot, "#ncr-qa_approved")
        await sign(pilot, station, qa)
        await _done(
            pilot,
            lambda: (
                app.screen is ncr_screen and ncr_screen.detail.missing == ("engineering_approved",)
            ),
            "QA approved",
        )
        await switch_to(pilot, station, engineer)
        listing = await open_tile(pilot, "ncr-approvals", NcrsScreen)
        await until(pilot, lambda: listing.rows is not None, "the NCRs")
        ncr_screen = await _tap_listed_ncr(pilot, number)
        assert (
            not ncr_screen.query_one("#ncr-choose-row").display
            or ncr_screen.query_one("#ncr-choose").disabled
        )
        await press(pilot, "#ncr-engineering_approved")
        await sign(pilot, station, engineer)
        await _done(
            pilot,
            lambda: app.screen is ncr_screen and not ncr_screen.detail.missing,
            "engineering approved",
        )
        await switch_to(pilot, station, qa)
        listing = await open_tile(pilot, "ncrs", NcrsScreen)
        await until(pilot, lambda: listing.rows is not None, "the NCRs")
        ncr_screen = await _tap_listed_ncr(pilot, number)
        assert not ncr_screen.query_one("#ncr-execute").disabled
        await press(pilot, "#ncr-execute")
        await sign(pilot, station, qa)
        await _done(pilot, lambda: ncr_screen.detail.status == "dispositioned", "dispositioned")
        await press(pilot, "#ncr-close")
        await sign(pilot, station, qa)
        await _done(pilot, lambda: ncr_screen.detail.status == "closed", "closed")
    assert not q.lot(lot).held


async def test_a_capa_is_signed_discipline_by_discipline(make_station, person, q):
    """Raised from its NCR with one owner for D0..D8; D0 written on the keyboard and signed
    by its owner; D1 and the closure disabled with the reason (content, order)."""
    qa = person("qa")
    lot, _ = q.receive()
    number = raise_ncr(q, qa, lot)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, qa, touch=True)
        listing = await open_tile(pilot, "ncrs", NcrsScreen)
        await until(pilot, lambda: listing.rows is not None, "the NCRs")
        await _tap_listed_ncr(pilot, number)
        await press(pilot, "#ncr-capa")
        await until(pilot, lambda: isinstance(app.screen, NewCapaScreen), "the CAPA form")
        form = app.screen
        await until(pilot, lambda: form.ready, "people and dates")
        shoot(app, "new-capa-80x24")
        await type_on_screen(pilot, "#newcapa-title", "THREAD BURRS")
        await choose(pilot, "#newcapa-all", qa.username)
        assert form.query_one("#newcapa-owner-8").value == qa.username
        await press(pilot, "#newcapa-raise")
        await until(pilot, lambda: isinstance(app.screen, CapaScreen), "the CAPA")
        screen = app.screen
        await until(pilot, lambda: screen.detail is not None, "the CAPA loaded")
        d1 = screen.detail.sections[1]
        assert d1.complete is not None and "D0 is not complete" in d1.complete
        assert screen.query_one("#capa-close").disabled
        assert screen.query_one("#complete-0").disabled  # nothing written yet
        await press(pilot, "#write-0")
        before = screen.answers
        await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keyboard")
        await _keypad(pilot, "TEAM AND PLAN AGREED")
        await _answered(pilot, screen, before)
        await pilot.pause()
        shoot(app, "capa-80x24")
        await press(pilot, "#complete-0")
        await sign(pilot, station, qa)
        await _done(pilot, lambda: screen.detail.sections[0].status == "complete", "D0 signed")
        assert "D1" in (screen.detail.sections[2].complete or "")


async def test_the_home_settles_once_the_overdue_panel_has_answered(
    make_station, person, q, monkeypatch
):
    """The overdue panel grows from "checking…" to its lines and moves every tile below it
    (a tap aimed before that lands on another tile): the home says when it has answered,
    which is what the Pilot helpers wait for before tapping a tile."""
    import threading

    from kiosk.quality_backend import KioskQualityBackend

    qa = person("qa")
    lot, _ = q.receive()
    raise_capa(q, qa, raise_ncr(q, qa, lot), qa.username, days=-3)
    answer = threading.Event()
    real = KioskQualityBackend.overdue_actions

    def held_back(self: KioskQualityBackend, actor: str):  # the database is slow today
        assert answer.wait(30)
        return real(self, actor)

    monkeypatch.setattr(KioskQualityBackend, "overdue_actions", held_back)
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        try:
            await _settles(pilot, station, qa, answer)
        finally:
            answer.set()  # never leave the worker waiting


async def _settles(pilot, station, qa, answer) -> None:
    """Signed in while the panel's look-up is held back, then let it answer."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the sign-in screen")
    await tap_and_pin(pilot, station, qa, qa.pin)
    await until(pilot, lambda: isinstance(app.screen, HomeScreen), "the home screen")
    home = app.screen
    await until(pilot, lambda: home.query_one("#tile-holds").region, "tiles laid out")
    before = home.query_one("#tile-holds").region
    assert not home.settled  # "checking…": the tiles will move
    answer.set()
    await until(pilot, lambda: home.settled, "the panel's answer")
    panel = home.query_one(OverdueCapaPanel)
    assert panel.answered and panel.rows
    after = home.query_one("#tile-holds").region
    assert after.y > before.y  # moved down by the panel's lines
    assert after.y >= panel.region.bottom


async def test_overdue_capa_actions_show_on_the_supervisors_and_qas_home(make_station, person, q):
    supervisor = person("supervisor")
    operator = person("operator")
    qa = person("qa")
    lot, _ = q.receive()
    capa_number = raise_capa(q, qa, raise_ncr(q, qa, lot), qa.username, days=-3)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, supervisor, touch=True)
        await until(
            pilot,
            lambda: app.screen.query_one(OverdueCapaPanel).rows is not None,
            "the overdue actions",
        )
        panel = app.screen.query_one(OverdueCapaPanel)
        assert any(r.capa_number == capa_number for r in panel.rows)
        assert "overdue" in str(panel.render())
        shoot(app, "home-supervisor-80x24")
        await switch_to(pilot, station, operator)
        assert not app.screen.query(OverdueCapaPanel)  # not an operator's tile or panel
        await switch_to(pilot, station, qa)
        await until(
            pilot,
            lambda: app.screen.query_one(OverdueCapaPanel).rows is not None,
            "QA's overdue actions",
        )


def _full_lists(q: QPlant, person, who) -> None:
    """Both home lists longer than they show: overdue CAPA sections owned by ``who`` and,
    on a supervisor's home, qualifications about to run out."""
    qa = person("qa")
    lot, _ = q.receive()
    for _ in range(2):  # nine sections each: more than the panel lists
        raise_capa(q, qa, raise_ncr(q, qa, lot), who.username, days=-3)
    expiring_soon(q.plant, [person("operator").username for _ in range(5)])


async def _home_with_full_lists(pilot, station, who, role: str) -> HomeScreen:
    await sign_in(pilot, station, who, touch=True)
    home = pilot.app.screen
    assert isinstance(home, HomeScreen)
    panel = home.query_one(OverdueCapaPanel)
    assert panel.rows is not None and len(panel.rows) > panel.SHOWN
    assert "more" in str(panel.render())  # the tallest the panel gets
    if role == "supervisor":
        assert "more" in str(home.query_one(ExpiringQualificationsPanel).render())
    await pilot.pause()
    shoot(pilot.app, f"home-{role}-{pilot.app.size.width}x{pilot.app.size.height}-lists")
    return home


@pytest.mark.parametrize("role", ["qa", "supervisor"])
async def test_every_home_tile_is_in_reach_on_a_touch_screen_without_scrolling(
    make_station, person, q, role
):
    """The roles with the most tiles and the panels above them, with the lists at their
    tallest: at 160x48 nothing is below the fold (a gloved hand scrolls badly) and each
    tile is a whole target, 5 rows high, above the footer."""
    who = person(role)
    _full_lists(q, person, who)
    station = make_station()
    async with station.app.run_test(size=(160, 48)) as pilot:
        home = await _home_with_full_lists(pilot, station, who, role)
        tiles = list(home.query(".tile"))
        footer = home.query_one("#nav-back").region
        assert len(tiles) >= 8
        assert home.query_one("#home-body").max_scroll_y == 0
        for tile in tiles:
            assert tile.region.height >= 5, tile.id
            assert tile.region.bottom <= footer.y, tile.id


@pytest.mark.parametrize("role", ["qa", "supervisor"])
async def test_the_first_tiles_stay_in_view_at_80x24_under_full_lists(
    make_station, person, q, role
):
    """Over SSH the home scrolls, but the lists show one line each there, so the first row
    of tiles is in view under both of them and the security line."""
    who = person(role)
    _full_lists(q, person, who)
    station = make_station()
    async with station.app.run_test(size=(80, 24)) as pilot:
        home = await _home_with_full_lists(pilot, station, who, role)
        footer = home.query_one("#nav-back").region
        first_row = [
            t for t in home.query(".tile") if t.region.y == home.query_one(".tile").region.y
        ]
        assert len(first_row) == 2
        for tile in first_row:
            assert tile.region.height == 5 and tile.region.bottom <= footer.y, tile.id


def expiring_soon(plant, usernames: list[str]) -> None:
    """A qualification that runs out within the supervisor panel's 30 days for each."""
    code = unique("EXP").upper()
    with plant.uow(plant.qa) as uow:
        training.define_qualification(uow, code, "Line clearance", "SOP-LC-01", "B")
        uow.commit()
    for username in usernames:
        with plant.uow(plant.supervisor) as uow:
            training.grant_qualification(
                uow, username, code, plant.today - dt.timedelta(days=300),
                plant.today + dt.timedelta(days=10), plant.signing(plant.supervisor),
            )  # fmt: skip
            uow.commit()
