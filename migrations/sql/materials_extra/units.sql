-- Unit-of-measure conversions per item. The rule that never creates or loses material: a
-- quantity in another unit is converted to the lot's unit EXACTLY (decimal factor, no
-- rounding), and refused when the result would need more decimals than the ledger keeps
-- (6) or the entry has more decimals than its unit is counted in. Refusals: WC073.

-- p_quantity of p_unit as the item's own unit (refused with the reason when it cannot be
-- exact). p_what names the thing in the message ("Lot L2612-00001", "PO 4711 line 1").
CREATE FUNCTION workcell.to_base_unit(p_item_id bigint, p_quantity numeric, p_unit text, p_what text)
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
    IF scale(trim_scale(p_quantity)) > v_decimals THEN
        RAISE EXCEPTION '% % of %: % is counted with at most % decimals', trim_scale(p_quantity),
            coalesce(p_unit, i.unit), p_what, coalesce(p_unit, i.unit), v_decimals
            USING ERRCODE = 'WC073', HINT = 'Enter the quantity as counted or weighed, without extra decimals.';
    END IF;
    v_base := trim_scale(p_quantity * v_factor);
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

-- Before a ledger row is written: a quantity entered in another unit (entered_quantity,
-- entered_unit) becomes the row's quantity in the lot's unit, exactly. Runs for every
-- writer (ENABLE ALWAYS); the AFTER trigger then checks the row as before.
CREATE FUNCTION workcell.inventory_txn_convert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l workcell.lot;
BEGIN
    IF NEW.entered_quantity IS NULL AND NEW.entered_unit IS NULL THEN
        RETURN NEW;  -- written in the lot's unit (receipts, production, shipments)
    END IF;
    SELECT * INTO l FROM workcell.lot WHERE id = NEW.lot_id;
    IF l.id IS NULL THEN
        RAISE EXCEPTION 'There is no lot %', NEW.lot_id USING ERRCODE = 'WC068';
    END IF;
    NEW.entered_unit := coalesce(NEW.entered_unit, l.unit);
    NEW.quantity := workcell.to_base_unit(l.item_id, NEW.entered_quantity, NEW.entered_unit, 'lot ' || l.lot_number);
    NEW.unit := l.unit;
    RETURN NEW;
END $$;

-- Conversions are kept by holders of uom.manage. A conversion's item, unit, factor and
-- decimals never change (ledger rows converted with it keep meaning what they meant): a
-- wrong one is retired (active = false) and entered again.
CREATE FUNCTION workcell.item_unit_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_item workcell.item;
BEGIN
    PERFORM workcell.require_permission('uom.manage');
    SELECT * INTO v_item FROM workcell.item WHERE id = NEW.item_id;
    IF TG_OP = 'INSERT' THEN
        IF NEW.unit = v_item.unit THEN
            RAISE EXCEPTION '% is counted in %: that is its own unit, not a conversion', v_item.item_number, v_item.unit
                USING ERRCODE = 'WC074';
        END IF;
        IF NOT NEW.active THEN
            RAISE EXCEPTION 'A new conversion is active' USING ERRCODE = 'WC074';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.item_id, NEW.unit, NEW.factor, NEW.decimals, NEW.created_at, NEW.created_by)
       IS DISTINCT FROM (OLD.item_id, OLD.unit, OLD.factor, OLD.decimals, OLD.created_at, OLD.created_by)
       OR (NEW.active AND NOT OLD.active) THEN
        RAISE EXCEPTION 'The conversion of % from % never changes: retire it and enter the right one',
            v_item.item_number, OLD.unit USING ERRCODE = 'WC074';
    END IF;
    RETURN NEW;
END $$;
