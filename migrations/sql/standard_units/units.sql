-- Standard conversions between units of the same dimension (migration 0031): a resin lot
-- counted in kg is consumed in g, a solvent in L dispensed in mL, without an item-specific
-- conversion row — 1 g is 0.001 kg for every item. The factors are exact decimals (the
-- same as domain/services/engineering_rules.UNIT_FACTORS, which BOM lines already use), so
-- to_base_unit's rule stays: converted exactly, or refused with the reason. Conversions
-- across dimensions (kg of a resin in L, ea in g) stay per item (workcell.item_unit).

-- 1 p_from = factor × p_to; NULL when the units are not both standard units of one dimension.
CREATE FUNCTION workcell.standard_unit_factor(p_from text, p_to text)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT f.milli / t.milli
      FROM (VALUES ('kg', 'mass', 1000000::numeric), ('g', 'mass', 1000), ('mg', 'mass', 1),
                   ('L', 'volume', 1000), ('mL', 'volume', 1),
                   ('m', 'length', 1000), ('mm', 'length', 1)) AS f (unit, dimension, milli)
      JOIN (VALUES ('kg', 'mass', 1000000::numeric), ('g', 'mass', 1000), ('mg', 'mass', 1),
                   ('L', 'volume', 1000), ('mL', 'volume', 1),
                   ('m', 'length', 1000), ('mm', 'length', 1)) AS t (unit, dimension, milli)
        ON t.dimension = f.dimension
     WHERE f.unit = p_from AND t.unit = p_to
$$;
COMMENT ON FUNCTION workcell.standard_unit_factor(text, text) IS
    '1 p_from = factor × p_to for standard units of one dimension (kg/g/mg, L/mL, m/mm); NULL otherwise (migration 0031).';

-- The ledger's exact conversion (0028's, unchanged but for where the factor comes from):
-- the item's own conversion row first (it may also say how many decimals the unit is
-- counted in), else the standard factor between units of one dimension, else refused.
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
            v_factor := workcell.standard_unit_factor(p_unit, i.unit);
            v_decimals := 6;
        END IF;
        IF v_factor IS NULL THEN
            RAISE EXCEPTION '% is counted in %: there is no conversion from % for it', i.item_number, i.unit, p_unit
                USING ERRCODE = 'WC073', HINT = format('Units %s may be entered in: %s.', i.item_number,
                    (SELECT string_agg(DISTINCT x.unit, ', ')
                       FROM (SELECT unit FROM workcell.item_unit WHERE item_id = i.id AND active
                             UNION ALL SELECT u FROM unnest(ARRAY['kg', 'g', 'mg', 'L', 'mL', 'm', 'mm']) AS u
                              WHERE workcell.standard_unit_factor(u, i.unit) IS NOT NULL
                             UNION ALL SELECT i.unit) AS x));
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

-- A conversion row between standard units of one dimension may say how many decimals the
-- unit is counted in, not another factor: 1 g is 0.001 kg for every item (a row saying
-- 0.002 would create material). 0014's rules otherwise unchanged.
CREATE OR REPLACE FUNCTION workcell.item_unit_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_item workcell.item;
    v_standard numeric;
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
        v_standard := workcell.standard_unit_factor(NEW.unit, v_item.unit);
        IF v_standard IS NOT NULL AND NEW.factor <> v_standard THEN
            RAISE EXCEPTION '1 % is % %, for % as for every item: not %', NEW.unit, trim_scale(v_standard),
                v_item.unit, v_item.item_number, trim_scale(NEW.factor)
                USING ERRCODE = 'WC200',
                      HINT = format('The standard conversion needs no row; a row for %s may only say how many decimals it is counted in (factor %s).',
                                    NEW.unit, trim_scale(v_standard));
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
