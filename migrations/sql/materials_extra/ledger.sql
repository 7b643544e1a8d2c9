-- The ledger's writers, again (migration 0012's, with units and PO lines): every quantity a
-- person enters reaches the ledger as entered_quantity / entered_unit, converted exactly by
-- inventory_txn_convert (never rounded: an unconstrained numeric on its way in); receipts
-- name their PO line. Signatures of move_stock and scrap_stock gain p_unit (NULL: the lot's).

-- Receiving: as 0012's, plus the PO line the reference names (counted against it by the
-- lot's trigger) and a quantity that must be exact at the ledger's 6 decimals.
CREATE OR REPLACE FUNCTION workcell.receive_lot(
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
    PERFORM workcell.to_base_unit(i.id, p_quantity, i.unit, 'the receipt');
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
                              po_line_id, coa_reference, quantity, unit, expiry_date, retest_date,
                              manufactured_date)
    VALUES (workcell.next_lot_number(i.item_number), i.id, 'received', p_supplier_id,
            nullif(btrim(p_supplier_lot), ''), nullif(upper(btrim(p_po)), ''),
            workcell.po_line_for_receipt(p_po, i.id, p_supplier_id), nullif(btrim(p_coa), ''),
            p_quantity, i.unit, p_expiry, p_retest, p_manufactured)
    RETURNING id INTO v_lot;
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

DROP FUNCTION workcell.move_stock(bigint, bigint, bigint, numeric, bigint);
DROP FUNCTION workcell.scrap_stock(bigint, bigint, numeric, text, bigint);

-- Move all or part of a lot (or one serial) between bins, in the lot's unit or one of the
-- item's conversions.
CREATE FUNCTION workcell.move_stock(p_lot_id bigint, p_from_bin bigint, p_to_bin bigint,
                                    p_quantity numeric, p_serial_id bigint DEFAULT NULL,
                                    p_unit text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM workcell.require_permission('inventory.move');
    INSERT INTO workcell.inventory_txn (kind, lot_id, serial_id, from_bin_id, to_bin_id, entered_quantity, entered_unit)
    SELECT 'move', l.id, p_serial_id, p_from_bin, p_to_bin, p_quantity, coalesce(p_unit, l.unit)
      FROM workcell.lot l WHERE l.id = p_lot_id
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'There is no lot %', p_lot_id USING ERRCODE = 'WC068';
    END IF;
    RETURN v_id;
END $$;

-- Scrap from a bin, with a reason (in the lot's unit or a conversion).
CREATE FUNCTION workcell.scrap_stock(p_lot_id bigint, p_bin bigint, p_quantity numeric,
                                     p_reason text, p_serial_id bigint DEFAULT NULL,
                                     p_unit text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM workcell.require_permission('inventory.scrap');
    INSERT INTO workcell.inventory_txn (kind, lot_id, serial_id, from_bin_id, entered_quantity, entered_unit, reason)
    SELECT 'scrap', l.id, p_serial_id, p_bin, p_quantity, coalesce(p_unit, l.unit), left(coalesce(p_reason, ''), 500)
      FROM workcell.lot l WHERE l.id = p_lot_id
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'There is no lot %', p_lot_id USING ERRCODE = 'WC068';
    END IF;
    RETURN v_id;
END $$;

-- A count correction: as 0012's, the delta exact in the lot's unit (never rounded).
CREATE OR REPLACE FUNCTION workcell.adjust_stock(p_lot_id bigint, p_bin bigint, p_delta numeric,
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
    INSERT INTO workcell.inventory_txn (kind, lot_id, from_bin_id, to_bin_id, entered_quantity, entered_unit,
                                        reason, signature_id)
    SELECT 'adjust', l.id, CASE WHEN p_delta < 0 THEN p_bin END, CASE WHEN p_delta > 0 THEN p_bin END,
           abs(p_delta), l.unit, left(coalesce(p_reason, ''), 500), p_signature_id
      FROM workcell.lot l WHERE l.id = p_lot_id
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'There is no lot %', p_lot_id USING ERRCODE = 'WC068';
    END IF;
    RETURN v_id;
END $$;

-- A production record: as 0012's; an input may name its unit ({"lot", "bin", "quantity",
-- "unit", "serial"}): consumed and linked in the lot's unit, converted exactly.
CREATE OR REPLACE FUNCTION workcell.record_production(
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
    v_quantity numeric;
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
    PERFORM workcell.to_base_unit(i.id, p_quantity, i.unit, 'the production record');
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
    FOR x IN SELECT r.lot, r.bin, r.quantity, r.serial, coalesce(r.unit, l.unit) AS unit, l.id AS found
               FROM jsonb_to_recordset(p_inputs) AS r(lot bigint, bin bigint, quantity numeric, serial bigint, unit text)
               LEFT JOIN workcell.lot l ON l.id = r.lot
              ORDER BY r.lot, r.serial NULLS FIRST LOOP
        IF x.found IS NULL THEN
            RAISE EXCEPTION 'There is no lot %', x.lot USING ERRCODE = 'WC068';
        END IF;
        INSERT INTO workcell.inventory_txn (kind, lot_id, serial_id, from_bin_id, entered_quantity, entered_unit,
                                            production_record_id)
        VALUES ('consume', x.lot, x.serial, x.bin, x.quantity, x.unit, v_record)
        RETURNING id, quantity INTO v_txn, v_quantity;
        INSERT INTO workcell.genealogy_edge (parent_lot_id, parent_serial_id, child_lot_id, child_serial_id,
                                             quantity, unit, consume_txn_id, production_record_id)
        SELECT x.lot, x.serial, v_lot, v_only_serial, v_quantity, l.unit, v_txn, v_record
          FROM workcell.lot l WHERE l.id = x.lot;
    END LOOP;
    RETURN v_record;
END $$;
