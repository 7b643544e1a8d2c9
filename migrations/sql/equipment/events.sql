-- Calibration, cleaning and use records. Stations insert none of them directly: the
-- SECURITY DEFINER functions below write them, and an AFTER INSERT trigger on each record
-- table (run for any writer, the owner included) checks its rules and keeps the unit's due
-- dates — the only path by which those dates change (equipment_guard refuses the rest).

CREATE FUNCTION workcell.equipment_calibration_apply() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e workcell.equipment;
    c workcell.equipment_class;
    g workcell.signature;
    v_today date := workcell.plant_today();
BEGIN
    PERFORM workcell.require_permission('equipment.calibrate');
    SELECT * INTO e FROM workcell.equipment WHERE id = NEW.equipment_id FOR NO KEY UPDATE;
    SELECT * INTO c FROM workcell.equipment_class WHERE name = e.class_code;
    IF e.status = 'retired' THEN
        RAISE EXCEPTION 'Equipment % is retired: it is not calibrated any more', e.asset_id USING ERRCODE = 'WC106';
    END IF;
    IF c.calibration_interval_days IS NULL THEN
        RAISE EXCEPTION 'Equipment of class % is not calibrated (its class sets no interval)', c.name
            USING ERRCODE = 'WC106';
    END IF;
    SELECT * INTO g FROM workcell.signature WHERE id = NEW.signature_id;
    IF g.id IS NULL OR g.record_type <> 'equipment' OR g.record_id <> e.id OR g.meaning <> 'calibrated'
       OR g.signer_id <> NEW.actor_id OR g.signed_at < now() THEN
        RAISE EXCEPTION 'A calibration of % needs the calibrator''s "calibrated" signature on it, made now', e.asset_id
            USING ERRCODE = 'WC106', HINT = 'Sign the calibration record with your badge and PIN.';
    END IF;
    IF NEW.result = 'pass' AND (NEW.next_due <= v_today OR NEW.next_due > v_today + c.calibration_interval_days) THEN
        RAISE EXCEPTION 'The next calibration of % is due after today and at most % days ahead (% to %), not %',
            e.asset_id, c.calibration_interval_days, v_today + 1, v_today + c.calibration_interval_days, NEW.next_due
            USING ERRCODE = 'WC106', HINT = 'Take the due date from the certificate; the class sets the longest interval.';
    END IF;
    UPDATE workcell.equipment
       SET calibration_due = NEW.next_due, last_calibration_id = NEW.id,
           -- a failed calibration takes the unit out of service (the move is logged)
           status = CASE WHEN NEW.result = 'fail' AND status = 'in_service' THEN 'out_of_service' ELSE status END,
           status_reason = CASE WHEN NEW.result = 'fail' AND status = 'in_service'
                                THEN left(format('calibration failed (certificate %s)', NEW.certificate), 200)
                                ELSE status_reason END,
           version = version + 1
     WHERE id = e.id;
    RETURN NULL;
END $$;

CREATE FUNCTION workcell.equipment_cleaning_apply() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e workcell.equipment;
    c workcell.equipment_class;
BEGIN
    PERFORM workcell.require_permission('equipment.clean');
    SELECT * INTO e FROM workcell.equipment WHERE id = NEW.equipment_id FOR NO KEY UPDATE;
    SELECT * INTO c FROM workcell.equipment_class WHERE name = e.class_code;
    IF e.status = 'retired' THEN
        RAISE EXCEPTION 'Equipment % is retired: it is not cleaned for use any more', e.asset_id USING ERRCODE = 'WC106';
    END IF;
    IF NEW.next_due IS DISTINCT FROM (workcell.plant_today() + c.cleaning_interval_days) THEN
        RAISE EXCEPTION 'A cleaning of % is valid until %, by its class', e.asset_id,
            coalesce((workcell.plant_today() + c.cleaning_interval_days)::text, 'its next use (no interval)')
            USING ERRCODE = 'WC106';
    END IF;
    UPDATE workcell.equipment
       SET cleaning_due = NEW.next_due, last_cleaned_at = NEW.cleaned_at, last_cleaning_id = NEW.id,
           version = version + 1
     WHERE id = e.id;
    RETURN NULL;
END $$;

-- A calibration, with the calibrator's "calibrated" signature on the unit made in this
-- transaction (workcell.sign). p_result 'pass' (p_next_due from the certificate, within the
-- class's interval) or 'fail' (no due date; the unit goes out of service).
CREATE FUNCTION workcell.record_calibration(
    p_equipment_id bigint, p_result text, p_certificate text, p_provider text,
    p_next_due date, p_signature_id bigint, p_comment text
) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_id bigint;
BEGIN
    -- the trigger checks it for any writer; here first, before any other refusal
    PERFORM workcell.require_permission('equipment.calibrate');
    IF NOT EXISTS (SELECT 1 FROM workcell.equipment WHERE id = p_equipment_id) THEN
        RAISE EXCEPTION 'There is no equipment %', p_equipment_id USING ERRCODE = 'WC100';
    END IF;
    IF p_result IS NULL OR p_result NOT IN ('pass', 'fail') THEN
        RAISE EXCEPTION 'A calibration passes or fails' USING ERRCODE = 'WC106';
    END IF;
    IF (p_result = 'pass') <> (p_next_due IS NOT NULL) THEN
        RAISE EXCEPTION 'A passed calibration has a next due date; a failed one has none' USING ERRCODE = 'WC106';
    END IF;
    IF nullif(btrim(coalesce(p_certificate, '')), '') IS NULL THEN
        RAISE EXCEPTION 'A calibration names its certificate' USING ERRCODE = 'WC106';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', 'calibration', true);
    END IF;
    INSERT INTO workcell.equipment_calibration (equipment_id, result, certificate, provider, next_due,
                                                comment, signature_id)
    VALUES (p_equipment_id, p_result, btrim(p_certificate), btrim(coalesce(p_provider, '')), p_next_due,
            btrim(coalesce(p_comment, '')), p_signature_id)
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

-- A cleaning by the session's person; valid for the class's interval from today.
CREATE FUNCTION workcell.record_cleaning(p_equipment_id bigint, p_procedure text, p_comment text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_class text := (SELECT class_code FROM workcell.equipment WHERE id = p_equipment_id);
    v_id bigint;
BEGIN
    PERFORM workcell.require_permission('equipment.clean');
    IF v_class IS NULL THEN
        RAISE EXCEPTION 'There is no equipment %', p_equipment_id USING ERRCODE = 'WC100';
    END IF;
    IF nullif(btrim(coalesce(p_procedure, '')), '') IS NULL THEN
        RAISE EXCEPTION 'A cleaning names the procedure followed (SOP)' USING ERRCODE = 'WC106';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', 'cleaning', true);
    END IF;
    INSERT INTO workcell.equipment_cleaning (equipment_id, procedure, next_due, comment)
    VALUES (p_equipment_id, btrim(p_procedure),
            workcell.plant_today() + (SELECT cleaning_interval_days FROM workcell.equipment_class WHERE name = v_class),
            btrim(coalesce(p_comment, '')))
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

-- The unit used for something (p_context, p_context_id: e.g. 'step_entry', 42), checked
-- usable at this moment, with the calibration and cleaning in force. A weighing passes the
-- balance's reading: {"value": "12.345", "unit": "g", "tare": "0.5", "device_serial": "..."}
-- (stable readings only: the station never passes a dynamic one); the serial must be the
-- registered one and the value within the capacity. Returns the use record's id.
CREATE FUNCTION workcell.record_equipment_use(p_equipment_id bigint, p_context text, p_context_id bigint,
                                              p_reading jsonb DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    e workcell.equipment;
    v_value numeric;
    v_tare numeric;
    v_id bigint;
BEGIN
    PERFORM workcell.require_permission('equipment.use');
    -- a take-out, calibration or cleaning of this unit waits for this use (or it waits for them)
    SELECT * INTO e FROM workcell.equipment WHERE id = p_equipment_id FOR SHARE;
    IF e.id IS NULL THEN
        RAISE EXCEPTION 'There is no equipment %', p_equipment_id USING ERRCODE = 'WC100';
    END IF;
    IF p_context IS NULL OR p_context !~ '^[a-z][a-z_]{1,40}$' OR p_context_id IS NULL THEN
        RAISE EXCEPTION 'A use of % names what it was used for (context and id)', e.asset_id USING ERRCODE = 'WC107';
    END IF;
    PERFORM workcell.assert_equipment_usable(e, NULL);
    IF p_reading IS NOT NULL THEN
        IF e.weighing_unit IS NULL THEN
            RAISE EXCEPTION '% is not a balance: it gives no reading', e.asset_id USING ERRCODE = 'WC107';
        END IF;
        IF jsonb_typeof(p_reading) <> 'object' OR octet_length(p_reading::text) > 1000 THEN
            RAISE EXCEPTION 'A reading is an object: value, unit, tare, device_serial' USING ERRCODE = 'WC107';
        END IF;
        IF p_reading->>'device_serial' IS DISTINCT FROM e.device_serial THEN
            RAISE EXCEPTION 'The balance that sent this reading reports serial %, not % (registered for %)',
                coalesce(p_reading->>'device_serial', 'none'), e.device_serial, e.asset_id
                USING ERRCODE = 'WC109', HINT = 'Connect the station to the balance it names, or scan the balance you use.';
        END IF;
        BEGIN
            v_value := (p_reading->>'value')::numeric;
            v_tare := coalesce((p_reading->>'tare')::numeric, 0);
        EXCEPTION WHEN invalid_text_representation THEN
            RAISE EXCEPTION 'A reading''s value and tare are numbers' USING ERRCODE = 'WC107';
        END;
        IF v_value IS NULL OR p_reading->>'unit' IS DISTINCT FROM e.weighing_unit THEN
            RAISE EXCEPTION '% weighs in %: the reading must be a value in %', e.asset_id, e.weighing_unit,
                e.weighing_unit USING ERRCODE = 'WC107';
        END IF;
        IF abs(v_value) + abs(v_tare) > e.capacity THEN
            RAISE EXCEPTION '% is over the capacity of % (% %)', trim_scale(v_value), e.asset_id,
                trim_scale(e.capacity), e.weighing_unit USING ERRCODE = 'WC107';
        END IF;
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', format('%s used', e.asset_id), true);
    END IF;
    INSERT INTO workcell.equipment_use (equipment_id, context, context_id, calibration_id, calibration_due,
                                        cleaning_id, reading_value, reading_unit, tare_value, device_serial)
    VALUES (e.id, p_context, p_context_id, e.last_calibration_id, e.calibration_due, e.last_cleaning_id,
            v_value, CASE WHEN p_reading IS NOT NULL THEN e.weighing_unit END,
            CASE WHEN p_reading IS NOT NULL THEN v_tare END, p_reading->>'device_serial')
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;
