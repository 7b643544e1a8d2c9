-- Materials, second part (issue 12 items 2, 4, 5): unit-of-measure conversions per item,
-- purchase-order lines that receipts count against, signed retest-date extensions, and the
-- record of every label issued. Every text column a station can write is capped.

-- A conversion: 1 <unit> = factor × the item's own unit (the unit its lots are counted
-- in). Exact decimals: the column is unconstrained numeric, so nothing is rounded on input.
-- ``decimals``: how many decimals a quantity entered in this unit may have.
CREATE TABLE workcell.item_unit (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_item_unit PRIMARY KEY,
    item_id    bigint NOT NULL CONSTRAINT fk_item_unit_item_id REFERENCES workcell.item (id),
    unit       text NOT NULL CONSTRAINT ck_item_unit_unit CHECK (unit ~ '^[A-Za-z][A-Za-z0-9_]{0,7}$'),
    factor     numeric NOT NULL CONSTRAINT ck_item_unit_factor CHECK (
                   factor > 0 AND factor < 1000000000 AND scale(factor) <= 12),
    decimals   smallint NOT NULL DEFAULT 6 CONSTRAINT ck_item_unit_decimals CHECK (decimals BETWEEN 0 AND 6),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_item_unit_created_by REFERENCES workcell.users (id),
    version    integer NOT NULL DEFAULT 1
);
-- one active conversion per item and unit (a wrong one is retired and entered again)
CREATE UNIQUE INDEX uq_item_unit_active ON workcell.item_unit (item_id, unit) WHERE active;

-- Purchase-order lines (kept by purchasing): what was ordered, of which item, from whom.
-- A receipt naming the PO (and line) counts against it; more than is open is refused.
CREATE TABLE workcell.purchase_order_line (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_purchase_order_line PRIMARY KEY,
    po_number        text NOT NULL CONSTRAINT ck_purchase_order_line_po_number CHECK (po_number ~ '^[A-Z0-9][A-Z0-9_.-]{0,39}$'),
    line_no          integer NOT NULL CONSTRAINT ck_purchase_order_line_line_no CHECK (line_no BETWEEN 1 AND 9999),
    item_id          bigint NOT NULL CONSTRAINT fk_purchase_order_line_item_id REFERENCES workcell.item (id),
    supplier_id      bigint NOT NULL CONSTRAINT fk_purchase_order_line_supplier_id REFERENCES workcell.supplier (id),
    ordered_quantity numeric NOT NULL CONSTRAINT ck_purchase_order_line_ordered CHECK (
                         ordered_quantity > 0 AND ordered_quantity < 1000000000000 AND scale(ordered_quantity) <= 6),
    unit             text NOT NULL,
    status           text NOT NULL DEFAULT 'open' CONSTRAINT ck_purchase_order_line_status CHECK (status IN ('open', 'closed')),
    note             text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_purchase_order_line_created_by REFERENCES workcell.users (id),
    version          integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_purchase_order_line_po_number_line_no UNIQUE (po_number, line_no)
);
CREATE INDEX ix_purchase_order_line_item_id ON workcell.purchase_order_line (item_id);

ALTER TABLE workcell.lot ADD COLUMN po_line_id bigint
    CONSTRAINT fk_lot_po_line_id REFERENCES workcell.purchase_order_line (id);
CREATE INDEX ix_lot_po_line_id ON workcell.lot (po_line_id) WHERE po_line_id IS NOT NULL;

-- What a person entered, when it was in another unit than the lot's (the ledger's quantity
-- is always in the lot's unit; the conversion is exact or refused). Unconstrained numeric:
-- a quantity is never rounded on its way in.
ALTER TABLE workcell.inventory_txn
    ADD COLUMN entered_quantity numeric,
    ADD COLUMN entered_unit text;

-- Retest-date extensions: QA's signed decision after a retest, with the result's reference.
CREATE TABLE workcell.retest_extension (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_retest_extension PRIMARY KEY,
    lot_id          bigint NOT NULL CONSTRAINT fk_retest_extension_lot_id REFERENCES workcell.lot (id),
    old_retest_date date NOT NULL,
    new_retest_date date NOT NULL,
    reason          text NOT NULL CONSTRAINT ck_retest_extension_reason CHECK (btrim(reason) <> ''),
    reference       text NOT NULL CONSTRAINT ck_retest_extension_reference CHECK (btrim(reference) <> ''),
    signature_id    bigint NOT NULL CONSTRAINT fk_retest_extension_signature_id REFERENCES workcell.signature (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_retest_extension_created_by REFERENCES workcell.users (id),
    tx_id           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    version         integer NOT NULL DEFAULT 1,
    CONSTRAINT ck_retest_extension_later CHECK (new_retest_date > old_retest_date)
);
CREATE INDEX ix_retest_extension_lot_id ON workcell.retest_extension (lot_id, id);

-- Every label issued (printed or written to a file): what it encoded, how many, where to.
-- Work orders will reconcile issued / used / destroyed against these counts.
CREATE TABLE workcell.label_issue (
    id             bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_label_issue PRIMARY KEY,
    lot_id         bigint NOT NULL CONSTRAINT fk_label_issue_lot_id REFERENCES workcell.lot (id),
    serial_id      bigint CONSTRAINT fk_label_issue_serial_id REFERENCES workcell.serial (id),
    copies         integer NOT NULL CONSTRAINT ck_label_issue_copies CHECK (copies BETWEEN 1 AND 500),
    format         text NOT NULL CONSTRAINT ck_label_issue_format CHECK (format IN ('png', 'svg', 'zpl')),
    destination    text NOT NULL,
    element_string text NOT NULL,
    reprint        boolean NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    actor_id       bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_label_issue_actor_id REFERENCES workcell.users (id),
    station        text NOT NULL DEFAULT session_user,
    version        integer NOT NULL DEFAULT 1
);
CREATE INDEX ix_label_issue_lot_id ON workcell.label_issue (lot_id, id);
