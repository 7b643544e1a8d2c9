"""The step screen's equipment actions (a mixin of StepScreen): pick the unit used, tare the
step's balance, read it into a numeric field. Each runs in a backend worker; a refusal (the
unit out of calibration, the balance unstable or offline) is said and nothing is recorded,
and the field can still be typed (the value is then marked typed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from screens.base import call_backend
from screens.station import station_of
from screens.widgets.choice import ChoiceModal
from screens.widgets.keyboard import KeyboardModal
from screens.work_orders.backend import DataField, EquipmentChoice
from screens.work_orders.equipment_row import EquipmentRow

if TYPE_CHECKING:
    from collections.abc import Callable

    from domain.errors import WorkCellError
    from screens.work_orders.backend import StepView, WorkOrderBackend

UNUSABLE = " ✗"


class StepEquipment:
    if TYPE_CHECKING:
        backend: WorkOrderBackend
        view: StepView | None
        show: Callable[[StepView], None]
        refused: Callable[[WorkCellError], None]
        _status: Callable[..., None]

    def on_equipment_row_asked(self, message: EquipmentRow.Asked) -> None:
        if message.action == "pick":
            self._pick()
        elif message.action == "tare":
            self._tare()

    def _actor(self) -> tuple[str, StepView] | None:
        user, view = station_of(self).current_user, self.view  # type: ignore[arg-type]
        return None if user is None or view is None else (user.username, view)

    def _pick(self) -> None:
        found = self._actor()
        if found is None:
            return
        actor, view = found

        def listed(units: list[EquipmentChoice]) -> None:
            if not units:
                self._status(f"No {view.equipment_class} is registered.", alarm=True)
                return
            options = [u.asset_id + ("" if u.usable else UNUSABLE) for u in units]
            title = f"{view.equipment_class} used at this step (✗: may not be used now)"
            self.app.push_screen(ChoiceModal(title, options), self._picked)  # type: ignore[attr-defined]

        call_backend(
            self,  # type: ignore[arg-type]
            lambda: self.backend.equipment_choices(actor, view.step_id), listed,
            failed=self.refused, group="step-equipment",
        )  # fmt: skip

    def _picked(self, option: str | None) -> None:
        if option:
            self.use_unit(option.removesuffix(UNUSABLE))

    def use_unit(self, asset_id: str) -> None:
        """The unit used: the database checks it (class, service, calibration, cleaning)."""
        found = self._actor()
        if found is None:
            return
        actor, view = found
        self._status(f"Checking {asset_id}…")
        call_backend(
            self,  # type: ignore[arg-type]
            lambda: self.backend.use_equipment(actor, view.step_id, asset_id), self.show,
            failed=self.refused, group="step-entry",
        )  # fmt: skip

    def _tare(self) -> None:
        found = self._actor()
        if found is None:
            return
        actor, view = found
        self._status("Taring… keep the pan still.")
        call_backend(
            self,  # type: ignore[arg-type]
            lambda: self.backend.tare_balance(actor, view.step_id),
            lambda tare: self._status(f"Tared: {tare}. Fill, then tap Read balance."),
            failed=self.refused, group="step-entry",
        )  # fmt: skip

    def weigh(self, data_field: DataField) -> None:
        """Read the balance into the field; a second reading is a correction (its reason)."""
        found = self._actor()
        if found is None:
            return
        _, view = found
        if view.entry(data_field.code) is None:
            self._read(data_field, "")
            return

        def answered(why: str | None) -> None:
            if why and why.strip():
                self._read(data_field, why.strip())
            else:
                self._status("Not read: a reason is needed for a second reading.", alarm=True)

        question = f"{data_field.label} is recorded: why weigh again? (the first value is kept)"
        self.app.push_screen(KeyboardModal(question, ""), answered)  # type: ignore[attr-defined]

    def _read(self, data_field: DataField, why: str) -> None:
        found = self._actor()
        if found is None:
            return
        actor, view = found
        self._status("Reading the balance… keep the pan still.")
        call_backend(
            self,  # type: ignore[arg-type]
            lambda: self.backend.read_balance(actor, view.step_id, data_field.code, why),
            self.show, failed=self.refused, group="step-entry",
        )  # fmt: skip
