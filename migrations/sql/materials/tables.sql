-- Materials (issue 12): locations, suppliers, lots and serials, holds, the inventory ledger
-- with its derived on-hand, production records and genealogy, customers and shipments.
-- Quantities are exact decimals (numeric(18,6)) in the item's unit. Every text column a
-- station can write is capped.

-- Settings a plant configures (one row): the lot number pattern and the plant's time zone,
-- which decides "today" for expiry and retest (never the station's session TimeZone).
CREATE TABLE workcell.materials_policy (
    id                 integer PRIMARY KEY DEFAULT 1 CONSTRAINT ck_materials_policy_one CHECK (id = 1),
    lot_number_pattern text NOT NULL DEFAULT 'L{YY}{MM}-{SEQ:5}'
                       CONSTRAINT ck_materials_policy_pattern CHECK (
                           length(lot_number_pattern) <= 40 AND lot_number_pattern LIKE '%{SEQ%'),
    plant_timezone     text NOT NULL DEFAULT 'UTC'
                       CONSTRAINT ck_materials_policy_timezone CHECK (length(plant_timezone) <= 64),
    version            integer NOT NULL DEFAULT 1
);
INSERT INTO workcell.materials_policy (id) VALUES (1);
CREATE SEQUENCE workcell.lot_number_seq;
CREATE SEQUENCE workcell.shipment_number_seq;
CREATE SEQUENCE workcell.production_number_seq;

-- Locations ---------------------------------------------------------------------------------

CREATE TABLE workcell.zone_type (
    name        text PRIMARY KEY,
    description text NOT NULL CONSTRAINT ck_zone_type_description CHECK (length(description) <= 200),
    may_consume boolean NOT NULL DEFAULT false,   -- material is used from here
    may_ship    boolean NOT NULL DEFAULT false,   -- material is shipped from here
    version     integer NOT NULL DEFAULT 1
);
INSERT INTO workcell.zone_type (name, description, may_consume, may_ship) VALUES
    ('receiving',      'Dock: material as it arrives, in quarantine',            false, false),
    ('quarantine',     'Awaiting QA release (received or produced)',               false, false),
    ('qc_hold',        'QC hold cage: held material, leaves only by QA decision', false, false),
    ('production',     'Production line: released material being used',          true,  false),
    ('released_stock', 'Released stock',                                          true,  true),
    ('shipping',       'Shipping dock: released goods being shipped',             false, true),
    ('reject',         'Rejected material awaiting scrap or return',              false, false);

-- Which lot statuses may sit in which zone type (a move or receipt into a zone whose type
-- does not accept the lot's status is refused by the ledger). A lot with an open hold may
-- only go to the zone types marked for_held.
CREATE TABLE workcell.zone_rule (
    zone_type  text NOT NULL CONSTRAINT fk_zone_rule_zone_type REFERENCES workcell.zone_type (name),
    lot_status text NOT NULL,
    for_held   boolean NOT NULL DEFAULT false,
    version    integer NOT NULL DEFAULT 1,
    CONSTRAINT pk_zone_rule PRIMARY KEY (zone_type, lot_status)
);
INSERT INTO workcell.zone_rule (zone_type, lot_status, for_held) VALUES
    ('receiving', 'quarantine', false),
    ('quarantine', 'quarantine', true),
    ('qc_hold', 'quarantine', true),
    ('qc_hold', 'released', true),
    ('qc_hold', 'rejected', true),
    ('production', 'released', false),
    ('released_stock', 'released', false),
    ('shipping', 'released', false),
    ('reject', 'rejected', true);

CREATE TABLE workcell.site (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_site PRIMARY KEY,
    code       text NOT NULL CONSTRAINT ck_site_code CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,15}$'),
    name       text NOT NULL CONSTRAINT ck_site_name CHECK (btrim(name) <> '' AND length(name) <= 120),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_site_created_by REFERENCES workcell.users (id),
    version    integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_site_code UNIQUE (code)
);

CREATE TABLE workcell.zone (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_zone PRIMARY KEY,
    site_id    bigint NOT NULL CONSTRAINT fk_zone_site_id REFERENCES workcell.site (id),
    code       text NOT NULL CONSTRAINT ck_zone_code CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,15}$'),
    name       text NOT NULL CONSTRAINT ck_zone_name CHECK (btrim(name) <> '' AND length(name) <= 120),
    zone_type  text NOT NULL CONSTRAINT fk_zone_zone_type REFERENCES workcell.zone_type (name),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_zone_created_by REFERENCES workcell.users (id),
    version    integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_zone_site_id_code UNIQUE (site_id, code)
);

CREATE TABLE workcell.bin (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_bin PRIMARY KEY,
    zone_id    bigint NOT NULL CONSTRAINT fk_bin_zone_id REFERENCES workcell.zone (id),
    code       text NOT NULL CONSTRAINT ck_bin_code CHECK (code ~ '^[A-Z0-9][A-Z0-9_.-]{0,23}$'),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_bin_created_by REFERENCES workcell.users (id),
    version    integer NOT NULL DEFAULT 1,
    -- a bin code is what is printed on the shelf: unique in the plant
    CONSTRAINT uq_bin_code UNIQUE (code)
);

-- Suppliers and the approved-supplier list --------------------------------------------------

CREATE TABLE workcell.supplier (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_supplier PRIMARY KEY,
    code       text NOT NULL CONSTRAINT ck_supplier_code CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,23}$'),
    name       text NOT NULL CONSTRAINT ck_supplier_name CHECK (btrim(name) <> '' AND length(name) <= 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_supplier_created_by REFERENCES workcell.users (id),
    version    integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_supplier_code UNIQUE (code)
);

CREATE TABLE workcell.approved_supplier (
    id          bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_approved_supplier PRIMARY KEY,
    item_id     bigint NOT NULL CONSTRAINT fk_approved_supplier_item_id REFERENCES workcell.item (id),
    supplier_id bigint NOT NULL CONSTRAINT fk_approved_supplier_supplier_id REFERENCES workcell.supplier (id),
    status      text NOT NULL DEFAULT 'approved'
                CONSTRAINT ck_approved_supplier_status CHECK (status IN ('approved', 'disqualified')),
    note        text NOT NULL DEFAULT '' CONSTRAINT ck_approved_supplier_note CHECK (length(note) <= 500),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_approved_supplier_created_by REFERENCES workcell.users (id),
    version     integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_approved_supplier_item_id_supplier_id UNIQUE (item_id, supplier_id)
);

-- Lots and serials --------------------------------------------------------------------------

CREATE TABLE workcell.lot (
    id                bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_lot PRIMARY KEY,
    lot_number        text NOT NULL CONSTRAINT ck_lot_number CHECK (length(lot_number) BETWEEN 1 AND 40),
    item_id           bigint NOT NULL CONSTRAINT fk_lot_item_id REFERENCES workcell.item (id),
    origin            text NOT NULL CONSTRAINT ck_lot_origin CHECK (origin IN ('received', 'produced')),
    supplier_id       bigint CONSTRAINT fk_lot_supplier_id REFERENCES workcell.supplier (id),
    supplier_lot      text CONSTRAINT ck_lot_supplier_lot CHECK (length(supplier_lot) BETWEEN 1 AND 40),
    po_reference      text CONSTRAINT ck_lot_po_reference CHECK (length(po_reference) <= 40),
    coa_reference     text CONSTRAINT ck_lot_coa_reference CHECK (length(coa_reference) <= 80),
    quantity          numeric(18, 6) NOT NULL CONSTRAINT ck_lot_quantity CHECK (quantity > 0),
    unit              text NOT NULL CONSTRAINT ck_lot_unit CHECK (length(unit) <= 8),
    expiry_date       date,
    retest_date       date,
    manufactured_date date,
    status            text NOT NULL DEFAULT 'quarantine'
                      CONSTRAINT ck_lot_status CHECK (status IN ('quarantine', 'released', 'rejected', 'consumed', 'shipped')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by        bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_lot_created_by REFERENCES workcell.users (id),
    version           integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_lot_lot_number UNIQUE (lot_number),
    CONSTRAINT ck_lot_received_from CHECK (origin <> 'received' OR (supplier_id IS NOT NULL AND supplier_lot IS NOT NULL))
);
CREATE INDEX ix_lot_item_id ON workcell.lot (item_id);
CREATE INDEX ix_lot_supplier_lot ON workcell.lot (supplier_id, supplier_lot);

CREATE TABLE workcell.serial (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_serial PRIMARY KEY,
    item_id       bigint NOT NULL CONSTRAINT fk_serial_item_id REFERENCES workcell.item (id),
    lot_id        bigint NOT NULL CONSTRAINT fk_serial_lot_id REFERENCES workcell.lot (id),
    serial_number text NOT NULL CONSTRAINT ck_serial_number CHECK (serial_number ~ '^[!-~]{1,20}$'),
    -- where it is now (NULL once consumed, shipped or scrapped); kept by the ledger
    bin_id        bigint CONSTRAINT fk_serial_bin_id REFERENCES workcell.bin (id),
    status        text NOT NULL DEFAULT 'in_stock'
                  CONSTRAINT ck_serial_status CHECK (status IN ('in_stock', 'consumed', 'shipped', 'scrapped')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_serial_created_by REFERENCES workcell.users (id),
    version       integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_serial_item_id_serial_number UNIQUE (item_id, serial_number)
);
CREATE INDEX ix_serial_lot_id ON workcell.serial (lot_id);

-- Holds: records, not a status. A lot is held while any of its holds is open.
CREATE TABLE workcell.hold (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_hold PRIMARY KEY,
    lot_id        bigint NOT NULL CONSTRAINT fk_hold_lot_id REFERENCES workcell.lot (id),
    source        text NOT NULL CONSTRAINT ck_hold_source CHECK (source IN ('qa', 'inspection', 'ncr', 'recall')),
    source_ref    text NOT NULL DEFAULT '' CONSTRAINT ck_hold_source_ref CHECK (length(source_ref) <= 40),
    reason        text NOT NULL CONSTRAINT ck_hold_reason CHECK (btrim(reason) <> '' AND length(reason) <= 500),
    status        text NOT NULL DEFAULT 'open' CONSTRAINT ck_hold_status CHECK (status IN ('open', 'closed')),
    close_comment text NOT NULL DEFAULT '' CONSTRAINT ck_hold_close_comment CHECK (length(close_comment) <= 500),
    closed_at     timestamptz,
    closed_by     bigint CONSTRAINT fk_hold_closed_by REFERENCES workcell.users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_hold_created_by REFERENCES workcell.users (id),
    version       integer NOT NULL DEFAULT 1
);
CREATE INDEX ix_hold_open_lot ON workcell.hold (lot_id) WHERE status = 'open';
CREATE INDEX ix_hold_lot_id ON workcell.hold (lot_id);

-- Customers and shipments -------------------------------------------------------------------

CREATE TABLE workcell.customer (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_customer PRIMARY KEY,
    code       text NOT NULL CONSTRAINT ck_customer_code CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,23}$'),
    name       text NOT NULL CONSTRAINT ck_customer_name CHECK (btrim(name) <> '' AND length(name) <= 200),
    address    text NOT NULL DEFAULT '' CONSTRAINT ck_customer_address CHECK (length(address) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_customer_created_by REFERENCES workcell.users (id),
    version    integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_customer_code UNIQUE (code)
);

CREATE TABLE workcell.shipment (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_shipment PRIMARY KEY,
    shipment_number text NOT NULL DEFAULT 'SH-' || lpad(nextval('workcell.shipment_number_seq')::text, 6, '0')
                    CONSTRAINT ck_shipment_number CHECK (length(shipment_number) <= 20),
    customer_id     bigint NOT NULL CONSTRAINT fk_shipment_customer_id REFERENCES workcell.customer (id),
    reference       text NOT NULL DEFAULT '' CONSTRAINT ck_shipment_reference CHECK (length(reference) <= 60),
    status          text NOT NULL DEFAULT 'open' CONSTRAINT ck_shipment_status CHECK (status IN ('open', 'confirmed', 'cancelled')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_shipment_created_by REFERENCES workcell.users (id),
    version         integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_shipment_shipment_number UNIQUE (shipment_number)
);

CREATE TABLE workcell.shipment_line (
    id          bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_shipment_line PRIMARY KEY,
    shipment_id bigint NOT NULL CONSTRAINT fk_shipment_line_shipment_id REFERENCES workcell.shipment (id),
    lot_id      bigint NOT NULL CONSTRAINT fk_shipment_line_lot_id REFERENCES workcell.lot (id),
    serial_id   bigint CONSTRAINT fk_shipment_line_serial_id REFERENCES workcell.serial (id),
    bin_id      bigint NOT NULL CONSTRAINT fk_shipment_line_bin_id REFERENCES workcell.bin (id),
    quantity    numeric(18, 6) NOT NULL CONSTRAINT ck_shipment_line_quantity CHECK (quantity > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_shipment_line_created_by REFERENCES workcell.users (id),
    version     integer NOT NULL DEFAULT 1
);
CREATE INDEX ix_shipment_line_shipment_id ON workcell.shipment_line (shipment_id);
CREATE INDEX ix_shipment_line_lot_id ON workcell.shipment_line (lot_id);
CREATE UNIQUE INDEX uq_shipment_line_serial ON workcell.shipment_line (shipment_id, serial_id) WHERE serial_id IS NOT NULL;

-- Production records (until work orders exist): what was made from what.
CREATE TABLE workcell.production_record (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_production_record PRIMARY KEY,
    number     text NOT NULL DEFAULT 'PR-' || lpad(nextval('workcell.production_number_seq')::text, 6, '0')
               CONSTRAINT ck_production_record_number CHECK (length(number) <= 20),
    lot_id     bigint NOT NULL CONSTRAINT fk_production_record_lot_id REFERENCES workcell.lot (id),
    note       text NOT NULL DEFAULT '' CONSTRAINT ck_production_record_note CHECK (length(note) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_production_record_created_by REFERENCES workcell.users (id),
    version    integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_production_record_number UNIQUE (number)
);

-- The inventory ledger: every quantity change, append-only. Written only by the database's
-- functions (stations hold no grant); its insert trigger checks the rules and keeps on_hand.
CREATE TABLE workcell.inventory_txn (
    id                   bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_inventory_txn PRIMARY KEY,
    kind                 text NOT NULL CONSTRAINT ck_inventory_txn_kind CHECK (kind IN
                         ('receipt', 'move', 'consume', 'produce', 'adjust', 'scrap', 'ship')),
    lot_id               bigint NOT NULL CONSTRAINT fk_inventory_txn_lot_id REFERENCES workcell.lot (id),
    serial_id            bigint CONSTRAINT fk_inventory_txn_serial_id REFERENCES workcell.serial (id),
    from_bin_id          bigint CONSTRAINT fk_inventory_txn_from_bin_id REFERENCES workcell.bin (id),
    to_bin_id            bigint CONSTRAINT fk_inventory_txn_to_bin_id REFERENCES workcell.bin (id),
    quantity             numeric(18, 6) NOT NULL CONSTRAINT ck_inventory_txn_quantity CHECK (quantity > 0),
    unit                 text NOT NULL CONSTRAINT ck_inventory_txn_unit CHECK (length(unit) <= 8),
    reason               text NOT NULL DEFAULT '' CONSTRAINT ck_inventory_txn_reason CHECK (length(reason) <= 500),
    signature_id         bigint CONSTRAINT fk_inventory_txn_signature_id REFERENCES workcell.signature (id),
    shipment_line_id     bigint CONSTRAINT fk_inventory_txn_shipment_line_id REFERENCES workcell.shipment_line (id),
    production_record_id bigint CONSTRAINT fk_inventory_txn_production_record_id REFERENCES workcell.production_record (id),
    at                   timestamptz NOT NULL DEFAULT now(),
    actor_id             bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_inventory_txn_actor_id REFERENCES workcell.users (id),
    station              text NOT NULL DEFAULT session_user,
    tx_id                xid8 NOT NULL DEFAULT pg_current_xact_id(),
    version              integer NOT NULL DEFAULT 1,
    CONSTRAINT ck_inventory_txn_bins CHECK (CASE kind
        WHEN 'receipt' THEN from_bin_id IS NULL AND to_bin_id IS NOT NULL
        WHEN 'produce' THEN from_bin_id IS NULL AND to_bin_id IS NOT NULL
        WHEN 'move' THEN from_bin_id IS NOT NULL AND to_bin_id IS NOT NULL AND from_bin_id <> to_bin_id
        WHEN 'adjust' THEN (from_bin_id IS NULL) <> (to_bin_id IS NULL)
        ELSE from_bin_id IS NOT NULL AND to_bin_id IS NULL END)
);
CREATE INDEX ix_inventory_txn_lot_id ON workcell.inventory_txn (lot_id, id);
CREATE INDEX ix_inventory_txn_tx_id ON workcell.inventory_txn (tx_id);

-- On hand per lot and bin: derived from the ledger in the same transaction, never written
-- directly (its guard accepts rows only from inside the ledger's trigger).
CREATE TABLE workcell.on_hand (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_on_hand PRIMARY KEY,
    lot_id     bigint NOT NULL CONSTRAINT fk_on_hand_lot_id REFERENCES workcell.lot (id),
    bin_id     bigint NOT NULL CONSTRAINT fk_on_hand_bin_id REFERENCES workcell.bin (id),
    quantity   numeric(18, 6) NOT NULL CONSTRAINT ck_on_hand_quantity CHECK (quantity >= 0),
    last_txn_id bigint NOT NULL CONSTRAINT fk_on_hand_last_txn_id REFERENCES workcell.inventory_txn (id),
    version    integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_on_hand_lot_id_bin_id UNIQUE (lot_id, bin_id)
);
CREATE INDEX ix_on_hand_bin_id ON workcell.on_hand (bin_id);

-- Genealogy: a consumed lot (or serial) went into a produced lot (or serial), with the
-- quantity; written with the consumption, in the same transaction.
CREATE TABLE workcell.genealogy_edge (
    id                   bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_genealogy_edge PRIMARY KEY,
    parent_lot_id        bigint NOT NULL CONSTRAINT fk_genealogy_edge_parent_lot_id REFERENCES workcell.lot (id),
    parent_serial_id     bigint CONSTRAINT fk_genealogy_edge_parent_serial_id REFERENCES workcell.serial (id),
    child_lot_id         bigint NOT NULL CONSTRAINT fk_genealogy_edge_child_lot_id REFERENCES workcell.lot (id),
    child_serial_id      bigint CONSTRAINT fk_genealogy_edge_child_serial_id REFERENCES workcell.serial (id),
    quantity             numeric(18, 6) NOT NULL CONSTRAINT ck_genealogy_edge_quantity CHECK (quantity > 0),
    unit                 text NOT NULL CONSTRAINT ck_genealogy_edge_unit CHECK (length(unit) <= 8),
    consume_txn_id       bigint NOT NULL CONSTRAINT fk_genealogy_edge_consume_txn_id REFERENCES workcell.inventory_txn (id),
    production_record_id bigint CONSTRAINT fk_genealogy_edge_production_record_id REFERENCES workcell.production_record (id),
    at                   timestamptz NOT NULL DEFAULT now(),
    version              integer NOT NULL DEFAULT 1,
    CONSTRAINT ck_genealogy_edge_not_self CHECK (parent_lot_id <> child_lot_id)
);
CREATE INDEX ix_genealogy_edge_child ON workcell.genealogy_edge (child_lot_id, parent_lot_id);
CREATE INDEX ix_genealogy_edge_parent ON workcell.genealogy_edge (parent_lot_id, child_lot_id);
CREATE INDEX ix_genealogy_edge_child_serial ON workcell.genealogy_edge (child_serial_id) WHERE child_serial_id IS NOT NULL;
