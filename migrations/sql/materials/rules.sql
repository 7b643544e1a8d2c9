-- Lifecycle gates of the materials area: permissions, condition functions, the moves of
-- lots, holds, shipments and approved-supplier entries (workcell.transition_rule), and the
-- signing registration (segregation: who received or produced a lot does not release it).

-- Conditions ------------------------------------------------------------------------------

-- A lot is created by receiving (lot.receive; supplier approved for the item; not expired or
-- past retest on arrival; item approved) or by a production record (inventory.produce).
CREATE FUNCTION workcell.lot_may_be_created(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    i workcell.item;
    v_supplier bigint := (p_new->>'supplier_id')::bigint;
    v_status text;
    v_today date := workcell.plant_today();
BEGIN
    SELECT * INTO i FROM workcell.item WHERE id = (p_new->>'item_id')::bigint;
    IF p_new->>'unit' IS DISTINCT FROM i.unit THEN
        RETURN format('%s is counted in %s, not %s.', i.item_number, i.unit, p_new->>'unit');
    END IF;
    IF i.status <> 'approved' THEN
        RETURN format('Item %s is %s: only an approved item is received or made.', i.item_number, i.status);
    END IF;
    IF p_new->>'origin' = 'produced' THEN
        PERFORM workcell.require_permission('inventory.produce');
        RETURN NULL;
    END IF;
    PERFORM workcell.require_permission('lot.receive');
    SELECT status INTO v_status FROM workcell.approved_supplier WHERE item_id = i.id AND supplier_id = v_supplier;
    IF v_status IS DISTINCT FROM 'approved' THEN
        RAISE EXCEPTION 'Supplier % is % for %', (SELECT code FROM workcell.supplier WHERE id = v_supplier),
            coalesce(v_status, 'not on the approved-supplier list'), i.item_number
            USING ERRCODE = 'WC065', HINT = 'Do not receive it: set it aside and call QA.';
    END IF;
    IF (p_new->>'expiry_date')::date < v_today THEN
        RAISE EXCEPTION 'Lot % of % expired on % (today is %): refused on arrival', p_new->>'supplier_lot',
            i.item_number, p_new->>'expiry_date', v_today USING ERRCODE = 'WC066';
    END IF;
    IF (p_new->>'retest_date')::date < v_today THEN
        RAISE EXCEPTION 'Lot % of % is past its retest date %: refused on arrival', p_new->>'supplier_lot',
            i.item_number, p_new->>'retest_date' USING ERRCODE = 'WC066';
    END IF;
    RETURN NULL;
END $$;

-- Released only within its dates and with no hold open (close the hold first).
CREATE FUNCTION workcell.lot_may_be_released(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_today date := workcell.plant_today();
BEGIN
    IF (p_new->>'expiry_date')::date < v_today THEN
        RETURN format('Lot %s expired on %s: it cannot be released.', p_new->>'lot_number', p_new->>'expiry_date');
    END IF;
    IF (p_new->>'retest_date')::date < v_today THEN
        RETURN format('Lot %s is past its retest date %s: retest before release.', p_new->>'lot_number', p_new->>'retest_date');
    END IF;
    IF workcell.lot_is_held((p_new->>'id')::bigint) THEN
        RETURN format('Lot %s is on hold: the hold is released first.', p_new->>'lot_number');
    END IF;
    RETURN NULL;
END $$;

-- Consumed / shipped: the status follows the ledger, when nothing is left.
CREATE FUNCTION workcell.lot_used_up(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM workcell.on_hand o WHERE o.lot_id = (p_new->>'id')::bigint AND o.quantity > 0)
                THEN format('Lot %s still has stock: it is %s when the last of it is.', p_new->>'lot_number', p_new->>'status') END
$$;

-- Holds from an inspection or an NCR close with their own record's decision (those areas
-- are not built yet: until then they stay open), a QA or recall hold with a QA signature.
CREATE FUNCTION workcell.hold_may_close(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE p_new->>'source'
        WHEN 'ncr' THEN format('Hold %s came from NCR %s: it closes only through the NCR''s disposition.', p_new->>'id', p_new->>'source_ref')
        WHEN 'inspection' THEN format('Hold %s came from inspection %s: it closes only with the inspection''s result.', p_new->>'id', p_new->>'source_ref')
        END
$$;

CREATE FUNCTION workcell.shipment_may_confirm(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM workcell.shipment_line x WHERE x.shipment_id = (p_new->>'id')::bigint)
                THEN format('Shipment %s has no lines: pick something first.', p_new->>'shipment_number') END
$$;

-- Registration (audited: this migration's actor is the 'system' user) ---------------------

SELECT set_config('workcell.system_actor', 'system', true);
SELECT set_config('workcell.reason', 'migration 0012: materials', true);

INSERT INTO workcell.permission (name, kind, description) VALUES
    ('location.manage', 'action', 'Create and edit sites, zones, bins and customers'),
    ('supplier.manage', 'action', 'Keep suppliers and the approved-supplier list per item'),
    ('materials.configure', 'action', 'Change the lot number pattern'),
    ('lot.receive', 'action', 'Receive material into quarantine'),
    ('inventory.move', 'action', 'Move material between bins'),
    ('inventory.produce', 'action', 'Record production: consume inputs, produce a lot'),
    ('inventory.scrap', 'action', 'Scrap material, with a reason'),
    ('inventory.adjust', 'sign', 'Correct an on-hand count, signed as adjusted'),
    ('lot.release', 'sign', 'Release or reject a lot (QA)'),
    ('hold.place', 'action', 'Put a lot on hold'),
    ('hold.release', 'sign', 'Release a QA or recall hold, signed'),
    ('shipment.create', 'action', 'Create shipments and pick lines'),
    ('shipment.confirm', 'sign', 'Confirm a shipment, signed');
INSERT INTO workcell.role_permission (role, permission) VALUES
    ('supervisor', 'location.manage'), ('qa', 'location.manage'),
    ('qa', 'supplier.manage'), ('qa', 'materials.configure'),
    ('operator', 'lot.receive'), ('supervisor', 'lot.receive'),
    ('operator', 'inventory.move'), ('supervisor', 'inventory.move'),
    ('operator', 'inventory.produce'), ('supervisor', 'inventory.produce'),
    ('supervisor', 'inventory.scrap'), ('qa', 'inventory.scrap'),
    ('supervisor', 'inventory.adjust'), ('qa', 'inventory.adjust'),
    ('qa', 'lot.release'),
    ('qa', 'hold.place'), ('supervisor', 'hold.place'),
    ('qa', 'hold.release'),
    ('operator', 'shipment.create'), ('supervisor', 'shipment.create'),
    ('supervisor', 'shipment.confirm'), ('qa', 'shipment.confirm');

INSERT INTO workcell.transition_rule (record_type, from_status, to_status, action, permission, signatures, condition, restarts, description) VALUES
    ('lot', NULL, 'quarantine', 'create', NULL, '{}', 'workcell.lot_may_be_created(text, jsonb, jsonb)', false,
     'Received (approved supplier, in date) or produced; starts in quarantine'),
    ('lot', 'quarantine', 'released', 'release', 'lot.release', '{released}', 'workcell.lot_may_be_released(text, jsonb, jsonb)', false,
     'QA release, signed by someone other than the receiver; in date, no open hold'),
    ('lot', 'quarantine', 'rejected', 'reject', 'lot.release', '{rejected}', NULL, false, 'QA rejection, signed'),
    ('lot', 'released', 'rejected', 'reject', 'lot.release', '{rejected}', NULL, false, 'Rejected after release (QA, signed)'),
    ('lot', 'released', 'consumed', 'use_up', NULL, '{}', 'workcell.lot_used_up(text, jsonb, jsonb)', false, 'The last of it was consumed'),
    ('lot', 'released', 'shipped', 'ship_out', NULL, '{}', 'workcell.lot_used_up(text, jsonb, jsonb)', false, 'The last of it was shipped'),
    ('hold', NULL, 'open', 'place', 'hold.place', '{}', NULL, false, 'A lot put on hold, with a reason and a source'),
    ('hold', 'open', 'closed', 'release', 'hold.release', '{released}', 'workcell.hold_may_close(text, jsonb, jsonb)', false,
     'QA or recall hold released with a QA signature; inspection/NCR holds by their own record'),
    ('shipment', NULL, 'open', 'create', 'shipment.create', '{}', NULL, false, 'A new shipment to a customer'),
    ('shipment', 'open', 'confirmed', 'confirm', 'shipment.confirm', '{confirmed}', 'workcell.shipment_may_confirm(text, jsonb, jsonb)', false,
     'Confirmed with a signature: its lines leave the ledger'),
    ('shipment', 'open', 'cancelled', 'cancel', 'shipment.create', '{}', NULL, false, 'Nothing shipped'),
    ('approved_supplier', NULL, 'approved', 'approve', 'supplier.manage', '{}', NULL, false, 'Supplier approved for the item'),
    ('approved_supplier', 'approved', 'disqualified', 'disqualify', 'supplier.manage', '{}', NULL, false, 'No further receipts from it'),
    ('approved_supplier', 'disqualified', 'approved', 'requalify', 'supplier.manage', '{}', NULL, false, 'Approved again');

INSERT INTO workcell.signable_type (record_type, table_name, content_function, author_column, summary_function, production)
VALUES ('lot', 'workcell.lot', 'workcell.lot_content(bigint)', 'created_by', 'workcell.lot_summary(bigint)', true),
       ('hold', 'workcell.hold', 'workcell.hold_content(bigint)', 'created_by', 'workcell.hold_summary(bigint)', true),
       ('shipment', 'workcell.shipment', 'workcell.shipment_content(bigint)', 'created_by', 'workcell.shipment_summary(bigint)', true);

-- 'author' of a lot is who received or produced it: they may not release or reject it.
INSERT INTO workcell.signing_rule (record_type, meaning, permission, requires, distinct_from) VALUES
    ('lot', 'released', 'lot.release', '{}', '{author}'),
    ('lot', 'rejected', 'lot.release', '{}', '{author}'),
    ('lot', 'adjusted', 'inventory.adjust', '{}', '{}'),
    ('hold', 'released', 'hold.release', '{}', '{}'),
    ('shipment', 'confirmed', 'shipment.confirm', '{}', '{}');
