-- The inventory ledger. One AFTER INSERT trigger on workcell.inventory_txn checks every rule
-- of a quantity change and keeps workcell.on_hand (and the serial's place) in the same
-- transaction; it runs for any writer, the owner included. The lot row is locked first
-- (FOR NO KEY UPDATE), so two stations taking the last units of a lot, a hold placed while
-- a lot is consumed, or a release racing a move are serialised: the second sees the first's
-- result and gets a clear refusal.

-- Stock out of a bin: refuses what is not there (never negative).
CREATE FUNCTION workcell.ledger_take(l workcell.lot, p_bin_id bigint, p_quantity numeric, p_txn bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_have numeric;
BEGIN
    SELECT quantity INTO v_have FROM workcell.on_hand WHERE lot_id = l.id AND bin_id = p_bin_id FOR UPDATE;
    IF coalesce(v_have, 0) < p_quantity THEN
        RAISE EXCEPTION 'Lot % has % % in bin %: % % cannot be taken', l.lot_number,
            trim_scale(coalesce(v_have, 0)), l.unit, (SELECT code FROM workcell.bin WHERE id = p_bin_id),
            trim_scale(p_quantity), l.unit
            USING ERRCODE = 'WC061', HINT = 'Someone may have used it meanwhile: check the bin and scan again.';
    END IF;
    UPDATE workcell.on_hand SET quantity = quantity - p_quantity, last_txn_id = p_txn, version = version + 1
     WHERE lot_id = l.id AND bin_id = p_bin_id;
END $$;

CREATE FUNCTION workcell.ledger_put(l workcell.lot, p_bin_id bigint, p_quantity numeric, p_txn bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO workcell.on_hand AS o (lot_id, bin_id, quantity, last_txn_id)
    VALUES (l.id, p_bin_id, p_quantity, p_txn)
    ON CONFLICT (lot_id, bin_id) DO UPDATE
       SET quantity = o.quantity + EXCLUDED.quantity, last_txn_id = EXCLUDED.last_txn_id,
           version = o.version + 1;
END $$;

CREATE FUNCTION workcell.inventory_txn_apply() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l workcell.lot;
    i workcell.item;
    s workcell.serial;
    g workcell.signature;
    z workcell.zone;
    v_verb text;
BEGIN
    SELECT * INTO l FROM workcell.lot WHERE id = NEW.lot_id FOR NO KEY UPDATE;
    SELECT * INTO i FROM workcell.item WHERE id = l.item_id;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', left(format('%s of lot %s', NEW.kind, l.lot_number), 200), true);
    END IF;
    IF NEW.unit <> l.unit THEN
        RAISE EXCEPTION 'Lot % is counted in %, not %', l.lot_number, l.unit, NEW.unit USING ERRCODE = 'WC068';
    END IF;
    IF scale(NEW.quantity) > 6 OR NEW.quantity <> round(NEW.quantity, 6) THEN
        RAISE EXCEPTION 'Quantities have at most 6 decimals' USING ERRCODE = 'WC068';
    END IF;
    -- serialised items move one serial at a time, and the serial must be where it is said to be
    IF i.tracking = 'serial' THEN
        IF NEW.serial_id IS NULL OR NEW.quantity <> 1 THEN
            RAISE EXCEPTION '% is serialised: scan each serial (quantity 1)', i.item_number USING ERRCODE = 'WC067';
        END IF;
        SELECT * INTO s FROM workcell.serial WHERE id = NEW.serial_id FOR UPDATE;
        IF s.lot_id IS DISTINCT FROM l.id THEN
            RAISE EXCEPTION 'Serial % is not in lot %', coalesce(s.serial_number, NEW.serial_id::text), l.lot_number
                USING ERRCODE = 'WC067';
        END IF;
        IF NEW.from_bin_id IS NOT NULL AND (s.status <> 'in_stock' OR s.bin_id IS DISTINCT FROM NEW.from_bin_id) THEN
            RAISE EXCEPTION 'Serial % is not in bin % (it is %)', s.serial_number,
                (SELECT code FROM workcell.bin WHERE id = NEW.from_bin_id),
                coalesce((SELECT 'in bin ' || code FROM workcell.bin WHERE id = s.bin_id), s.status)
                USING ERRCODE = 'WC067';
        END IF;
        IF NEW.from_bin_id IS NULL AND (s.bin_id IS NOT NULL OR s.status <> 'in_stock') THEN
            RAISE EXCEPTION 'Serial % is already %', s.serial_number,
                coalesce((SELECT 'in bin ' || code FROM workcell.bin WHERE id = s.bin_id), s.status)
                USING ERRCODE = 'WC067';
        END IF;
    ELSIF NEW.serial_id IS NOT NULL THEN
        RAISE EXCEPTION '% is not serialised' , i.item_number USING ERRCODE = 'WC067';
    END IF;

    IF NEW.kind = 'receipt' THEN
        IF l.origin <> 'received' OR EXISTS (SELECT 1 FROM workcell.inventory_txn t WHERE t.lot_id = l.id
               AND t.kind = 'receipt' AND t.tx_id <> pg_current_xact_id()) THEN
            RAISE EXCEPTION 'Lot % was received already: a later quantity is a new lot', l.lot_number
                USING ERRCODE = 'WC068';
        END IF;
    ELSIF NEW.kind = 'produce' THEN
        IF l.origin <> 'produced' OR NEW.production_record_id IS NULL THEN
            RAISE EXCEPTION 'Lot % is produced only by its production record', l.lot_number USING ERRCODE = 'WC068';
        END IF;
    ELSIF NEW.kind = 'consume' THEN
        IF NEW.production_record_id IS NULL THEN
            RAISE EXCEPTION 'Material is consumed only into a production record (genealogy)' USING ERRCODE = 'WC068';
        END IF;
        PERFORM workcell.assert_lot_usable(l, 'consumed');
    ELSIF NEW.kind = 'ship' THEN
        IF NEW.shipment_line_id IS NULL THEN
            RAISE EXCEPTION 'Material is shipped only on a confirmed shipment' USING ERRCODE = 'WC068';
        END IF;
        PERFORM workcell.assert_lot_usable(l, 'shipped');
    ELSIF NEW.kind IN ('scrap', 'adjust') AND btrim(NEW.reason) = '' THEN
        RAISE EXCEPTION 'A % needs a reason', NEW.kind USING ERRCODE = 'WC068';
    END IF;
    IF NEW.kind = 'adjust' THEN
        SELECT * INTO g FROM workcell.signature WHERE id = NEW.signature_id;
        IF g.id IS NULL OR g.record_type <> 'lot' OR g.record_id <> l.id OR g.meaning <> 'adjusted'
           OR g.signer_id <> NEW.actor_id OR g.signed_at < now() THEN
            RAISE EXCEPTION 'An adjustment of lot % needs the adjuster''s "adjusted" signature on it, made now',
                l.lot_number USING ERRCODE = 'WC068';
        END IF;
    END IF;

    IF NEW.from_bin_id IS NOT NULL THEN
        SELECT z2.* INTO z FROM workcell.bin b JOIN workcell.zone z2 ON z2.id = b.zone_id WHERE b.id = NEW.from_bin_id;
        IF NEW.kind = 'consume' AND NOT (SELECT may_consume FROM workcell.zone_type WHERE name = z.zone_type) THEN
            RAISE EXCEPTION 'Nothing is consumed from a % zone (%): move lot % to the line first',
                replace(z.zone_type, '_', ' '), z.code, l.lot_number USING ERRCODE = 'WC060';
        END IF;
        IF NEW.kind = 'ship' AND NOT (SELECT may_ship FROM workcell.zone_type WHERE name = z.zone_type) THEN
            RAISE EXCEPTION 'Nothing is shipped from a % zone (%)', replace(z.zone_type, '_', ' '), z.code
                USING ERRCODE = 'WC060';
        END IF;
        PERFORM workcell.ledger_take(l, NEW.from_bin_id, NEW.quantity, NEW.id);
    END IF;
    IF NEW.to_bin_id IS NOT NULL THEN
        z := workcell.assert_bin_accepts(l, NEW.to_bin_id);
        IF z.zone_type IN ('production', 'shipping') THEN
            PERFORM workcell.assert_lot_usable(l, 'moved to ' || replace(z.zone_type, '_', ' '));
        END IF;
        PERFORM workcell.ledger_put(l, NEW.to_bin_id, NEW.quantity, NEW.id);
    END IF;

    IF s.id IS NOT NULL THEN
        UPDATE workcell.serial SET bin_id = NEW.to_bin_id,
               status = CASE WHEN NEW.to_bin_id IS NOT NULL THEN 'in_stock'
                             WHEN NEW.kind = 'consume' THEN 'consumed'
                             WHEN NEW.kind = 'ship' THEN 'shipped' ELSE 'scrapped' END,
               version = version + 1
         WHERE id = s.id;
    END IF;
    -- a released lot whose last units were consumed or shipped is used up
    IF NEW.kind IN ('consume', 'ship') AND l.status = 'released'
       AND NOT EXISTS (SELECT 1 FROM workcell.on_hand o WHERE o.lot_id = l.id AND o.quantity > 0) THEN
        UPDATE workcell.lot SET status = CASE NEW.kind WHEN 'consume' THEN 'consumed' ELSE 'shipped' END,
               version = version + 1
         WHERE id = l.id;
    END IF;
    RETURN NULL;
END $$;

-- on_hand is written only from inside the ledger trigger (depth 2 and more).
CREATE FUNCTION workcell.on_hand_written_by_ledger() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'On-hand quantities are derived from the inventory ledger and never written directly'
            USING ERRCODE = 'WC072', HINT = 'Post a move, adjustment or scrap; the on-hand follows.';
    END IF;
    RETURN NEW;
END $$;

-- A serial's place and state change only with a ledger transaction; its identity never.
CREATE FUNCTION workcell.serial_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_trigger_depth() < 2 OR (NEW.item_id, NEW.lot_id, NEW.serial_number, NEW.created_at, NEW.created_by)
           IS DISTINCT FROM (OLD.item_id, OLD.lot_id, OLD.serial_number, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION 'Serial % changes only through the inventory ledger', OLD.serial_number
            USING ERRCODE = 'WC072';
    END IF;
    RETURN NEW;
END $$;

-- The next lot number from the configured pattern: {YYYY} {YY} {MM} {DD} (plant date),
-- {ITEM} (item number), {SEQ:n} (the lot sequence, n digits).
CREATE FUNCTION workcell.next_lot_number(p_item_number text) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_pattern text := (SELECT lot_number_pattern FROM workcell.materials_policy WHERE id = 1);
    v_today date := workcell.plant_today();
    v_seq bigint := nextval('workcell.lot_number_seq');
    v_digits int := coalesce((regexp_match(v_pattern, '\{SEQ:(\d)\}'))[1]::int, 6);
BEGIN
    v_pattern := replace(v_pattern, '{YYYY}', to_char(v_today, 'YYYY'));
    v_pattern := replace(v_pattern, '{YY}', to_char(v_today, 'YY'));
    v_pattern := replace(v_pattern, '{MM}', to_char(v_today, 'MM'));
    v_pattern := replace(v_pattern, '{DD}', to_char(v_today, 'DD'));
    v_pattern := replace(v_pattern, '{ITEM}', p_item_number);
    v_pattern := regexp_replace(v_pattern, '\{SEQ(:\d)?\}', lpad(v_seq::text, greatest(v_digits, length(v_seq::text)), '0'));
    RETURN v_pattern;
END $$;

-- Receiving: the lot (number from the pattern, in quarantine) and its receipt into a bin,
-- one transaction. The lot's creation guard checks the permission, the approved-supplier
-- list and the dates; the ledger checks the bin.
CREATE FUNCTION workcell.receive_lot(
    p_item_id bigint, p_supplier_id bigint, p_supplier_lot text, p_quantity numeric,
    p_bin_id bigint, p_expiry date, p_retest date, p_manufactured date,
    p_po text, p_coa text, p_serials text[]
) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    i workcell.item;
    v_lot bigint;
    v_serial bigint;
    v_number text;
BEGIN
    PERFORM workcell.require_permission('lot.receive');
    SELECT * INTO i FROM workcell.item WHERE id = p_item_id;
    IF i.id IS NULL THEN
        RAISE EXCEPTION 'There is no item %', p_item_id USING ERRCODE = 'WC066';
    END IF;
    IF i.tracking = 'serial' AND (p_serials IS NULL OR cardinality(p_serials) <> p_quantity) THEN
        RAISE EXCEPTION '% is serialised: % serial numbers are needed, % given', i.item_number,
            trim_scale(p_quantity), coalesce(cardinality(p_serials), 0) USING ERRCODE = 'WC067';
    END IF;
    IF i.tracking <> 'serial' AND cardinality(p_serials) > 0 THEN
        RAISE EXCEPTION '% is not serialised', i.item_number USING ERRCODE = 'WC067';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', 'receipt', true);
    END IF;
    INSERT INTO workcell.lot (lot_number, item_id, origin, supplier_id, supplier_lot, po_reference,
                              coa_reference, quantity, unit, expiry_date, retest_date, manufactured_date)
    VALUES (workcell.next_lot_number(i.item_number), i.id, 'received', p_supplier_id,
            nullif(btrim(p_supplier_lot), ''), nullif(btrim(p_po), ''), nullif(btrim(p_coa), ''),
            p_quantity, i.unit, p_expiry, p_retest, p_manufactured)
    RETURNING id, lot_number INTO v_lot, v_number;
    IF i.tracking = 'serial' THEN
        FOR v_number IN SELECT unnest(p_serials) LOOP
            INSERT INTO workcell.serial (item_id, lot_id, serial_number) VALUES (i.id, v_lot, btrim(v_number))
            RETURNING id INTO v_serial;
            INSERT INTO workcell.inventory_txn (kind, lot_id, serial_id, to_bin_id, quantity, unit)
            VALUES ('receipt', v_lot, v_serial, p_bin_id, 1, i.unit);
        END LOOP;
    ELSE
        INSERT INTO workcell.inventory_txn (kind, lot_id, to_bin_id, quantity, unit)
        VALUES ('receipt', v_lot, p_bin_id, p_quantity, i.unit);
    END IF;
    RETURN v_lot;
END $$;

-- Move all or part of a lot (or one serial) between bins, under the zone rules.
CREATE FUNCTION workcell.move_stock(p_lot_id bigint, p_from_bin bigint, p_to_bin bigint,
                                    p_quantity numeric, p_serial_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM workcell.require_permission('inventory.move');
    INSERT INTO workcell.inventory_txn (kind, lot_id, serial_id, from_bin_id, to_bin_id, quantity, unit)
    SELECT 'move', l.id, p_serial_id, p_from_bin, p_to_bin, p_quantity, l.unit FROM workcell.lot l WHERE l.id = p_lot_id
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'There is no lot %', p_lot_id USING ERRCODE = 'WC068';
    END IF;
    RETURN v_id;
END $$;

-- Scrap from a bin, with a reason.
CREATE FUNCTION workcell.scrap_stock(p_lot_id bigint, p_bin bigint, p_quantity numeric,
                                     p_reason text, p_serial_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM workcell.require_permission('inventory.scrap');
    INSERT INTO workcell.inventory_txn (kind, lot_id, serial_id, from_bin_id, quantity, unit, reason)
    SELECT 'scrap', l.id, p_serial_id, p_bin, p_quantity, l.unit, left(coalesce(p_reason, ''), 500)
      FROM workcell.lot l WHERE l.id = p_lot_id
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'There is no lot %', p_lot_id USING ERRCODE = 'WC068';
    END IF;
    RETURN v_id;
END $$;

-- A count correction (+ into a bin, - out of it), with a reason and the adjuster's
-- "adjusted" signature on the lot made in this transaction.
CREATE FUNCTION workcell.adjust_stock(p_lot_id bigint, p_bin bigint, p_delta numeric,
                                      p_reason text, p_signature_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM workcell.require_permission('inventory.adjust');
    IF p_delta IS NULL OR p_delta = 0 THEN
        RAISE EXCEPTION 'An adjustment changes the quantity' USING ERRCODE = 'WC068';
    END IF;
    INSERT INTO workcell.inventory_txn (kind, lot_id, from_bin_id, to_bin_id, quantity, unit, reason, signature_id)
    SELECT 'adjust', l.id, CASE WHEN p_delta < 0 THEN p_bin END, CASE WHEN p_delta > 0 THEN p_bin END,
           abs(p_delta), l.unit, left(coalesce(p_reason, ''), 500), p_signature_id
      FROM workcell.lot l WHERE l.id = p_lot_id
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'There is no lot %', p_lot_id USING ERRCODE = 'WC068';
    END IF;
    RETURN v_id;
END $$;

-- A production record (until work orders exist): the produced lot (in quarantine, with its
-- serials), the consumption of every input and the genealogy edges, in one transaction.
-- p_inputs: [{"lot": id, "bin": id, "quantity": "1.5", "serial": id|null}, ...]
CREATE FUNCTION workcell.record_production(
    p_item_id bigint, p_quantity numeric, p_bin_id bigint, p_expiry date,
    p_serials text[], p_inputs jsonb, p_note text DEFAULT ''
) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    i workcell.item;
    v_lot bigint;
    v_record bigint;
    v_serial bigint;
    v_only_serial bigint;
    v_number text;
    v_txn bigint;
    x record;
BEGIN
    PERFORM workcell.require_permission('inventory.produce');
    SELECT * INTO i FROM workcell.item WHERE id = p_item_id;
    IF i.id IS NULL THEN
        RAISE EXCEPTION 'There is no item %', p_item_id USING ERRCODE = 'WC068';
    END IF;
    IF p_inputs IS NULL OR jsonb_typeof(p_inputs) <> 'array' OR jsonb_array_length(p_inputs) = 0 THEN
        RAISE EXCEPTION 'A production record names what was consumed' USING ERRCODE = 'WC068';
    END IF;
    IF jsonb_array_length(p_inputs) > 500 OR octet_length(p_inputs::text) > 100000 THEN
        RAISE EXCEPTION 'At most 500 inputs per production record' USING ERRCODE = '22001';
    END IF;
    IF i.tracking = 'serial' AND (p_serials IS NULL OR cardinality(p_serials) <> p_quantity) THEN
        RAISE EXCEPTION '% is serialised: % serial numbers are needed, % given', i.item_number,
            trim_scale(p_quantity), coalesce(cardinality(p_serials), 0) USING ERRCODE = 'WC067';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', 'production record', true);
    END IF;
    INSERT INTO workcell.lot (lot_number, item_id, origin, quantity, unit, expiry_date, manufactured_date)
    VALUES (workcell.next_lot_number(i.item_number), i.id, 'produced', p_quantity, i.unit, p_expiry,
            workcell.plant_today())
    RETURNING id INTO v_lot;
    INSERT INTO workcell.production_record (lot_id, note) VALUES (v_lot, left(coalesce(p_note, ''), 500))
    RETURNING id INTO v_record;
    IF i.tracking = 'serial' THEN
        FOR v_number IN SELECT unnest(p_serials) LOOP
            INSERT INTO workcell.serial (item_id, lot_id, serial_number) VALUES (i.id, v_lot, btrim(v_number))
            RETURNING id INTO v_serial;
            INSERT INTO workcell.inventory_txn (kind, lot_id, serial_id, to_bin_id, quantity, unit, production_record_id)
            VALUES ('produce', v_lot, v_serial, p_bin_id, 1, i.unit, v_record);
        END LOOP;
        IF cardinality(p_serials) = 1 THEN v_only_serial := v_serial; END IF;
    ELSE
        INSERT INTO workcell.inventory_txn (kind, lot_id, to_bin_id, quantity, unit, production_record_id)
        VALUES ('produce', v_lot, p_bin_id, p_quantity, i.unit, v_record);
    END IF;
    -- inputs in lot order, so two records consuming the same lots lock them in one order
    FOR x IN SELECT r.lot, r.bin, r.quantity, r.serial, l.unit
               FROM jsonb_to_recordset(p_inputs) AS r(lot bigint, bin bigint, quantity numeric, serial bigint)
               LEFT JOIN workcell.lot l ON l.id = r.lot
              ORDER BY r.lot, r.serial NULLS FIRST LOOP
        IF x.unit IS NULL THEN
            RAISE EXCEPTION 'There is no lot %', x.lot USING ERRCODE = 'WC068';
        END IF;
        INSERT INTO workcell.inventory_txn (kind, lot_id, serial_id, from_bin_id, quantity, unit, production_record_id)
        VALUES ('consume', x.lot, x.serial, x.bin, x.quantity, x.unit, v_record)
        RETURNING id INTO v_txn;
        INSERT INTO workcell.genealogy_edge (parent_lot_id, parent_serial_id, child_lot_id, child_serial_id,
                                             quantity, unit, consume_txn_id, production_record_id)
        VALUES (x.lot, x.serial, v_lot, v_only_serial, x.quantity, x.unit, v_txn, v_record);
    END LOOP;
    RETURN v_record;
END $$;

-- A confirmed shipment posts its lines to the ledger (each checked there: released, not
-- held, not expired, in a shipping zone, enough on hand). AFTER UPDATE trigger.
CREATE FUNCTION workcell.shipment_post() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
BEGIN
    INSERT INTO workcell.inventory_txn (kind, lot_id, serial_id, from_bin_id, quantity, unit, shipment_line_id)
    SELECT 'ship', x.lot_id, x.serial_id, x.bin_id, x.quantity, l.unit, x.id
      FROM workcell.shipment_line x JOIN workcell.lot l ON l.id = x.lot_id
     WHERE x.shipment_id = NEW.id
     ORDER BY x.lot_id, x.serial_id NULLS FIRST, x.id;
    RETURN NULL;
END $$;

-- The lot number pattern, changed by QA with a reason (audited).
CREATE FUNCTION workcell.set_lot_number_pattern(p_pattern text, p_reason text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
BEGIN
    PERFORM workcell.require_permission('materials.configure');
    IF p_pattern IS NULL OR p_pattern !~ '\{SEQ(:\d)?\}' OR length(p_pattern) > 40
       OR p_pattern !~ '^([A-Z0-9_./-]|\{(YYYY|YY|MM|DD|ITEM|SEQ(:\d)?)\})+$' THEN
        RAISE EXCEPTION 'A lot number pattern has {SEQ} or {SEQ:n} and only A-Z 0-9 _ . / - {YYYY} {YY} {MM} {DD} {ITEM}'
            USING ERRCODE = 'WC068';
    END IF;
    IF nullif(btrim(coalesce(p_reason, '')), '') IS NULL THEN
        RAISE EXCEPTION 'Give the reason for the change' USING ERRCODE = 'WC003';
    END IF;
    PERFORM set_config('workcell.reason', left(p_reason, 500), true);
    UPDATE workcell.materials_policy SET lot_number_pattern = p_pattern, version = version + 1 WHERE id = 1;
END $$;
