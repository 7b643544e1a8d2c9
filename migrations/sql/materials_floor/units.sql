-- Counted items are counted in whole units: an item counted in each ('ea') never holds,
-- moves, consumes, ships or receives half a unit, and a quantity entered in 'ea' (of any
-- item) is a whole number. to_base_unit (every ledger writer's exact conversion, receipts
-- and production included) refuses it with the reason (WC220); CHECK constraints on every
-- table that stores an 'ea' quantity keep the rule for any writer that skips the function.

CREATE OR REPLACE FUNCTION workcell.to_base_unit(p_item_id bigint, p_quantity numeric, p_unit text, p_what text)
RETURNS numeric
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    i workcell.item;
    v_factor numeric := 1;
    v_decimals int := 6;
    v_base numeric;
BEGIN
    SELECT * INTO i FROM workcell.item WHERE id = p_item_id;
    IF i.id IS NULL THEN
        RAISE EXCEPTION 'There is no item %', p_item_id USING ERRCODE = 'WC073';
    END IF;
    IF p_quantity IS NULL OR p_quantity <= 0 THEN
        RAISE EXCEPTION 'A quantity of % is more than 0', p_what USING ERRCODE = 'WC073';
    END IF;
    IF p_unit IS NOT NULL AND p_unit <> i.unit THEN
        SELECT factor, decimals INTO v_factor, v_decimals FROM workcell.item_unit
         WHERE item_id = i.id AND unit = p_unit AND active;
        IF v_factor IS NULL THEN
            RAISE EXCEPTION '% is counted in %: there is no conversion from % for it', i.item_number, i.unit, p_unit
                USING ERRCODE = 'WC073', HINT = format('Units defined for %s: %s.', i.item_number,
                    coalesce((SELECT string_agg(unit, ', ' ORDER BY unit) FROM workcell.item_unit
                               WHERE item_id = i.id AND active) || ', ' || i.unit, i.unit));
        END IF;
    END IF;
    IF coalesce(p_unit, i.unit) = 'ea' AND p_quantity <> trunc(p_quantity) THEN
        RAISE EXCEPTION '% ea of %: % is counted in whole units (each), not in parts of one.',
            trim_scale(p_quantity), p_what, i.item_number
            USING ERRCODE = 'WC220', HINT = 'Count the pieces: enter a whole number.';
    END IF;
    IF scale(trim_scale(p_quantity)) > v_decimals THEN
        RAISE EXCEPTION '% % of %: % is counted with at most % decimals', trim_scale(p_quantity),
            coalesce(p_unit, i.unit), p_what, coalesce(p_unit, i.unit), v_decimals
            USING ERRCODE = 'WC073', HINT = 'Enter the quantity as counted or weighed, without extra decimals.';
    END IF;
    v_base := trim_scale(p_quantity * v_factor);
    IF i.unit = 'ea' AND v_base <> trunc(v_base) THEN
        RAISE EXCEPTION '% % of % is % ea: % is counted in whole units (each), and rounding would create or lose material.',
            trim_scale(p_quantity), p_unit, p_what, v_base, i.item_number
            USING ERRCODE = 'WC220', HINT = format('Enter a quantity of %s that is a whole number of pieces, or count it in ea.', p_unit);
    END IF;
    IF scale(v_base) > 6 THEN
        RAISE EXCEPTION '% % of % is % %: that needs more than 6 decimals of %, and rounding would create or lose material',
            trim_scale(p_quantity), p_unit, p_what, v_base, i.unit, i.unit
            USING ERRCODE = 'WC073', HINT = format('Enter it in %s (at most 6 decimals), or a quantity of %s that converts exactly.',
                i.unit, p_unit);
    END IF;
    IF v_base >= 1000000000000 THEN
        RAISE EXCEPTION '% % of % is more than the ledger counts', trim_scale(p_quantity), coalesce(p_unit, i.unit), p_what
            USING ERRCODE = 'WC073';
    END IF;
    RETURN v_base;
END $$;

-- A shipment line is in its lot's unit (the lot's 'ea' is whole): refused when it is picked,
-- not only when the shipment is confirmed and posted.
CREATE FUNCTION workcell.shipment_line_whole_each() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l workcell.lot;
BEGIN
    SELECT * INTO l FROM workcell.lot WHERE id = NEW.lot_id;
    IF l.unit = 'ea' AND NEW.quantity <> trunc(NEW.quantity) THEN
        RAISE EXCEPTION '% ea of lot %: % is counted in whole units (each), not in parts of one.',
            trim_scale(NEW.quantity), l.lot_number, (SELECT item_number FROM workcell.item WHERE id = l.item_id)
            USING ERRCODE = 'WC220', HINT = 'Count the pieces: enter a whole number.';
    END IF;
    RETURN NEW;
END $$;
