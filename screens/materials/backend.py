"""What the materials screens may ask of the station (implemented in
kiosk/materials_backend.py), and the plain views they receive: frozen dataclasses of
text, dates and decimals, so the screens import nothing of the database layer. Every
method may block: call it through `screens.base.call_backend`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from screens.backend import Signable, SignatureLine

# Lot actions a detail screen may offer (each shown only where the lot's state allows it,
# enabled only when the person may do it; otherwise the reason is shown).
LOT_ACTIONS = ("release", "reject", "hold", "move", "scrap", "adjust")


@dataclass(frozen=True)
class BinChoice:
    code: str
    zone: str
    zone_type: str


@dataclass(frozen=True)
class SupplierChoice:
    code: str
    name: str
    status: str  # approved | disqualified
    note: str = ""


@dataclass(frozen=True)
class ItemForReceipt:
    """The item a label (or a typed item number) names, with its approved-supplier list
    and what the label itself says."""

    item_number: str
    description: str
    unit: str
    tracking: str
    suppliers: tuple[SupplierChoice, ...]
    label_lot: str | None = None
    label_expiry: dt.date | None = None
    label_quantity: Decimal | None = None
    label_serial: str | None = None


@dataclass(frozen=True)
class ReceiptForm:
    """What the receiving form holds, as typed (the backend parses and checks it)."""

    bin_code: str
    supplier_code: str
    scan: str = ""
    item_number: str = ""
    supplier_lot: str = ""
    quantity: str = ""
    expiry: str = ""  # YYYY-MM-DD, when the label carries none
    po_reference: str = ""
    coa_reference: str = ""


@dataclass(frozen=True)
class ReceiptPreview:
    """A receipt that passed every check: what will be created on confirmation."""

    item_number: str
    unit: str
    supplier_code: str
    supplier_lot: str
    quantity: Decimal
    expiry: dt.date | None
    bin_code: str
    serials: tuple[str, ...] = ()


@dataclass(frozen=True)
class StockLine:
    bin_code: str
    zone_type: str
    quantity: Decimal


@dataclass(frozen=True)
class HoldRow:
    id: int
    lot_number: str
    item_number: str
    source: str
    source_ref: str
    reason: str
    status: str
    placed_at: dt.datetime
    placed_by: str
    # None: the signed-in person may release it (with a signature); else why not
    release_refusal: str | None = None


@dataclass(frozen=True)
class HistoryLine:
    """A ledger line or a status transition, with who and when."""

    at: dt.datetime
    what: str
    actor: str


@dataclass(frozen=True)
class LotDetail:
    lot_number: str
    item_number: str
    description: str
    origin: str
    status: str
    quantity: Decimal
    unit: str
    supplier: str | None
    supplier_lot: str | None
    po_reference: str | None
    coa_reference: str | None
    expiry_date: dt.date | None
    retest_date: dt.date | None
    created_at: dt.datetime
    created_by: str
    version: int
    today: dt.date  # the plant's date (expiry/retest are judged against it)
    stock: tuple[StockLine, ...]
    holds: tuple[HoldRow, ...]
    history: tuple[HistoryLine, ...]
    signatures: tuple[SignatureLine, ...]
    serials: tuple[str, ...]
    # action → None (offered and allowed) or why the signed-in person may not; actions the
    # lot's state rules out are absent
    actions: dict[str, str | None] = field(default_factory=dict)

    @property
    def held(self) -> bool:
        return any(h.status == "open" for h in self.holds)

    @property
    def on_hand(self) -> Decimal:
        return sum((s.quantity for s in self.stock), Decimal(0))

    @property
    def out_of_date(self) -> str | None:
        if self.expiry_date is not None and self.expiry_date < self.today:
            return f"expired {self.expiry_date:%Y-%m-%d}"
        if self.retest_date is not None and self.retest_date < self.today:
            return f"past retest {self.retest_date:%Y-%m-%d}"
        return None


@dataclass(frozen=True)
class TraceNode:
    lot_id: int
    lot_number: str
    item_number: str
    description: str
    origin: str
    status: str
    held: bool
    on_hand: Decimal
    quantity: Decimal
    unit: str
    expiry_date: dt.date | None
    supplier: str | None
    supplier_lot: str | None


@dataclass(frozen=True)
class TraceLink:
    """One edge of the tree: from the lot ``source`` to ``node`` (its input when tracing
    backward, what it went into when forward), with the quantity and serials."""

    source: int
    quantity: Decimal
    unit: str
    parent_serial: str | None
    child_serial: str | None
    node: TraceNode


@dataclass(frozen=True)
class ShippedLine:
    shipment_number: str
    customer_code: str
    customer_name: str
    lot_id: int
    serial: str | None
    quantity: Decimal
    unit: str
    shipped_at: dt.datetime | None


@dataclass(frozen=True)
class TraceLevel:
    links: tuple[TraceLink, ...]
    shipments: tuple[ShippedLine, ...]


@dataclass(frozen=True)
class TraceRoot:
    node: TraceNode
    serial: str | None


@dataclass(frozen=True)
class ShipmentSummary:
    number: str
    customer_code: str
    customer_name: str
    reference: str
    status: str
    created_at: dt.datetime
    created_by: str
    version: int
    lines: int


@dataclass(frozen=True)
class ShipmentLine:
    lot_number: str
    item_number: str
    serial: str | None
    bin_code: str
    quantity: Decimal
    unit: str
    lot_status: str
    held: bool


@dataclass(frozen=True)
class ShipmentDetail:
    summary: ShipmentSummary
    lines: tuple[ShipmentLine, ...]
    signatures: tuple[SignatureLine, ...]
    confirm_refusal: str | None  # None: the signed-in person may confirm it


@dataclass(frozen=True)
class StockLotView:
    """A scanned lot for a scrap or an adjustment: the verdict (``refusal`` None: you may)
    with what is on hand where."""

    lot_number: str
    item_number: str
    description: str
    status: str
    unit: str
    tracking: str
    hold: str | None
    late: str | None
    stock: tuple[StockLine, ...]
    refusal: str | None


@dataclass(frozen=True)
class StockChangeForm:
    """A scrap or an adjustment as typed (the backend parses and checks it)."""

    kind: str  # scrap | adjust
    lot_number: str
    bin_code: str
    quantity: str
    reason: str
    direction: str = "-"  # an adjustment: "+" found more, "-" missing
    serial: str = ""


@dataclass(frozen=True)
class StockChangePreview:
    """A change that passed every check: what the ledger will record."""

    kind: str
    lot_number: str
    item_number: str
    unit: str
    bin_code: str
    quantity: Decimal  # signed for an adjustment
    on_hand: Decimal
    after: Decimal
    reason: str
    serial: str | None


class MaterialsBackend(Protocol):
    # -- receiving ------------------------------------------------------------------------
    def receiving_bins(self, actor: str) -> list[BinChoice]: ...

    def item_for_receipt(self, actor: str, scan: str, item_number: str) -> ItemForReceipt:
        """The item a scanned label (or, without one, a typed item number) names; refuses a
        malformed scan and an unknown GTIN."""
        ...

    def check_receipt(self, actor: str, form: ReceiptForm) -> ReceiptPreview:
        """Every refusal the receipt would get, before anything is created."""
        ...

    def receive(self, actor: str, form: ReceiptForm) -> str:
        """Receive into quarantine; returns our lot number."""
        ...

    # -- lots -----------------------------------------------------------------------------
    def lot_number_of(self, actor: str, scan: str) -> str:
        """The lot a scanned label (GS1: lot (10), serial (21)) or a typed lot or serial
        number names."""
        ...

    def lot(self, actor: str, lot_number: str) -> LotDetail: ...

    def lot_signing(
        self, actor: str, lot_number: str, action: str, version: int, comment: str
    ) -> Signable:
        """QA release or reject (``action``) for SignatureModal."""
        ...

    # -- holds ----------------------------------------------------------------------------
    def open_holds(self, actor: str) -> list[HoldRow]: ...

    def place_hold(self, actor: str, lot_number: str, reason: str) -> int:
        """A hand (QA) hold on the lot."""
        ...

    def hold_release(self, actor: str, hold_id: int, comment: str) -> Signable: ...

    # -- moves ----------------------------------------------------------------------------
    def bins(self, actor: str) -> list[BinChoice]: ...

    def move(
        self, actor: str, lot_number: str, from_bin: str, to_bin: str, quantity: str,
        serial: str = "",
    ) -> LotDetail:  # fmt: skip
        """Move part or all of a lot (``quantity`` as typed); the zone rules decide."""
        ...

    # -- scrap and adjust -----------------------------------------------------------------
    def stock_lot(self, actor: str, scan: str, kind: str) -> StockLotView:
        """The lot a label or typed number names, and whether ``actor`` may scrap or adjust
        it (``kind``), with the reason when not."""
        ...

    def check_stock_change(self, actor: str, form: StockChangeForm) -> StockChangePreview:
        """Every refusal the ledger would give, before any confirmation or signature."""
        ...

    def scrap(self, actor: str, form: StockChangeForm) -> StockLotView:
        """Scrap (checked again by the database); the lot as it is afterwards."""
        ...

    def adjustment(self, actor: str, form: StockChangeForm) -> Signable:
        """The signed count correction (``adjusted``) for SignatureModal."""
        ...

    # -- trace ----------------------------------------------------------------------------
    def trace_root(self, actor: str, ident: str) -> TraceRoot: ...

    def trace_level(self, actor: str, lot_ids: tuple[int, ...], direction: str) -> TraceLevel:
        """The next level from these lots (``backward`` | ``forward``)."""
        ...

    # -- shipping -------------------------------------------------------------------------
    def customers(self, actor: str) -> list[tuple[str, str]]: ...

    def open_shipments(self, actor: str) -> list[ShipmentSummary]: ...

    def create_shipment(self, actor: str, customer_code: str, reference: str) -> str: ...

    def shipment(self, actor: str, number: str) -> ShipmentDetail: ...

    def pick(self, actor: str, number: str, scan: str, quantity: str = "") -> ShipmentDetail:
        """Pick a line from a lot label (or a typed lot number): refused, with the reason,
        unless the lot is released, unheld, in date and in a shipping bin."""
        ...

    def shipment_confirmation(self, actor: str, number: str, version: int) -> Signable: ...
