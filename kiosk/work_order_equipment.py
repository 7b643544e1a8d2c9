"""Equipment at the step for the station's work-order backend (a mixin of
KioskWorkOrderBackend): the unit used (scanned or picked), the pick list, the step's
balance (tare, a stable reading recorded with its tare, serial and calibration). Every rule
is the database's (migration 0021); balance failures (BalanceError) reach the screen before
anything is written, and a typed value stays possible."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.errors import InstrumentError, InvalidInput
from domain.services.materials.db import scalar
from domain.services.work_orders import execution, step_equipment
from domain.uow import UnitOfWork
from domain.views import work_orders as v
from hardware.balance import BalanceError
from kiosk.station_balances import StationBalances
from screens.work_orders import backend as s

if TYPE_CHECKING:
    from collections.abc import Callable


class EquipmentAtStep:
    balances: StationBalances
    uow: Callable[..., UnitOfWork]
    _shown: Callable[[UnitOfWork, str, v.StepView], s.StepView]

    def use_equipment(self, actor: str, step_id: int, asset_id: str) -> s.StepView:
        with self.uow(actor, f"{asset_id.strip().upper()} used at the step") as uow:
            step = execution.step_view(uow, step_id)
            after = step_equipment.use_equipment(uow, step_id, asset_id, step.version)
            uow.commit()
            return self._shown(uow, actor, after)

    def equipment_choices(self, actor: str, step_id: int) -> list[s.EquipmentChoice]:
        with self.uow(actor) as uow:
            units = step_equipment.units_for(uow, step_id)
        return [
            s.EquipmentChoice(u.asset_id, u.description, u.usable, u.refusal or "") for u in units
        ]

    def tare_balance(self, actor: str, step_id: int) -> str:
        with self.uow(actor) as uow:
            unit = execution.step_view(uow, step_id).unit
        if unit is None or not unit.balance:
            raise InvalidInput("Scan the balance you use first.")
        try:
            return self.balances.tare(unit.asset_id)
        except BalanceError as exc:
            raise InstrumentError(exc.message, title=exc.title) from exc

    def read_balance(self, actor: str, step_id: int, code: str, why: str) -> s.StepView:
        try:
            return self._read(actor, step_id, code, why)
        except BalanceError as exc:  # nothing was written: the reading came first
            raise InstrumentError(exc.message, title=exc.title) from exc

    def _read(self, actor: str, step_id: int, code: str, why: str) -> s.StepView:
        with self.uow(actor, why or f"{code} read from the balance") as uow:
            step = execution.step_view(uow, step_id)
            if step.unit is None:
                raise InvalidInput(f"Scan the {step.equipment_class or 'balance'} you use first.")
            with self.balances.client(step.unit.asset_id) as balance:
                after = step_equipment.weigh_value(uow, step_id, code, balance, step.version, why)
            uow.commit()
            return self._shown(uow, actor, after)

    def equipment_scanned(self, uow: UnitOfWork, step: v.StepView, scanned: str) -> bool:
        """Whether a scan at this step is the asset tag of a registered unit (then it is the
        unit used, not a component)."""
        if step.equipment_class is None or not scanned.strip():
            return False
        found = scalar(
            uow,
            "SELECT count(*) FROM workcell.equipment WHERE asset_id = upper(btrim(:a))",
            {"a": scanned},
        )
        return bool(found)


def unit_connected(step: v.StepView, balances: StationBalances) -> bool:
    """Whether this station reads the balance recorded as used at the step."""
    u = step.unit
    return u is not None and u.balance and balances.connected(u.asset_id)


def weighable(step: v.StepView, f: v.FieldView, balances: StationBalances) -> bool:
    return f.kind == "numeric" and unit_connected(step, balances)


def source_of(e: v.EntryView, unit: str) -> tuple[str, str]:
    """(value_source, what the reading came from) for an entry shown at the station."""
    if e.value_source != "balance" or e.read_from is None:
        return e.value_source, ""
    tare = f", tare {e.tare.normalize():f} {unit}" if e.tare is not None else ", no tare"
    return "balance", f"{e.read_from}{tare}"
