"""The station's MaterialsBackend (screens/materials/backend.py) on the materials services.

Each method opens its own UnitOfWork in the acting person's database session and returns
the screens' plain views. What a person may do is asked of the database before any badge
(`sign_check.signing_refusal`, `access.require_permission`), and checked again when done.
QA release/reject, a hold's release and a shipment's confirmation are Signables driven by
the shared SignatureModal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from domain.errors import InvalidInput, NotFound, WorkCellError
from domain.gs1 import GS, parse_gs1
from domain.services import sign_check, signatures
from domain.services.access import require_permission
from domain.services.eco import Signing
from domain.services.engineering_rules import parse_decimal
from domain.services.identity import IdentityPolicy
from domain.services.materials import (
    corrections,
    floor,
    holds,
    inventory,
    lots,
    receiving,
    shipping,
)
from domain.services.materials.db import lot_id, plant_today, scalar
from domain.services.signatures import RecordRef
from domain.uow import UnitOfWork
from kiosk.backend import credentials, record_to_sign, signature_line
from kiosk.sessions import SessionBook
from kiosk.settings import StationSettings
from screens.backend import Proof, RecordToSign, SignatureLine
from screens.materials.backend import (
    BinChoice,
    HistoryLine,
    HoldRow,
    ItemForReceipt,
    LotDetail,
    ReceiptForm,
    ReceiptPreview,
    ShipmentDetail,
    ShipmentLine,
    ShipmentSummary,
    ShippedLine,
    StockChangeForm,
    StockChangePreview,
    StockLine,
    StockLotView,
    SupplierChoice,
    TraceLevel,
    TraceLink,
    TraceNode,
    TraceRoot,
)

V = TypeVar("V")
LOT_MEANINGS = {"release": "released", "reject": "rejected"}


def view(cls: type[V], source: Any, **extra: Any) -> V:
    """A screen view from a domain view with the same field names (plus ``extra``)."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values = {n: getattr(source, n) for n in names if n not in extra and hasattr(source, n)}
    return cls(**values, **extra)


def _number(text: str, what: str) -> Decimal:
    try:
        return parse_decimal(text, what)
    except ValueError as exc:
        raise InvalidInput(f"{exc}.") from None


def _date(text: str, what: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{what} {text.strip()!r} is not a date (YYYY-MM-DD).") from None


def looks_like_label(text: str) -> bool:
    """A GS1 element string (symbology id, human-readable AIs or a GS separator), not a
    lot number typed by hand."""
    return text[:1] in ("]", "(") or GS in text


def _why_not(uow: UnitOfWork, permission: str, actor: str) -> str | None:
    try:
        require_permission(uow, permission, actor)
    except WorkCellError as refused:
        return refused.message
    return None


def _history(lot: lots.LotView, ledger: list[floor.LedgerLine]) -> tuple[HistoryLine, ...]:
    lines = [
        HistoryLine(
            m.at,
            f"{m.from_status or 'new'} → {m.to_status} ({m.action})"
            + (f" — “{m.comment}”" if m.comment else ""),
            m.actor,
        )
        for m in lot.history
    ]
    for x in ledger:
        qty = f"{x.quantity.normalize():f} {x.unit}" + (f" {x.serial}" if x.serial else "")
        where = (
            f"{x.from_bin} → {x.to_bin}"
            if x.from_bin and x.to_bin
            else f"into {x.to_bin}"
            if x.to_bin
            else f"from {x.from_bin}"
        )
        reason = f" — {x.reason}" if x.reason else ""
        lines.append(HistoryLine(x.at, f"{x.kind} {qty} {where}{reason}", x.actor))
    return tuple(sorted(lines, key=lambda h: h.at))


class KioskMaterialsBackend:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: StationSettings,
        *,
        sessions: SessionBook | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.station = settings.name
        self.policy = IdentityPolicy.from_settings(settings)
        self.sessions = sessions or SessionBook(session_factory)

    def uow(self, actor: str, reason: str | None = None) -> UnitOfWork:
        """A unit of work in ``actor``'s database session (AttributionError: sign in first)."""
        return UnitOfWork(self.session_factory, self.sessions.require(actor), reason)

    # -- receiving ------------------------------------------------------------------------

    def receiving_bins(self, actor: str) -> list[BinChoice]:
        with self.uow(actor) as uow:
            return [view(BinChoice, b) for b in floor.bins(uow, ("receiving",))]

    def item_for_receipt(self, actor: str, scan: str, item_number: str) -> ItemForReceipt:
        with self.uow(actor) as uow:
            label = parse_gs1(scan, today=plant_today(uow)) if scan.strip() else None
            number = item_number.strip().upper()
            if label is not None and label.gtin:
                found = floor.item_for_gtin(uow, label.gtin)
                if found is None:
                    raise NotFound(
                        f"No item carries GTIN {label.gtin}: check the label, or ask "
                        "engineering to add the GTIN to the item.",
                        title="Unknown GTIN",
                    )
                if number and number != found:
                    raise InvalidInput(
                        f"The label's GTIN {label.gtin} is item {found}, not {number}: wrong "
                        "material or wrong label. Set it aside and call QA.",
                        title="Wrong item",
                    )
                number = found
            if not number:
                raise InvalidInput("Scan the supplier's label or enter the item number.")
            item = floor.item_suppliers(uow, number)
        quantity = None
        if label is not None and label.count is not None:
            quantity = Decimal(label.count)
        elif label is not None and label.net_weight_kg is not None and item.unit == "kg":
            quantity = label.net_weight_kg
        return ItemForReceipt(
            item.item_number, item.description, item.unit, item.tracking,
            tuple(view(SupplierChoice, s) for s in item.suppliers),
            label.lot if label else None, label.expiry if label else None, quantity,
            label.serial if label else None,
        )  # fmt: skip

    def _receipt(self, form: ReceiptForm) -> receiving.Receipt:
        if not form.bin_code.strip():
            raise InvalidInput("Choose the receiving bin.")
        if not form.supplier_code.strip():
            raise InvalidInput("Choose the supplier from the item's approved list.")
        return receiving.Receipt(
            form.supplier_code, form.bin_code, scan=form.scan or None,
            item_number=form.item_number or None, supplier_lot=form.supplier_lot or None,
            quantity=_number(form.quantity, "Quantity") if form.quantity.strip() else None,
            expiry=_date(form.expiry, "Expiry"), po_reference=form.po_reference.strip() or None,
            coa_reference=form.coa_reference.strip() or None,
        )  # fmt: skip

    def check_receipt(self, actor: str, form: ReceiptForm) -> ReceiptPreview:
        receipt = self._receipt(form)
        with self.uow(actor) as uow:
            c = receiving.check_receipt(uow, receipt)
        return ReceiptPreview(
            c.item_number, c.unit, c.supplier_code, c.supplier_lot, c.quantity, c.expiry,
            form.bin_code.strip().upper(), c.serials,
        )  # fmt: skip

    def receive(self, actor: str, form: ReceiptForm) -> str:
        receipt = self._receipt(form)
        with self.uow(actor, "received at the station") as uow:
            lot = receiving.receive(uow, receipt)
            uow.commit()
        return lot.lot_number

    # -- lots -----------------------------------------------------------------------------

    def lot_number_of(self, actor: str, scan: str) -> str:
        text = scan.strip()
        if not text:
            raise InvalidInput("Scan a lot label, or type a lot or serial number.")
        with self.uow(actor) as uow:
            if looks_like_label(text):
                label = parse_gs1(text, today=plant_today(uow))
                text = label.lot or label.serial or ""
                if not text:
                    raise InvalidInput("The label carries no lot (10) or serial (21) number.")
            node, _ = floor.root(uow, text)
        return node.lot_number

    def lot(self, actor: str, lot_number: str) -> LotDetail:
        with self.uow(actor) as uow:
            v = lots.get_lot(uow, lot_number)
            today = plant_today(uow)
            sigs = signatures.signatures_for(uow, RecordRef("lot", v.id))
            history = _history(v, floor.ledger(uow, v.lot_number))
            hold_rows = tuple(self._hold_row(uow, actor, h, v) for h in v.holds)
            actions = self._lot_actions(uow, actor, v, today)
        return view(
            LotDetail, v, today=today, stock=tuple(view(StockLine, s) for s in v.stock),
            holds=hold_rows, history=history, signatures=tuple(signature_line(s) for s in sigs),
            actions=actions,
        )  # fmt: skip

    def _hold_row(self, uow: UnitOfWork, actor: str, h: Any, lot: Any) -> HoldRow:
        refusal = None
        if h.status == "open":
            refusal = self._hold_refusal(uow, actor, h.id, h.source)
        return HoldRow(
            h.id, lot.lot_number, lot.item_number, h.source, h.source_ref, h.reason, h.status,
            h.placed_at, h.placed_by, refusal,
        )  # fmt: skip

    @staticmethod
    def _hold_refusal(uow: UnitOfWork, actor: str, hold_id: int, source: str) -> str | None:
        if source in ("inspection", "ncr"):
            return (
                f"This hold came from an {source.upper()}: it closes with that record's "
                "decision, not by hand."
            )
        return sign_check.signing_refusal(uow, RecordRef("hold", hold_id), "released", actor)

    @staticmethod
    def _lot_actions(
        uow: UnitOfWork, actor: str, v: lots.LotView, today: dt.date
    ) -> dict[str, str | None]:
        """The actions the lot's state allows, each None (you may) or why you may not."""
        actions: dict[str, str | None] = {}
        record = RecordRef("lot", v.id)
        late = (v.expiry_date is not None and v.expiry_date < today) or (
            v.retest_date is not None and v.retest_date < today
        )
        if v.status == "quarantine":
            why = sign_check.signing_refusal(uow, record, "released", actor)
            if why is None and v.created_by == actor:
                why = f"you received or produced lot {v.lot_number}: someone else releases it."
            if why is None and v.held:
                why = f"lot {v.lot_number} is on hold: release the hold first."
            if why is None and late:
                why = f"lot {v.lot_number} is out of date: it cannot be released."
            actions["release"] = why
        if v.status in ("quarantine", "released"):
            why = sign_check.signing_refusal(uow, record, "rejected", actor)
            if why is None and v.created_by == actor:
                why = f"you received or produced lot {v.lot_number}: someone else rejects it."
            actions["reject"] = why
        if v.status not in ("consumed", "shipped"):
            actions["hold"] = _why_not(uow, "hold.place", actor)
        if v.on_hand > 0:
            actions["move"] = _why_not(uow, "inventory.move", actor)
            actions.update(corrections.offered(uow, v.lot_number))
        return actions

    def lot_signing(
        self, actor: str, lot_number: str, action: str, version: int, comment: str
    ) -> PendingSignature:
        if action not in LOT_MEANINGS:
            raise InvalidInput(f"A lot is released or rejected, not {action!r}.")
        if action == "reject" and not comment.strip():
            raise InvalidInput("Say why the lot is rejected (the reason is part of the signature).")
        fn = lots.release_lot if action == "release" else lots.reject_lot
        number = lot_number.strip().upper()

        def record(uow: UnitOfWork) -> RecordRef:
            return RecordRef("lot", lot_id(uow, number))

        def apply(uow: UnitOfWork, signing: Signing) -> Any:
            return fn(uow, number, signing)

        return PendingSignature(self, actor, LOT_MEANINGS[action], record, apply, version, comment)

    # -- holds ----------------------------------------------------------------------------

    def open_holds(self, actor: str) -> list[HoldRow]:
        with self.uow(actor) as uow:
            return [
                view(HoldRow, h, status="open",
                     release_refusal=self._hold_refusal(uow, actor, h.id, h.source))
                for h in floor.open_holds(uow)
            ]  # fmt: skip

    def place_hold(self, actor: str, lot_number: str, reason: str) -> int:
        if not lot_number.strip():
            raise InvalidInput("Scan or type the lot to hold.")
        with self.uow(actor) as uow:
            hold_id = holds.place_hold(uow, lot_number, reason, "qa")
            uow.commit()
        return hold_id

    def hold_release(self, actor: str, hold_id: int, comment: str) -> PendingSignature:
        def record(uow: UnitOfWork) -> RecordRef:
            return RecordRef("hold", hold_id)

        def apply(uow: UnitOfWork, signing: Signing) -> Any:
            return holds.release_hold(uow, hold_id, signing)

        return PendingSignature(self, actor, "released", record, apply, None, comment)

    # -- moves ----------------------------------------------------------------------------

    def bins(self, actor: str) -> list[BinChoice]:
        with self.uow(actor) as uow:
            return [view(BinChoice, b) for b in floor.bins(uow)]

    def move(
        self, actor: str, lot_number: str, from_bin: str, to_bin: str, quantity: str,
        serial: str = "",
    ) -> LotDetail:  # fmt: skip
        if not from_bin.strip() or not to_bin.strip():
            raise InvalidInput("Choose the bin it comes from and the bin it goes to.")
        if from_bin.strip().upper() == to_bin.strip().upper():
            raise InvalidInput("The lot is already in that bin: choose another destination.")
        qty = _number(quantity, "Quantity")
        with self.uow(actor) as uow:
            inventory.move(uow, lot_number, from_bin, to_bin, qty, serial.strip() or None)
            uow.commit()
        return self.lot(actor, lot_number)

    # -- scrap and adjust -----------------------------------------------------------------

    def stock_lot(self, actor: str, scan: str, kind: str) -> StockLotView:
        text = scan.strip()
        if not text:
            raise InvalidInput("Scan the lot label, or type the lot or serial number.")
        with self.uow(actor) as uow:
            if looks_like_label(text):
                label = parse_gs1(text, today=plant_today(uow))
                text = label.lot or label.serial or ""
                if not text:
                    raise InvalidInput("The label carries no lot (10) or serial (21) number.")
            found = corrections.stock_lot(uow, text, kind)
        return view(StockLotView, found, stock=tuple(view(StockLine, s) for s in found.stock))

    @staticmethod
    def _change(form: StockChangeForm) -> corrections.Change:
        if not form.quantity.strip():
            raise InvalidInput("Enter the quantity on the keypad.")
        qty = _number(form.quantity, "Quantity")
        if form.kind == "adjust":
            if form.direction not in ("+", "-"):
                raise InvalidInput("Say whether more was found (+) or some is missing (−).")
            qty = qty if form.direction == "+" else -qty
        return corrections.Change(
            form.kind, form.lot_number, form.bin_code, qty, form.reason, form.serial or None
        )

    def check_stock_change(self, actor: str, form: StockChangeForm) -> StockChangePreview:
        change = self._change(form)
        with self.uow(actor) as uow:
            checked = corrections.check_change(uow, change)
        return view(StockChangePreview, checked)

    def scrap(self, actor: str, form: StockChangeForm) -> StockLotView:
        c = self._change(form)
        with self.uow(actor) as uow:
            inventory.scrap(uow, c.lot_number, c.bin_code, c.quantity, c.reason, c.serial)
            uow.commit()
        return self.stock_lot(actor, c.lot_number, "scrap")

    def adjustment(self, actor: str, form: StockChangeForm) -> PendingSignature:
        c = self._change(form)
        number = c.lot_number.strip().upper()

        def record(uow: UnitOfWork) -> RecordRef:
            return RecordRef("lot", lot_id(uow, number))

        def apply(uow: UnitOfWork, signing: Signing) -> Any:
            inventory.adjust(uow, number, c.bin_code, c.quantity, c.reason, signing)
            return signatures.signatures_for(uow, record(uow))[-1]

        sign = "+" if c.quantity > 0 else "−"
        said = f"{c.reason.strip()} ({sign}{abs(c.quantity).normalize():f} in {c.bin_code.upper()})"
        return PendingSignature(self, actor, "adjusted", record, apply, None, said)

    # -- trace ----------------------------------------------------------------------------

    def trace_root(self, actor: str, ident: str) -> TraceRoot:
        if not ident.strip():
            raise InvalidInput("Scan or type a lot or serial number to trace.")
        with self.uow(actor) as uow:
            node, serial = floor.root(uow, ident)
        return TraceRoot(view(TraceNode, node), serial)

    def trace_level(self, actor: str, lot_ids: tuple[int, ...], direction: str) -> TraceLevel:
        with self.uow(actor) as uow:
            level = floor.level(uow, lot_ids, direction)
        return TraceLevel(
            tuple(
                TraceLink(source, e.quantity, e.unit, e.parent_serial, e.child_serial,
                          view(TraceNode, n))
                for source, e, n in level.links
            ),
            tuple(view(ShippedLine, s) for s in level.shipments),
        )  # fmt: skip

    # -- shipping -------------------------------------------------------------------------

    def customers(self, actor: str) -> list[tuple[str, str]]:
        with self.uow(actor) as uow:
            return floor.customers(uow)

    def open_shipments(self, actor: str) -> list[ShipmentSummary]:
        with self.uow(actor) as uow:
            return [view(ShipmentSummary, s) for s in floor.shipments(uow, "open")]

    def create_shipment(self, actor: str, customer_code: str, reference: str) -> str:
        if not customer_code.strip():
            raise InvalidInput("Choose the customer.")
        with self.uow(actor) as uow:
            number = shipping.create_shipment(uow, customer_code, reference)
            uow.commit()
        return number

    def shipment(self, actor: str, number: str) -> ShipmentDetail:
        with self.uow(actor) as uow:
            s = floor.shipment(uow, number)
            lines = floor.shipment_lines(uow, number)
            shipment_id = int(
                scalar(uow, "SELECT id FROM workcell.shipment WHERE shipment_number = :n",
                       {"n": s.number})
            )  # fmt: skip
            record = RecordRef("shipment", shipment_id)
            sigs = signatures.signatures_for(uow, record)
            refusal = None
            if s.status == "open":
                refusal = sign_check.signing_refusal(uow, record, "confirmed", actor)
                if refusal is None and not lines:
                    refusal = "pick at least one line first."
        return ShipmentDetail(
            view(ShipmentSummary, s), tuple(view(ShipmentLine, x) for x in lines),
            tuple(signature_line(x) for x in sigs), refusal,
        )  # fmt: skip

    def pick(self, actor: str, number: str, scan: str, quantity: str = "") -> ShipmentDetail:
        text = scan.strip()
        if not text:
            raise InvalidInput("Scan the lot label (or type the lot number).")
        with self.uow(actor, f"picked for shipment {number}") as uow:
            lot_number, serial, count = text.upper(), None, None
            if looks_like_label(text):
                label = parse_gs1(text, today=plant_today(uow))
                if not label.lot:
                    raise InvalidInput("The label carries no lot number (10): scan the lot label.")
                lot_number, serial, count = label.lot, label.serial, label.count
            why = floor.ship_refusal(uow, lot_number)
            if why is not None:
                raise InvalidInput(why, title="Not shippable")
            qty = (
                _number(quantity, "Quantity")
                if quantity.strip()
                else Decimal(count if count is not None else 1)
            )
            bin_code = floor.shipping_bin(uow, lot_number, serial)
            shipping.pick(uow, number, lot_number, bin_code, qty, serial)
            uow.commit()
        return self.shipment(actor, number)

    def shipment_confirmation(self, actor: str, number: str, version: int) -> PendingSignature:
        key = number.strip().upper()

        def record(uow: UnitOfWork) -> RecordRef:
            found = scalar(
                uow, "SELECT id FROM workcell.shipment WHERE shipment_number = :n", {"n": key}
            )
            if found is None:
                raise NotFound(f"There is no shipment {key}.")
            return RecordRef("shipment", int(found))

        def apply(uow: UnitOfWork, signing: Signing) -> Any:
            return shipping.confirm_shipment(uow, key, signing)

        return PendingSignature(self, actor, "confirmed", record, apply, version, "")


@dataclass(frozen=True)
class PendingSignature:
    """A signature to be made (a Signable): ``record`` finds what is signed, ``apply``
    runs the service that signs it. Nothing touches the database until asked."""

    backend: KioskMaterialsBackend
    actor: str
    meaning: str
    record: Callable[[UnitOfWork], RecordRef]
    apply: Callable[[UnitOfWork, Signing], Any]
    version: int | None
    comment: str  # the screen's reason (a rejection's, a hold release's); the dialog may add
    shown: dict[str, RecordToSign] = field(default_factory=dict)

    def describe(self) -> RecordToSign:
        with self.backend.uow(self.actor) as uow:
            summary = signatures.describe_record(uow, self.record(uow))
        extra = (f"Reason: {self.comment}",) if self.comment.strip() else ()
        self.shown["record"] = shown = record_to_sign(summary, self.meaning, extra)
        return shown

    def sign(self, proof: Proof, comment: str | None) -> SignatureLine:
        b = self.backend
        shown = self.shown.get("record")
        said = "; ".join(x for x in (self.comment.strip(), (comment or "").strip()) if x)
        signing = Signing(
            credentials(proof), b.station, b.policy, said or None,
            shown.version if shown else self.version, shown.content_hash if shown else None,
        )  # fmt: skip
        with b.uow(self.actor) as uow:
            signature = self.apply(uow, signing)
            uow.commit()
        return signature_line(signature)
