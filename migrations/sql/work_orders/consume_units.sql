-- Component scans in the unit they are counted in at the step (migration 0022). A BOM
-- may name a component in another unit than its lots (resin lots in kg, the BOM in g):
-- the quantity entered is converted to the lot's unit through the item's conversions
-- (workcell.item_unit, migration 0014) by the ledger's own rule, workcell.to_base_unit —
-- exact or refused, so a conversion never creates or loses material. The ledger row, the
-- genealogy edge and the step entry carry the same quantity in the lot's unit; the ledger
-- row and the step entry also keep what was entered (quantity and unit).

SELECT set_config('workcell.system_actor', 'system', true);
SELECT set_config('workcell.reason', 'migration 0022: component scans in the BOM''s unit', true);

ALTER TABLE workcell.step_entry
    ADD COLUMN entered_quantity numeric,
    ADD COLUMN entered_unit text,  -- capped by the migration (workcell.add_field_cap)
    ADD CONSTRAINT ck_step_entry_entered CHECK ((entered_quantity IS NULL) = (entered_unit IS NULL));
COMMENT ON COLUMN workcell.step_entry.entered_quantity IS
    'A scan: the quantity as entered, in entered_unit (quantity is the same in the lot''s unit). NULL before migration 0022.';

CREATE OR REPLACE FUNCTION workcell.wo_consume(p_work_order_id bigint, p_step_instance_id bigint, p_lot_id bigint,
                                               p_serial_id bigint, p_quantity numeric, p_unit text, p_bin_id bigint,
                                               p_expected_version integer DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    si workcell.step_instance;
    w workcell.work_order;
    l workcell.lot;
    d workcell.routing_step_data;
    v_txn bigint;
    v_entry bigint;
    v_item text;
    v_unit text;
    v_quantity numeric;
BEGIN
    si := workcell.wo_open_step(p_step_instance_id, p_expected_version, 'scan components at this step');
    SELECT * INTO w FROM workcell.work_order WHERE id = si.work_order_id;
    IF w.id IS DISTINCT FROM p_work_order_id THEN
        RAISE EXCEPTION 'Step % belongs to work order %, not to the one scanned for', si.seq, w.number
            USING ERRCODE = 'WC084';
    END IF;
    SELECT * INTO l FROM workcell.lot WHERE id = p_lot_id;
    IF l.id IS NULL THEN
        RAISE EXCEPTION 'There is no lot %', p_lot_id USING ERRCODE = 'WC082';
    END IF;
    v_item := (SELECT item_number FROM workcell.item WHERE id = l.item_id);
    IF NOT EXISTS (SELECT 1 FROM workcell.bom_line b WHERE b.bom_revision_id = w.bom_revision_id
                      AND b.component_id = l.item_id) THEN
        RAISE EXCEPTION 'Lot % is %, which is not on the BOM locked on % (rev %)', l.lot_number, v_item, w.number,
            (SELECT revision FROM workcell.bom_revision WHERE id = w.bom_revision_id)
            USING ERRCODE = 'WC082', HINT = 'Scan a lot of a component on this work order''s BOM.';
    END IF;
    SELECT * INTO d FROM workcell.routing_step_data
     WHERE step_id = si.routing_step_id AND kind = 'lot_scan' AND component_id = l.item_id
     ORDER BY position LIMIT 1;
    IF d.id IS NULL THEN
        RAISE EXCEPTION 'Step % does not scan % (it scans: %)', si.seq, v_item,
            coalesce((SELECT string_agg(c.item_number, ', ' ORDER BY x.position) FROM workcell.routing_step_data x
                        JOIN workcell.item c ON c.id = x.component_id
                       WHERE x.step_id = si.routing_step_id AND x.kind = 'lot_scan'), 'nothing')
            USING ERRCODE = 'WC082';
    END IF;
    IF p_quantity IS NULL OR p_quantity <= 0 THEN
        RAISE EXCEPTION 'A consumption is more than 0 %', coalesce(nullif(btrim(p_unit), ''), l.unit)
            USING ERRCODE = 'WC085';
    END IF;
    v_unit := coalesce(nullif(btrim(p_unit), ''), l.unit);
    IF v_unit <> l.unit AND p_serial_id IS NOT NULL THEN
        RAISE EXCEPTION 'A serial of lot % is consumed as 1 %, not in %', l.lot_number, l.unit, v_unit
            USING ERRCODE = 'WC160';
    END IF;
    -- the ledger's conversion, checked here first so the refusal names the step's scan
    v_quantity := workcell.to_base_unit(l.item_id, p_quantity, v_unit,
                                        format('lot %s at step %s of %s', l.lot_number, si.seq, w.number));
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', format('%s consumed into %s', l.lot_number, w.number), true);
    END IF;
    w := workcell.wo_output_context(w.id);
    -- entered_quantity / entered_unit: inventory_txn_convert writes quantity and unit
    INSERT INTO workcell.inventory_txn (kind, lot_id, serial_id, from_bin_id, entered_quantity, entered_unit,
                                        production_record_id)
    VALUES ('consume', l.id, p_serial_id, p_bin_id, p_quantity, v_unit, w.production_record_id)
    RETURNING id, quantity INTO v_txn, v_quantity;
    INSERT INTO workcell.genealogy_edge (parent_lot_id, parent_serial_id, child_lot_id, quantity, unit,
                                         consume_txn_id, production_record_id)
    VALUES (l.id, p_serial_id, w.output_lot_id, v_quantity, l.unit, v_txn, w.production_record_id);
    INSERT INTO workcell.step_entry (step_instance_id, step_data_id, kind, lot_id, serial_id, bin_id, quantity, unit,
                                     entered_quantity, entered_unit, inventory_txn_id)
    VALUES (si.id, d.id, 'scan', l.id, p_serial_id, p_bin_id, v_quantity, l.unit, p_quantity, v_unit, v_txn)
    RETURNING id INTO v_entry;
    RETURN v_entry;
END $$;
