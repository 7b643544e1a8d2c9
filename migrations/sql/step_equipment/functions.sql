-- The station functions of equipment at a step (SECURITY DEFINER, attributed to the session
-- holder) and the checks every writer meets (triggers, ENABLE ALWAYS).

-- The unit used at this step: scanned (its asset tag) or picked. Refused, with the reason
-- an operator can act on, when the step names no class, or the unit is unknown, of another
-- class, out of service, out of calibration or not clean (WC100-WC104, from
-- workcell.equipment_usable); nothing is recorded then. Returns the step_equipment id.
CREATE FUNCTION workcell.wo_use_equipment(p_step_instance_id bigint, p_asset text, p_expected_version integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    si workcell.step_instance;
    v_class text;
    v_equipment bigint;
    v_use bigint;
    v_id bigint;
BEGIN
    si := workcell.wo_open_step(p_step_instance_id, p_expected_version, 'record the equipment used at this step');
    v_class := (SELECT equipment_class FROM workcell.routing_step WHERE id = si.routing_step_id);
    IF v_class IS NULL THEN
        RAISE EXCEPTION 'Step % names no equipment: there is no unit to record at it', si.seq
            USING ERRCODE = 'WC150';
    END IF;
    v_equipment := workcell.equipment_usable(p_asset, v_class);
    PERFORM set_config('workcell.reason', left(format('%s used at step %s', upper(btrim(p_asset)), si.seq), 200), true);
    v_use := workcell.record_equipment_use(v_equipment, 'step_instance', si.id, NULL);
    INSERT INTO workcell.step_equipment (step_instance_id, equipment_id, equipment_use_id, class_code)
    VALUES (si.id, v_equipment, v_use, v_class)
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

-- A numeric value read from the balance recorded as the unit used at this step: the
-- reading ({"value", "unit", "tare", "device_serial"}, stable readings only) is checked
-- against the registered balance (serial, unit, capacity, usable now) and stored as an
-- equipment use; the entry names it (value_source 'balance'). A second value for the field
-- is a correction (p_reason required; the first value stays). Out of limits: flagged and a
-- deviation opened, as for a typed value.
CREATE FUNCTION workcell.wo_weigh(p_step_instance_id bigint, p_code text, p_reading jsonb, p_reason text,
                                  p_expected_version integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    si workcell.step_instance;
    d workcell.routing_step_data;
    u workcell.step_equipment;
    e workcell.equipment;
    x workcell.step_entry;
    v_current bigint;
    v_use bigint;
    v_value numeric;
BEGIN
    si := workcell.wo_open_step(p_step_instance_id, p_expected_version, 'record values at this step');
    SELECT * INTO d FROM workcell.routing_step_data
     WHERE step_id = si.routing_step_id AND code = upper(btrim(coalesce(p_code, '')));
    IF d.id IS NULL THEN
        RAISE EXCEPTION 'Step % records no field "%"', si.seq, left(p_code, 30) USING ERRCODE = 'WC085';
    END IF;
    IF d.kind <> 'numeric' THEN
        RAISE EXCEPTION '% is not a measured value: it is not read from a balance', d.label USING ERRCODE = 'WC154';
    END IF;
    SELECT * INTO u FROM workcell.step_equipment WHERE step_instance_id = si.id ORDER BY id DESC LIMIT 1;
    IF u.id IS NULL THEN
        RAISE EXCEPTION 'Record the balance used at step % first (scan its asset tag)', si.seq
            USING ERRCODE = 'WC153';
    END IF;
    SELECT * INTO e FROM workcell.equipment WHERE id = u.equipment_id;
    IF e.weighing_unit IS NULL THEN
        RAISE EXCEPTION '% is not a balance: % is typed', e.asset_id, d.label USING ERRCODE = 'WC154';
    END IF;
    IF d.unit IS DISTINCT FROM e.weighing_unit THEN
        RAISE EXCEPTION '% weighs in %; % is recorded in %', e.asset_id, e.weighing_unit, d.label, d.unit
            USING ERRCODE = 'WC154', HINT = 'Type the value, converted, or use a balance in the field''s unit.';
    END IF;
    SELECT n.id INTO v_current FROM workcell.step_entry n
     WHERE n.step_instance_id = si.id AND n.step_data_id = d.id AND n.kind = 'value'
       AND NOT EXISTS (SELECT 1 FROM workcell.step_entry m WHERE m.supersedes = n.id)
     ORDER BY n.id DESC LIMIT 1;
    IF v_current IS NOT NULL AND nullif(btrim(coalesce(p_reason, '')), '') IS NULL THEN
        RAISE EXCEPTION '% is recorded already at step %: a new reading is a correction, with its reason', d.label, si.seq
            USING ERRCODE = 'WC003';
    END IF;
    PERFORM set_config('workcell.reason', left(coalesce(nullif(btrim(p_reason), ''),
        format('%s read from %s', d.code, e.asset_id)), 500), true);
    -- serial, unit, capacity, usable now (calibration, cleaning, status): the register's rules
    v_use := workcell.record_equipment_use(e.id, 'step_instance', si.id, p_reading);
    v_value := (SELECT reading_value FROM workcell.equipment_use WHERE id = v_use);
    IF v_value <> round(v_value, 6) OR abs(v_value) >= 1e12 THEN
        RAISE EXCEPTION '% has at most 6 decimals and 12 digits', d.label USING ERRCODE = 'WC085';
    END IF;
    INSERT INTO workcell.step_entry (step_instance_id, step_data_id, kind, value_numeric, supersedes, reason,
                                     equipment_id, value_source, equipment_use_id)
    VALUES (si.id, d.id, 'value', v_value, v_current,
            CASE WHEN v_current IS NOT NULL THEN left(btrim(p_reason), 500) ELSE '' END,
            e.id, 'balance', v_use)
    RETURNING * INTO x;
    IF x.out_of_limit THEN
        INSERT INTO workcell.deviation (work_order_id, step_instance_id, step_entry_id, kind, what, expected, actual, why)
        VALUES (si.work_order_id, si.id, x.id, 'out_of_limit', format('%s out of limit', d.label),
                concat_ws(' ', CASE WHEN d.lower_limit IS NOT NULL THEN '≥ ' || trim_scale(d.lower_limit) END,
                          CASE WHEN d.upper_limit IS NOT NULL THEN '≤ ' || trim_scale(d.upper_limit) END, d.unit),
                format('%s %s (read from %s)', trim_scale(v_value), d.unit, e.asset_id),
                coalesce(nullif(btrim(p_reason), ''), 'Read from the balance outside the routing''s limits; opened by the database'));
    END IF;
    RETURN x.id;
END $$;

-- What the unit used at a step records, whoever writes it: the server's time, actor and
-- station; the class the routing step names.
CREATE FUNCTION workcell.step_equipment_prepare() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.entered_at := now();
    NEW.entered_by := workcell.current_actor_id();
    NEW.station := session_user;
    NEW.version := 1;
    IF NEW.class_code IS DISTINCT FROM (SELECT s.equipment_class FROM workcell.step_instance si
                                          JOIN workcell.routing_step s ON s.id = si.routing_step_id
                                         WHERE si.id = NEW.step_instance_id)
       OR NEW.class_code IS DISTINCT FROM (SELECT class_code FROM workcell.equipment WHERE id = NEW.equipment_id)
       OR NOT EXISTS (SELECT 1 FROM workcell.equipment_use x WHERE x.id = NEW.equipment_use_id
                         AND x.equipment_id = NEW.equipment_id AND x.context = 'step_instance'
                         AND x.context_id = NEW.step_instance_id AND x.tx_id = pg_current_xact_id()) THEN
        RAISE EXCEPTION 'The unit used at a step is of the class its routing step names, recorded now with its use'
            USING ERRCODE = 'WC150';
    END IF;
    RETURN NEW;
END $$;

-- A value marked as read from a balance is the balance's reading, recorded in this
-- transaction for this step by the unit the entry names (workcell.wo_weigh); a typed value
-- carries no reading. BEFORE INSERT on step_entry, after step_entry_prepare.
CREATE FUNCTION workcell.step_entry_weighing_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.value_source = 'balance' THEN
        IF NEW.kind <> 'value' OR NEW.equipment_use_id IS NULL OR NOT EXISTS (
               SELECT 1 FROM workcell.equipment_use x
                WHERE x.id = NEW.equipment_use_id AND x.equipment_id = NEW.equipment_id
                  AND x.context = 'step_instance' AND x.context_id = NEW.step_instance_id
                  AND x.tx_id = pg_current_xact_id() AND x.reading_value IS NOT NULL
                  AND x.reading_value = NEW.value_numeric) THEN
            RAISE EXCEPTION 'A value marked as read from a balance is the balance''s own reading, recorded with it'
                USING ERRCODE = 'WC153', HINT = 'Read the balance at the step, or type the value (it is marked typed).';
        END IF;
    ELSIF NEW.equipment_use_id IS NOT NULL THEN
        RAISE EXCEPTION 'A typed value carries no balance reading' USING ERRCODE = 'WC153';
    END IF;
    RETURN NEW;
END $$;

-- What the equipment rules still ask of a step (empty: nothing): the unit its routing
-- step's class needs.
CREATE FUNCTION workcell.step_equipment_blockers(p_step_instance_id bigint) RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN s.equipment_class IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM workcell.step_equipment u WHERE u.step_instance_id = si.id)
                THEN ARRAY[format('%s used not recorded (scan its asset tag)', s.equipment_class)]
                ELSE '{}'::text[] END
      FROM workcell.step_instance si JOIN workcell.routing_step s ON s.id = si.routing_step_id
     WHERE si.id = p_step_instance_id
$$;

-- "performed" is signed once the unit used is recorded, when the routing step names a
-- class (BEFORE INSERT on workcell.signature, any writer).
CREATE FUNCTION workcell.step_equipment_signature_rule() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_missing text[];
BEGIN
    IF NEW.record_type = 'step_instance' AND NEW.meaning = 'performed' THEN
        v_missing := workcell.step_equipment_blockers(NEW.record_id);
        IF cardinality(v_missing) > 0 THEN
            RAISE EXCEPTION 'Step % is signed "performed" once the equipment used is recorded: %',
                (SELECT seq FROM workcell.step_instance WHERE id = NEW.record_id), v_missing[1]
                USING ERRCODE = 'WC151', HINT = 'Scan the unit you used (or pick it), then sign.';
        END IF;
    END IF;
    RETURN NEW;
END $$;

-- A step naming a class does not close without its unit (BEFORE UPDATE on step_instance).
CREATE FUNCTION workcell.step_instance_equipment_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_missing text[];
BEGIN
    IF NEW.status = 'done' AND OLD.status <> 'done' THEN
        v_missing := workcell.step_equipment_blockers(NEW.id);
        IF cardinality(v_missing) > 0 THEN
            RAISE EXCEPTION 'Step % cannot be done yet: %', NEW.seq, v_missing[1] USING ERRCODE = 'WC152';
        END IF;
    END IF;
    RETURN NEW;
END $$;
