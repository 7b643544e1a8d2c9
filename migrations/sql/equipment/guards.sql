-- Record guards of the equipment registry (SECURITY INVOKER, ENABLE ALWAYS). A class and a
-- unit are written by holders of equipment.manage; what identifies a unit (asset id, class,
-- the instrument's serial, a balance's readability and capacity) never changes; its due
-- dates and last records change only from inside the calibration and cleaning triggers.
-- Status moves are workcell.transition_rule's (rules.sql).

CREATE FUNCTION workcell.equipment_class_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM workcell.require_permission('equipment.manage');
    IF TG_OP = 'UPDATE' AND (NEW.name, NEW.weighing, NEW.created_at, NEW.created_by)
       IS DISTINCT FROM (OLD.name, OLD.weighing, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION 'Equipment class % keeps its name and kind', OLD.name
            USING ERRCODE = 'WC105', HINT = 'Make a new class for another kind of equipment.';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION workcell.equipment_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c workcell.equipment_class;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM workcell.require_permission('equipment.manage');
        SELECT * INTO c FROM workcell.equipment_class WHERE name = NEW.class_code;
        IF c.name IS NULL THEN
            RAISE EXCEPTION 'There is no equipment class %', NEW.class_code USING ERRCODE = 'WC100';
        END IF;
        IF c.weighing AND (NEW.readability IS NULL OR NEW.capacity IS NULL OR NEW.device_serial IS NULL) THEN
            RAISE EXCEPTION 'A % is registered with its readability, capacity, unit and the serial number it reports', c.name
                USING ERRCODE = 'WC105', HINT = 'Read the serial from the balance (MT-SICS I4) or its type plate.';
        END IF;
        IF NOT c.weighing AND NEW.readability IS NOT NULL THEN
            RAISE EXCEPTION 'Only balances have a readability and capacity (% is not one)', c.name
                USING ERRCODE = 'WC105';
        END IF;
        -- due dates come from calibration and cleaning records, never from registration
        NEW.calibration_due := NULL; NEW.last_calibration_id := NULL;
        NEW.cleaning_due := NULL; NEW.last_cleaned_at := NULL; NEW.last_cleaning_id := NULL;
        RETURN NEW;
    END IF;
    IF (NEW.asset_id, NEW.class_code, NEW.device_serial, NEW.readability, NEW.capacity, NEW.weighing_unit,
        NEW.created_at, NEW.created_by)
       IS DISTINCT FROM (OLD.asset_id, OLD.class_code, OLD.device_serial, OLD.readability, OLD.capacity,
        OLD.weighing_unit, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION 'Equipment % keeps its asset id, class, serial number and balance data', OLD.asset_id
            USING ERRCODE = 'WC105', HINT = 'A different instrument is registered as a new unit.';
    END IF;
    IF pg_trigger_depth() < 2 AND (NEW.calibration_due, NEW.last_calibration_id, NEW.cleaning_due,
        NEW.last_cleaned_at, NEW.last_cleaning_id)
       IS DISTINCT FROM (OLD.calibration_due, OLD.last_calibration_id, OLD.cleaning_due,
        OLD.last_cleaned_at, OLD.last_cleaning_id) THEN
        RAISE EXCEPTION 'The calibration and cleaning dates of % come from its records only', OLD.asset_id
            USING ERRCODE = 'WC108', HINT = 'Record a calibration or a cleaning; the dates follow.';
    END IF;
    IF OLD.status = 'retired' AND (NEW.description, NEW.location) IS DISTINCT FROM (OLD.description, OLD.location) THEN
        RAISE EXCEPTION 'Equipment % is retired: its record is closed', OLD.asset_id USING ERRCODE = 'WC105';
    END IF;
    -- a status move is checked by its transition rule; anything else is master data
    IF pg_trigger_depth() < 2 AND (NEW.description, NEW.location) IS DISTINCT FROM (OLD.description, OLD.location) THEN
        PERFORM workcell.require_permission('equipment.manage');
    END IF;
    IF NEW.status IS NOT DISTINCT FROM OLD.status AND NEW.status_reason IS DISTINCT FROM OLD.status_reason THEN
        RAISE EXCEPTION 'The status reason of % changes with its status', OLD.asset_id USING ERRCODE = 'WC105';
    END IF;
    RETURN NEW;
END $$;
