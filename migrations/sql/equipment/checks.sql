-- Is this unit usable now? One rule for the step's scan (workcell.equipment_usable) and the
-- record of use (workcell.record_equipment_use): of the class asked for, in service, within
-- its calibration and, where its class needs one, its cleaning. "Today" is the plant's
-- (workcell.plant_today()); a due date is the last day the unit may be used.

CREATE FUNCTION workcell.assert_equipment_usable(e workcell.equipment, p_class text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c workcell.equipment_class;
    v_today date := workcell.plant_today();
BEGIN
    SELECT * INTO c FROM workcell.equipment_class WHERE name = e.class_code;
    IF p_class IS NOT NULL AND e.class_code <> upper(btrim(p_class)) THEN
        RAISE EXCEPTION '% is a % (%): this step needs a %', e.asset_id, e.class_code, e.description,
            upper(btrim(p_class))
            USING ERRCODE = 'WC101', HINT = format('Scan a %s.', upper(btrim(p_class)));
    END IF;
    IF e.status <> 'in_service' THEN
        RAISE EXCEPTION '% is %: do not use it', e.asset_id, replace(e.status, '_', ' ')
            || CASE WHEN e.status_reason <> '' THEN ' (' || e.status_reason || ')' ELSE '' END
            USING ERRCODE = 'WC102', HINT = 'Use another unit, or ask a supervisor to return it to service.';
    END IF;
    IF c.calibration_interval_days IS NOT NULL THEN
        IF e.calibration_due IS NULL THEN
            RAISE EXCEPTION '% is out of calibration: %', e.asset_id,
                CASE WHEN e.last_calibration_id IS NULL THEN 'it has never been calibrated'
                     ELSE 'its last calibration failed' END
                USING ERRCODE = 'WC103', HINT = 'Use another unit; metrology calibrates it before use.';
        END IF;
        IF e.calibration_due < v_today THEN
            RAISE EXCEPTION '% is out of calibration: it was due on % (today is %)', e.asset_id,
                e.calibration_due, v_today
                USING ERRCODE = 'WC103', HINT = 'Use another unit; metrology calibrates it before use.';
        END IF;
    END IF;
    IF c.cleaning_interval_days IS NOT NULL THEN
        IF e.last_cleaned_at IS NULL THEN
            RAISE EXCEPTION '% has no cleaning record: clean it before use', e.asset_id
                USING ERRCODE = 'WC104', HINT = 'Clean it and record the cleaning, then scan it again.';
        END IF;
        IF e.cleaning_due < v_today THEN
            RAISE EXCEPTION '% is not clean: its cleaning was due on %', e.asset_id, e.cleaning_due
                USING ERRCODE = 'WC104', HINT = 'Clean it and record the cleaning, then scan it again.';
        END IF;
    END IF;
END $$;

-- The step's scan: the unit with this asset tag, usable for this class (NULL: any class).
-- Returns its id, or raises the refusal an operator can act on (WC100-WC104).
CREATE FUNCTION workcell.equipment_usable(p_asset text, p_class text) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    e workcell.equipment;
BEGIN
    SELECT * INTO e FROM workcell.equipment WHERE asset_id = upper(btrim(coalesce(p_asset, '')));
    IF e.id IS NULL THEN
        RAISE EXCEPTION 'There is no equipment %', coalesce(nullif(btrim(p_asset), ''), '(nothing scanned)')
            USING ERRCODE = 'WC100', HINT = 'Scan the asset tag on the unit; unregistered equipment is not used.';
    END IF;
    IF p_class IS NOT NULL AND NOT EXISTS (SELECT 1 FROM workcell.equipment_class WHERE name = upper(btrim(p_class))) THEN
        RAISE EXCEPTION 'There is no equipment class %', p_class USING ERRCODE = 'WC100';
    END IF;
    PERFORM workcell.assert_equipment_usable(e, p_class);
    RETURN e.id;
END $$;
