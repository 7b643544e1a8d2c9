"""Audit-trail browser: keyset paging, filters, entry detail, history, refusals."""

from __future__ import annotations

from domain.audit.query import AuditFilter
from screens.audit.browser import AuditBrowserScreen
from screens.audit.entry import EntryScreen
from screens.audit.filters import AuditFilterModal
from tests.ui.admin_helpers import click
from tests.ui.audit_helpers import audit_backend, item_with_history
from tests.ui.conftest import screen_text, sign_in, until


async def test_browser_pages_through_a_long_history_and_back(make_station, person, make_uow):
    """120 changes of one record: pages of 50, 50, 21 going older; newer returns; ends disable."""
    quinn, erin = person("qa"), person("engineer")
    record = item_with_history(make_uow, erin.username, 120)
    station = make_station()
    app = station.app
    flt = AuditFilter(table="item", record=str(record.item_id))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, quinn)
        screen = AuditBrowserScreen(audit_backend(station), flt)
        app.push_screen(screen)
        await until(pilot, lambda: screen.page is not None, "the first page")
        first = screen.page
        assert len(first.rows) == 50 and first.rows[0].reason == "pytest change 120"
        assert screen.query_one("#audit-newer").disabled
        await pilot.press("n")
        await until(pilot, lambda: screen.page_no == 2, "page 2")
        assert screen.page.rows[0].id < first.rows[-1].id
        await click(pilot, "#audit-older")
        await until(pilot, lambda: screen.page_no == 3, "page 3")
        assert len(screen.page.rows) == 21  # 20 updates + the INSERT
        assert screen.page.rows[-1].operation == "INSERT"
        assert screen.query_one("#audit-older").disabled
        await pilot.press("p")
        await until(pilot, lambda: screen.page_no == 2, "back to page 2")
        await pilot.press("p")
        await until(pilot, lambda: screen.page_no == 1, "back to page 1")
        assert screen.page.rows == first.rows
        assert "page 1" in screen_text(app)


async def test_filter_dialog_narrows_by_user_and_text(make_station, person, make_uow):
    """Filtering by user and text through the dialog shows only that person's matching entries."""
    quinn, erin = person("qa"), person("engineer")
    item_with_history(make_uow, erin.username, 3)
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, quinn)
        screen = AuditBrowserScreen(audit_backend(station))
        app.push_screen(screen)
        await until(pilot, lambda: screen.page is not None, "the first page")
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, AuditFilterModal), "the filter dialog")
        app.screen.query_one("#flt-user").value = erin.username
        app.screen.query_one("#flt-text").value = "pytest change 2"
        await click(pilot, "#flt-apply")
        await until(pilot, lambda: screen.flt.user == erin.username, "the filter applied")
        await until(pilot, lambda: screen.page and len(screen.page.rows) == 1, "one match")
        assert screen.page.rows[0].actor == erin.username
        assert screen.page.rows[0].reason == "pytest change 2"
        assert erin.username in screen_text(app)


async def test_bad_time_in_the_filter_is_refused_with_an_example(make_station, person):
    """A time that is not a time is refused in the dialog, with the format to use."""
    quinn = person("qa")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, quinn)
        app.push_screen(AuditBrowserScreen(audit_backend(station)))
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, AuditFilterModal), "the filter dialog")
        app.screen.query_one("#flt-since").value = "yesterday-ish"
        await click(pilot, "#flt-apply")
        await until(pilot, lambda: "2026-11-26 08:00" in screen_text(app), "the refusal")
        assert isinstance(app.screen, AuditFilterModal)


async def test_entry_detail_shows_before_after_reason_transaction_and_signatures(
    make_station, person, make_uow
):
    """An UPDATE entry: changed field marked, reason shown; signatures tab lists the approval."""
    from domain.services import item_approval

    quinn, erin = person("qa"), person("engineer")
    record = item_with_history(make_uow, erin.username, 2)
    with make_uow(quinn.username) as uow:
        item_approval.approve_item(
            uow, record.item_number, quinn.creds(), station="pytest", policy=_policy()
        )
        uow.commit()
    station = make_station()
    app = station.app
    flt = AuditFilter(table="item", record=str(record.item_id), text="pytest change 2")
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, quinn)
        browser = AuditBrowserScreen(audit_backend(station), flt)
        app.push_screen(browser)
        await until(pilot, lambda: browser.page and browser.page.rows, "the entry")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EntryScreen), "the entry screen")
        entry = app.screen
        await until(pilot, lambda: entry.view is not None, "the entry loaded")
        text = screen_text(app)
        assert "Reason: pytest change 2" in text
        assert f"{erin.printed_name} ({erin.username})" in text
        # the record by its item number (key beside it), the entry id to quote, ids named
        assert (
            f"Entry {entry.entry_id} UPDATE item {record.item_number} (key {record.item_id})"
            in text
        )
        assert f"Audit entry {entry.entry_id}" in text
        changes = entry.query_one("#entry-changes")
        first_row = [str(c) for c in changes.get_row_at(0)]
        assert first_row[0] == "●" and first_row[1] == "description"
        assert first_row[2:] == ["Audit subject rev 1", "Audit subject rev 2"]
        cells = {
            str(r[1]): str(r[3]) for r in (changes.get_row_at(i) for i in range(changes.row_count))
        }
        assert cells["created_by"].endswith(f"({erin.username})")
        await pilot.press("s")
        sigs = entry.query_one("#entry-signatures")
        await until(pilot, lambda: sigs.display and sigs.row_count == 1, "the signature")
        row = [str(c) for c in sigs.get_row_at(0)]
        assert row[0] == "VALID" and row[1] == "APPROVED" and quinn.printed_name in row[2]
        await pilot.press("h")
        await until(pilot, lambda: isinstance(app.screen, AuditBrowserScreen), "the history")
        history = app.screen
        await until(pilot, lambda: history.page is not None, "the history loaded")
        assert history.flt == AuditFilter(table="workcell.item", record=str(record.item_id))
        ops = [r.operation for r in history.page.rows]
        assert ops[-1] == "INSERT" and len(ops) >= 4  # insert, two edits, approval


async def test_operator_opening_the_audit_trail_is_refused(make_station, person):
    """Operators hold no audit.view: the browser refuses and shows no entries."""
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        screen = AuditBrowserScreen(audit_backend(station))
        app.push_screen(screen)
        await until(pilot, lambda: "Not allowed" in screen_text(app), "the refusal")
        assert screen.page is None


def _policy():
    from tests.identity_helpers import POLICY

    return POLICY
