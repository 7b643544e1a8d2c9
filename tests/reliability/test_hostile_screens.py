"""Hostile strings stored through the services are shown back on the station's screens at
80x24 without breaking them: Rich markup is not interpreted, escapes and right-to-left marks do
not take the layout over, and the screen still works."""

from __future__ import annotations

from pathlib import Path

from domain.services.work_orders import deviations, execution
from tests.integration.work_order_helpers import Line
from tests.reliability import flow
from tests.reliability.stations import open_work_order, station_on
from tests.ui.conftest import screen_text, sign_in, tap, until

REMARK = "[b]bold[/b] [link=file:///etc/passwd]x[/link] [red ‮RTL‬ \x1b[2J '; DROP TABLE x; --"
WHAT = "\u2067[reverse]what[/]\u2069 \x07 %s %% {0}"


async def test_step_screen_shows_hostile_entries_verbatim(line: Line, tmp_path: Path) -> None:
    """A remark and a deviation full of markup, escapes and bidi controls: the step screen
    (80x24) shows the remark's words literally and still takes a tap."""
    number, _ = flow.at_step_two(line)
    step = line.step(number, 2)
    with line.uow(line.op1) as uow:
        after = execution.enter_value(uow, step.id, "REMARK", REMARK, step.version)
        deviations.open_deviation(uow, step.id, "other", WHAT, "", "", WHAT)
        uow.commit()
    assert after.id == step.id
    station = station_on(line.plant.factory, tmp_path)
    operator = station.person(line.op1)
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, operator)
        screen = await open_work_order(pilot, app, number)
        await until(pilot, lambda: "[b]bold[/b]" in screen_text(app), "the remark shown")
        shown = screen_text(app)
        assert "[link=file:///etc/passwd]" in shown and "[reverse]what[/]" in shown
        assert "\x1b" not in shown and "␛[2J" in shown  # shown, not obeyed
        assert "\u202e" not in shown and "<U+202E>" in shown
        app.save_screenshot(str(tmp_path / "hostile.svg"))
        await tap(pilot, "#pass-visual")  # the screen still works
        await until(pilot, lambda: screen.view.entry("VISUAL") is not None, "visual saved")
