-- Work order execution. Record guards (SECURITY INVOKER, ENABLE ALWAYS) keep what may
-- change; the station functions (SECURITY DEFINER) are the only writers of step instances,
-- entries, deviations and the output; consumption and output go through the materials
-- ledger (inventory_txn with the work order's production record as context).

-- Work order guard -------------------------------------------------------------------------
-- What was planned never changes; the lock is computed here at the release (whatever the
-- writer supplied) and never changes afterwards, for any writer; completion reconciles the
-- yield. Status moves themselves are workcell.transition_rule's.
CREATE FUNCTION workcell.work_order_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_at timestamptz := now();
    v_bom bigint;
    v_routing bigint;
BEGIN
    IF (NEW.id, NEW.number, NEW.item_id, NEW.quantity, NEW.unit, NEW.due_date, NEW.note, NEW.created_at, NEW.created_by)
       IS DISTINCT FROM (OLD.id, OLD.number, OLD.item_id, OLD.quantity, OLD.unit, OLD.due_date, OLD.note, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION 'Work order % keeps its item, quantity and due date', OLD.number
            USING ERRCODE = 'WC080', HINT = 'Cancel it and plan a new one.';
    END IF;
    IF OLD.lock_hash IS NOT NULL AND (NEW.bom_revision_id, NEW.routing_revision_id, NEW.lock_content, NEW.lock_hash,
            NEW.released_at, NEW.released_by)
       IS DISTINCT FROM (OLD.bom_revision_id, OLD.routing_revision_id, OLD.lock_content, OLD.lock_hash,
            OLD.released_at, OLD.released_by) THEN
        RAISE EXCEPTION 'Work order % is locked to BOM and routing revisions at its release: the lock never changes', OLD.number
            USING ERRCODE = 'WC083', HINT = 'A new revision applies to work orders released after it.';
    END IF;
    IF (OLD.output_lot_id IS NOT NULL AND NEW.output_lot_id IS DISTINCT FROM OLD.output_lot_id)
       OR (OLD.production_record_id IS NOT NULL AND NEW.production_record_id IS DISTINCT FROM OLD.production_record_id) THEN
        RAISE EXCEPTION 'Work order % keeps its output lot', OLD.number USING ERRCODE = 'WC091';
    END IF;
    IF OLD.status = 'planned' AND NEW.status = 'released' THEN
        PERFORM workcell.require_permission('work_order.release');
        SELECT r.id INTO v_bom FROM workcell.bom_revision r
         WHERE r.item_id = NEW.item_id AND r.effective @> v_at;
        SELECT r.id INTO v_routing FROM workcell.routing_revision r
         WHERE r.item_id = NEW.item_id AND r.effective @> v_at;
        IF v_bom IS NULL OR v_routing IS NULL THEN
            RAISE EXCEPTION 'Work order % cannot be released: % has no % in effect now', NEW.number,
                (SELECT item_number FROM workcell.item WHERE id = NEW.item_id),
                concat_ws(' and ', CASE WHEN v_bom IS NULL THEN 'BOM revision' END,
                                   CASE WHEN v_routing IS NULL THEN 'routing revision' END)
                USING ERRCODE = 'WC080', HINT = 'Engineering releases them through an ECO.';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM workcell.routing_step s JOIN workcell.routing_operation o ON o.id = s.operation_id
                        WHERE o.routing_revision_id = v_routing) THEN
            RAISE EXCEPTION 'Work order % cannot be released: its routing has no steps', NEW.number USING ERRCODE = 'WC080';
        END IF;
        NEW.bom_revision_id := v_bom;
        NEW.routing_revision_id := v_routing;
        NEW.released_at := v_at;
        NEW.released_by := workcell.current_actor_id();
        NEW.lock_content := workcell.work_order_lock_content(NEW.item_id, v_bom, v_routing, v_at);
        NEW.lock_hash := workcell.sha256_of(NEW.lock_content);
    ELSIF OLD.lock_hash IS NULL AND (NEW.bom_revision_id, NEW.routing_revision_id, NEW.lock_content, NEW.lock_hash,
            NEW.released_at, NEW.released_by) IS DISTINCT FROM (NULL::bigint, NULL::bigint, NULL::jsonb, NULL::text,
            NULL::timestamptz, NULL::bigint) THEN
        RAISE EXCEPTION 'The lock of work order % is set by its release only', OLD.number USING ERRCODE = 'WC083';
    END IF;
    -- counts of labels are entered while the work order runs
    IF (NEW.labels_issued, NEW.labels_used, NEW.labels_destroyed) IS DISTINCT FROM
       (OLD.labels_issued, OLD.labels_used, OLD.labels_destroyed) AND OLD.status NOT IN ('released', 'in_progress') THEN
        RAISE EXCEPTION 'Label counts of % are entered while it runs (it is %)', OLD.number, OLD.status
            USING ERRCODE = 'WC080';
    END IF;
    IF OLD.status = 'in_progress' AND NEW.status = 'complete' THEN
        NEW.completed_at := now();
        NEW.actual_quantity := coalesce((SELECT sum(t.quantity) FROM workcell.inventory_txn t
                                          WHERE t.production_record_id = OLD.production_record_id
                                            AND t.kind = 'produce'), 0);
        NEW.yield_pct := round(100 * NEW.actual_quantity / OLD.quantity, 3);
    ELSE
        NEW.completed_at := OLD.completed_at;
        NEW.actual_quantity := OLD.actual_quantity;
        NEW.yield_pct := OLD.yield_pct;
    END IF;
    RETURN NEW;
END $$;

-- At the release, one step instance per routing step, in routing order (AFTER UPDATE, named
-- to fire after work_order_transition: a refused move creates nothing).
CREATE FUNCTION workcell.work_order_make_steps() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
BEGIN
    INSERT INTO workcell.step_instance (work_order_id, routing_step_id, seq)
    SELECT NEW.id, s.id, row_number() OVER (ORDER BY o.op_number, s.step_number)
      FROM workcell.routing_step s JOIN workcell.routing_operation o ON o.id = s.operation_id
     WHERE o.routing_revision_id = NEW.routing_revision_id
     ORDER BY o.op_number, s.step_number;
    RETURN NULL;
END $$;

-- At completion, yield and labels reconciled: outside the limits, a deviation the review
-- waits for (AFTER UPDATE, after the transition guard).
CREATE FUNCTION workcell.work_order_reconcile() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_tolerance numeric := (SELECT yield_tolerance_pct FROM workcell.work_order_policy WHERE id = 1);
BEGIN
    IF abs(NEW.yield_pct - 100) > v_tolerance THEN
        INSERT INTO workcell.deviation (work_order_id, kind, what, expected, actual, why)
        VALUES (NEW.id, 'yield', format('Yield of %s outside ±%s%%', NEW.number, trim_scale(v_tolerance)),
                format('%s %s', trim_scale(NEW.quantity), NEW.unit),
                format('%s %s (%s%%)', trim_scale(NEW.actual_quantity), NEW.unit, trim_scale(NEW.yield_pct)),
                'Found by the yield reconciliation at completion');
    END IF;
    IF NEW.labels_issued <> NEW.labels_used + NEW.labels_destroyed THEN
        INSERT INTO workcell.deviation (work_order_id, kind, what, expected, actual, why)
        VALUES (NEW.id, 'labels', format('Labels of %s do not reconcile', NEW.number),
                format('issued %s = used + destroyed', NEW.labels_issued),
                format('used %s + destroyed %s = %s', NEW.labels_used, NEW.labels_destroyed,
                       NEW.labels_used + NEW.labels_destroyed),
                'Found by the label reconciliation at completion');
    END IF;
    RETURN NULL;
END $$;

-- Step instances and deviations: only status (a guarded move) and version change; the
-- times and people of the move are the server's.
CREATE FUNCTION workcell.step_instance_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.status := 'pending'; NEW.started_at := NULL; NEW.started_by := NULL;
        NEW.done_at := NULL; NEW.done_by := NULL;
        RETURN NEW;
    END IF;
    IF (NEW.id, NEW.work_order_id, NEW.routing_step_id, NEW.seq, NEW.created_at)
       IS DISTINCT FROM (OLD.id, OLD.work_order_id, OLD.routing_step_id, OLD.seq, OLD.created_at) THEN
        RAISE EXCEPTION 'A step instance keeps its work order and routing step' USING ERRCODE = 'WC093';
    END IF;
    NEW.started_at := OLD.started_at; NEW.started_by := OLD.started_by;
    NEW.done_at := OLD.done_at; NEW.done_by := OLD.done_by;
    IF OLD.status = 'pending' AND NEW.status = 'in_progress' THEN
        NEW.started_at := now(); NEW.started_by := workcell.current_actor_id();
    ELSIF NEW.status = 'done' AND OLD.status <> 'done' THEN
        NEW.done_at := now(); NEW.done_by := workcell.current_actor_id();
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION workcell.deviation_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.status := 'open'; NEW.decided_at := NULL; NEW.decided_by := NULL;
        RETURN NEW;
    END IF;
    IF (to_jsonb(NEW) - ARRAY['status', 'version', 'decided_at', 'decided_by'])
       IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'version', 'decided_at', 'decided_by']) THEN
        RAISE EXCEPTION 'Deviation % keeps what was recorded', OLD.number USING ERRCODE = 'WC089',
            HINT = 'Open another deviation for anything new.';
    END IF;
    IF NEW.status <> OLD.status THEN
        NEW.decided_at := now(); NEW.decided_by := workcell.current_actor_id();
    ELSE
        NEW.decided_at := OLD.decided_at; NEW.decided_by := OLD.decided_by;
    END IF;
    RETURN NEW;
END $$;

-- A step entry's time, actor, station and flags are the server's, whatever was supplied.
CREATE FUNCTION workcell.step_entry_prepare() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    si workcell.step_instance;
    w workcell.work_order;
    d workcell.routing_step_data;
BEGIN
    SELECT * INTO si FROM workcell.step_instance WHERE id = NEW.step_instance_id;
    SELECT * INTO w FROM workcell.work_order WHERE id = si.work_order_id;
    NEW.entered_at := now();
    NEW.entered_by := workcell.current_actor_id();
    NEW.station := session_user;
    NEW.tx_id := pg_current_xact_id();
    NEW.version := 1;
    NEW.out_of_order := EXISTS (SELECT 1 FROM workcell.step_instance p
                                 WHERE p.work_order_id = si.work_order_id AND p.seq < si.seq AND p.status <> 'done');
    NEW.late := workcell.plant_today() > w.due_date;
    IF NEW.kind = 'value' THEN
        SELECT * INTO d FROM workcell.routing_step_data WHERE id = NEW.step_data_id;
        NEW.out_of_limit := CASE d.kind
            WHEN 'numeric' THEN coalesce(NEW.value_numeric < d.lower_limit, false)
                             OR coalesce(NEW.value_numeric > d.upper_limit, false)
            WHEN 'pass_fail' THEN NOT NEW.value_pass
            ELSE false END;
    ELSE
        NEW.out_of_limit := false;
    END IF;
    RETURN NEW;
END $$;

-- Station functions ------------------------------------------------------------------------

-- Plan a work order (number from the sequence, status planned, the item's unit).
CREATE FUNCTION workcell.wo_create(p_item_id bigint, p_quantity numeric, p_due date, p_note text DEFAULT '')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    i workcell.item;
    v_id bigint;
BEGIN
    PERFORM workcell.require_permission('work_order.create');
    SELECT * INTO i FROM workcell.item WHERE id = p_item_id;
    IF i.id IS NULL THEN
        RAISE EXCEPTION 'There is no item %', p_item_id USING ERRCODE = 'WC080';
    END IF;
    IF i.status <> 'approved' THEN
        RAISE EXCEPTION 'Item % is %: work orders are planned for approved items only', i.item_number, i.status
            USING ERRCODE = 'WC080';
    END IF;
    IF p_quantity IS NULL OR p_quantity <= 0 OR p_quantity <> round(p_quantity, 6)
       OR (i.tracking = 'serial' AND p_quantity <> trunc(p_quantity)) THEN
        RAISE EXCEPTION 'Plan a quantity above 0 (whole units for serialised %, at most 6 decimals)', i.item_number
            USING ERRCODE = 'WC080';
    END IF;
    IF p_due IS NULL OR p_due < workcell.plant_today() THEN
        RAISE EXCEPTION 'The due date % has passed', p_due USING ERRCODE = 'WC080';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', 'work order planned', true);
    END IF;
    INSERT INTO workcell.work_order (item_id, quantity, unit, due_date, note)
    VALUES (i.id, p_quantity, i.unit, p_due, left(btrim(coalesce(p_note, '')), 500))
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

-- Did this person take part in the work order (an entry, a performed or verified step)?
CREATE FUNCTION workcell.wo_took_part(p_work_order_id bigint, p_user_id bigint) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(
        (SELECT format('signed step %s as %s', si.seq, s.meaning)
           FROM workcell.signature s JOIN workcell.step_instance si ON si.id = s.record_id
          WHERE s.record_type = 'step_instance' AND si.work_order_id = p_work_order_id
            AND s.signer_id = p_user_id AND s.meaning IN ('performed', 'verified')
          ORDER BY s.id LIMIT 1),
        (SELECT format('made entries at step %s', si.seq)
           FROM workcell.step_entry e JOIN workcell.step_instance si ON si.id = e.step_instance_id
          WHERE si.work_order_id = p_work_order_id AND e.entered_by = p_user_id
          ORDER BY e.id LIMIT 1))
$$;

-- The step instance, locked, open for work by the session holder: the work order runs, the
-- step is not done, nobody changed it since the station read it (p_expected_version; NULL
-- when the caller has no version to compare, e.g. a scan), the person holds work.execute
-- and is qualified. A pending step starts (and a released work order moves in progress).
CREATE FUNCTION workcell.wo_open_step(p_step_instance_id bigint, p_expected_version integer, p_doing text)
RETURNS workcell.step_instance
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    si workcell.step_instance;
    w workcell.work_order;
BEGIN
    PERFORM workcell.require_permission('work.execute');
    SELECT * INTO si FROM workcell.step_instance WHERE id = p_step_instance_id FOR UPDATE;
    IF si.id IS NULL THEN
        RAISE EXCEPTION 'There is no step %', p_step_instance_id USING ERRCODE = 'WC084';
    END IF;
    SELECT * INTO w FROM workcell.work_order WHERE id = si.work_order_id FOR NO KEY UPDATE;
    IF w.status NOT IN ('released', 'in_progress') THEN
        RAISE EXCEPTION 'Work order % is %: nothing is recorded on it', w.number, replace(w.status, '_', ' ')
            USING ERRCODE = 'WC084';
    END IF;
    IF si.status = 'done' THEN
        RAISE EXCEPTION 'Step % of % is done: nothing more is recorded on it', si.seq, w.number
            USING ERRCODE = 'WC084', HINT = 'Open a deviation if something was missed.';
    END IF;
    IF p_expected_version IS NOT NULL AND si.version <> p_expected_version THEN
        RAISE EXCEPTION 'Step % of % changed at another station (now version %, you saw %)', si.seq, w.number,
            si.version, p_expected_version
            USING ERRCODE = 'WC081', HINT = 'Your entry was not saved: look at the step again, then enter it.';
    END IF;
    PERFORM workcell.assert_qualified(workcell.current_actor_id(), si.id, p_doing);
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', left(format('%s: %s', w.number, p_doing), 200), true);
    END IF;
    IF w.status = 'released' THEN
        UPDATE workcell.work_order SET status = 'in_progress', version = version + 1 WHERE id = w.id;
    END IF;
    UPDATE workcell.step_instance
       SET status = CASE WHEN status = 'pending' THEN 'in_progress' ELSE status END, version = version + 1
     WHERE id = si.id
    RETURNING * INTO si;
    RETURN si;
END $$;

-- One value entry (new or correcting p_supersedes), with its deviation when out of limit.
CREATE FUNCTION workcell.wo_put_value(si workcell.step_instance, d workcell.routing_step_data, p_value text,
                                      p_supersedes bigint, p_reason text, p_equipment_id bigint, p_value_source text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_num numeric;
    v_pass boolean;
    v_text text;
    e workcell.step_entry;
    v_value text := btrim(coalesce(p_value, ''));
BEGIN
    IF v_value = '' THEN
        RAISE EXCEPTION '% needs a value', d.label USING ERRCODE = 'WC085';
    END IF;
    IF d.kind = 'numeric' THEN
        BEGIN
            v_num := v_value::numeric;
        EXCEPTION WHEN others THEN
            RAISE EXCEPTION '"%" is not a number (% in %)', left(v_value, 40), d.label, d.unit USING ERRCODE = 'WC085';
        END;
        IF v_num <> round(v_num, 6) OR abs(v_num) >= 1e12 THEN
            RAISE EXCEPTION '% has at most 6 decimals and 12 digits', d.label USING ERRCODE = 'WC085';
        END IF;
    ELSIF d.kind = 'pass_fail' THEN
        v_pass := CASE lower(v_value) WHEN 'pass' THEN true WHEN 'fail' THEN false END;
        IF v_pass IS NULL THEN
            RAISE EXCEPTION '% is pass or fail', d.label USING ERRCODE = 'WC085';
        END IF;
    ELSIF d.kind = 'text' THEN
        IF length(v_value) > 2000 THEN
            RAISE EXCEPTION '% has at most 2000 characters', d.label USING ERRCODE = 'WC085';
        END IF;
        v_text := v_value;
    ELSE
        RAISE EXCEPTION '% is a lot scan: scan the lot', d.label USING ERRCODE = 'WC085';
    END IF;
    IF p_value_source IS DISTINCT FROM 'typed' AND (p_value_source IS DISTINCT FROM 'balance' OR p_equipment_id IS NULL) THEN
        RAISE EXCEPTION 'A value is typed, or read from a balance named by its equipment id' USING ERRCODE = 'WC085';
    END IF;
    INSERT INTO workcell.step_entry (step_instance_id, step_data_id, kind, value_numeric, value_pass, value_text,
                                     supersedes, reason, equipment_id, value_source)
    VALUES (si.id, d.id, 'value', v_num, v_pass, v_text, p_supersedes, left(btrim(coalesce(p_reason, '')), 500),
            p_equipment_id, p_value_source)
    RETURNING * INTO e;
    IF e.out_of_limit THEN
        INSERT INTO workcell.deviation (work_order_id, step_instance_id, step_entry_id, kind, what, expected, actual, why)
        VALUES (si.work_order_id, si.id, e.id, 'out_of_limit', format('%s out of limit', d.label),
                CASE d.kind WHEN 'pass_fail' THEN 'pass'
                     ELSE concat_ws(' ', CASE WHEN d.lower_limit IS NOT NULL THEN '≥ ' || trim_scale(d.lower_limit) END,
                                    CASE WHEN d.upper_limit IS NOT NULL THEN '≤ ' || trim_scale(d.upper_limit) END, d.unit) END,
                CASE d.kind WHEN 'pass_fail' THEN 'fail' ELSE trim_scale(v_num) || ' ' || d.unit END,
                'Recorded outside the routing''s limits; opened by the database');
    END IF;
    RETURN e.id;
END $$;

-- Record a value for a data field of a step (numeric, pass/fail, text), once; a second
-- value for the same field is a correction (wo_correct).
CREATE FUNCTION workcell.wo_enter(p_step_instance_id bigint, p_code text, p_value text, p_expected_version integer,
                                  p_equipment_id bigint DEFAULT NULL, p_value_source text DEFAULT 'typed')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    si workcell.step_instance;
    d workcell.routing_step_data;
BEGIN
    si := workcell.wo_open_step(p_step_instance_id, p_expected_version, 'record values at this step');
    SELECT * INTO d FROM workcell.routing_step_data
     WHERE step_id = si.routing_step_id AND code = upper(btrim(coalesce(p_code, '')));
    IF d.id IS NULL THEN
        RAISE EXCEPTION 'Step % records no field "%"', si.seq, left(p_code, 30) USING ERRCODE = 'WC085';
    END IF;
    IF EXISTS (SELECT 1 FROM workcell.step_entry e WHERE e.step_instance_id = si.id AND e.step_data_id = d.id
                  AND e.kind = 'value') THEN
        RAISE EXCEPTION '% is recorded already at step %', d.label, si.seq
            USING ERRCODE = 'WC085', HINT = 'Correct it, with the reason; the first value is kept.';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', format('step entry %s', d.code), true);
    END IF;
    RETURN workcell.wo_put_value(si, d, p_value, NULL, '', p_equipment_id, coalesce(p_value_source, 'typed'));
END $$;

-- Correct a value: the old entry stays, the new one supersedes it with the reason.
CREATE FUNCTION workcell.wo_correct(p_entry_id bigint, p_value text, p_reason text, p_expected_version integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    e workcell.step_entry;
    si workcell.step_instance;
    d workcell.routing_step_data;
BEGIN
    SELECT * INTO e FROM workcell.step_entry WHERE id = p_entry_id;
    IF e.id IS NULL THEN
        RAISE EXCEPTION 'There is no entry %', p_entry_id USING ERRCODE = 'WC085';
    END IF;
    si := workcell.wo_open_step(e.step_instance_id, p_expected_version, 'correct values at this step');
    IF e.kind <> 'value' THEN
        RAISE EXCEPTION 'A scan or an output is not corrected: it went through the inventory ledger'
            USING ERRCODE = 'WC085', HINT = 'Open a deviation and let QA decide.';
    END IF;
    IF EXISTS (SELECT 1 FROM workcell.step_entry n WHERE n.supersedes = e.id) THEN
        RAISE EXCEPTION 'Entry % was corrected already: correct the newest value', e.id USING ERRCODE = 'WC085';
    END IF;
    IF nullif(btrim(coalesce(p_reason, '')), '') IS NULL THEN
        RAISE EXCEPTION 'A correction gives its reason' USING ERRCODE = 'WC003';
    END IF;
    SELECT * INTO d FROM workcell.routing_step_data WHERE id = e.step_data_id;
    PERFORM set_config('workcell.reason', left(btrim(p_reason), 500), true);
    RETURN workcell.wo_put_value(si, d, p_value, e.id, p_reason, e.equipment_id, 'typed');
END $$;

-- The work order's output lot and production record, created with its first consumption or
-- output (in quarantine, the work order's quantity as planned; the ledger holds what was made).
CREATE FUNCTION workcell.wo_output_context(p_work_order_id bigint) RETURNS workcell.work_order
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w workcell.work_order;
    i workcell.item;
    v_lot bigint;
    v_record bigint;
BEGIN
    SELECT * INTO w FROM workcell.work_order WHERE id = p_work_order_id FOR NO KEY UPDATE;
    IF w.production_record_id IS NOT NULL THEN
        RETURN w;
    END IF;
    SELECT * INTO i FROM workcell.item WHERE id = w.item_id;
    INSERT INTO workcell.lot (lot_number, item_id, origin, quantity, unit, manufactured_date)
    VALUES (workcell.next_lot_number(i.item_number), i.id, 'produced', w.quantity, w.unit, workcell.plant_today())
    RETURNING id INTO v_lot;
    INSERT INTO workcell.production_record (lot_id, note, work_order_id)
    VALUES (v_lot, 'work order ' || w.number, w.id)
    RETURNING id INTO v_record;
    UPDATE workcell.work_order SET output_lot_id = v_lot, production_record_id = v_record, version = version + 1
     WHERE id = w.id
    RETURNING * INTO w;
    RETURN w;
END $$;

-- A component scan: the lot's item must be on the locked BOM and scanned at this step; the
-- ledger refuses a lot in quarantine, on hold, expired or short (WC06x); on success the
-- consumption, the genealogy edge to the output lot and the step entry commit together.
CREATE FUNCTION workcell.wo_consume(p_work_order_id bigint, p_step_instance_id bigint, p_lot_id bigint,
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
    IF p_unit IS DISTINCT FROM l.unit THEN
        RAISE EXCEPTION 'Lot % is counted in %, not %', l.lot_number, l.unit, coalesce(p_unit, 'no unit')
            USING ERRCODE = 'WC085';
    END IF;
    IF p_quantity IS NULL OR p_quantity <= 0 THEN
        RAISE EXCEPTION 'A consumption is more than 0 %', l.unit USING ERRCODE = 'WC085';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', format('%s consumed into %s', l.lot_number, w.number), true);
    END IF;
    w := workcell.wo_output_context(w.id);
    INSERT INTO workcell.inventory_txn (kind, lot_id, serial_id, from_bin_id, quantity, unit, production_record_id)
    VALUES ('consume', l.id, p_serial_id, p_bin_id, p_quantity, l.unit, w.production_record_id)
    RETURNING id INTO v_txn;
    INSERT INTO workcell.genealogy_edge (parent_lot_id, parent_serial_id, child_lot_id, quantity, unit,
                                         consume_txn_id, production_record_id)
    VALUES (l.id, p_serial_id, w.output_lot_id, p_quantity, l.unit, v_txn, w.production_record_id);
    INSERT INTO workcell.step_entry (step_instance_id, step_data_id, kind, lot_id, serial_id, bin_id, quantity, unit,
                                     inventory_txn_id)
    VALUES (si.id, d.id, 'scan', l.id, p_serial_id, p_bin_id, p_quantity, l.unit, v_txn)
    RETURNING id INTO v_entry;
    RETURN v_entry;
END $$;

-- The output made at an output step: into a quarantine bin, with its serials for a
-- serialised item (one ledger transaction each). Returns the last entry's id.
CREATE FUNCTION workcell.wo_produce(p_step_instance_id bigint, p_quantity numeric, p_bin_id bigint,
                                    p_serials text[], p_expected_version integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    si workcell.step_instance;
    w workcell.work_order;
    i workcell.item;
    v_txn bigint;
    v_serial bigint;
    v_entry bigint;
    v_number text;
BEGIN
    si := workcell.wo_open_step(p_step_instance_id, p_expected_version, 'record output at this step');
    IF NOT (SELECT output FROM workcell.routing_step WHERE id = si.routing_step_id) THEN
        RAISE EXCEPTION 'Step % does not make the output of the work order', si.seq USING ERRCODE = 'WC091';
    END IF;
    SELECT * INTO w FROM workcell.work_order WHERE id = si.work_order_id;
    SELECT * INTO i FROM workcell.item WHERE id = w.item_id;
    IF p_quantity IS NULL OR p_quantity <= 0 THEN
        RAISE EXCEPTION 'Output is more than 0 %', w.unit USING ERRCODE = 'WC091';
    END IF;
    IF i.tracking = 'serial' AND (p_serials IS NULL OR cardinality(p_serials) <> p_quantity) THEN
        RAISE EXCEPTION '% is serialised: % serial numbers are needed, % given', i.item_number,
            trim_scale(p_quantity), coalesce(cardinality(p_serials), 0) USING ERRCODE = 'WC091';
    END IF;
    IF i.tracking <> 'serial' AND cardinality(p_serials) > 0 THEN
        RAISE EXCEPTION '% is not serialised', i.item_number USING ERRCODE = 'WC091';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', format('output of %s', w.number), true);
    END IF;
    w := workcell.wo_output_context(w.id);
    IF i.tracking = 'serial' THEN
        FOR v_number IN SELECT unnest(p_serials) LOOP
            INSERT INTO workcell.serial (item_id, lot_id, serial_number) VALUES (i.id, w.output_lot_id, btrim(v_number))
            RETURNING id INTO v_serial;
            INSERT INTO workcell.inventory_txn (kind, lot_id, serial_id, to_bin_id, quantity, unit, production_record_id)
            VALUES ('produce', w.output_lot_id, v_serial, p_bin_id, 1, w.unit, w.production_record_id)
            RETURNING id INTO v_txn;
            INSERT INTO workcell.step_entry (step_instance_id, kind, lot_id, serial_id, bin_id, quantity, unit, inventory_txn_id)
            VALUES (si.id, 'output', w.output_lot_id, v_serial, p_bin_id, 1, w.unit, v_txn)
            RETURNING id INTO v_entry;
        END LOOP;
    ELSE
        INSERT INTO workcell.inventory_txn (kind, lot_id, to_bin_id, quantity, unit, production_record_id)
        VALUES ('produce', w.output_lot_id, p_bin_id, p_quantity, w.unit, w.production_record_id)
        RETURNING id INTO v_txn;
        INSERT INTO workcell.step_entry (step_instance_id, kind, lot_id, bin_id, quantity, unit, inventory_txn_id)
        VALUES (si.id, 'output', w.output_lot_id, p_bin_id, p_quantity, w.unit, v_txn)
        RETURNING id INTO v_entry;
    END IF;
    RETURN v_entry;
END $$;

-- A deviation opened by hand at a step: a substitution, a skipped check, anything else.
CREATE FUNCTION workcell.wo_open_deviation(p_step_instance_id bigint, p_kind text, p_what text, p_expected text,
                                           p_actual text, p_why text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    si workcell.step_instance;
    v_id bigint;
BEGIN
    PERFORM workcell.require_permission('deviation.open');
    SELECT * INTO si FROM workcell.step_instance WHERE id = p_step_instance_id FOR UPDATE;
    IF si.id IS NULL THEN
        RAISE EXCEPTION 'There is no step %', p_step_instance_id USING ERRCODE = 'WC084';
    END IF;
    IF si.status = 'done' OR (SELECT status FROM workcell.work_order WHERE id = si.work_order_id)
                              NOT IN ('released', 'in_progress') THEN
        RAISE EXCEPTION 'Step % is closed: a deviation is opened while it runs', si.seq USING ERRCODE = 'WC089';
    END IF;
    IF p_kind NOT IN ('substitution', 'skipped_check', 'other') THEN
        RAISE EXCEPTION 'A deviation opened by hand is a substitution, a skipped check or other' USING ERRCODE = 'WC089';
    END IF;
    IF nullif(btrim(coalesce(p_what, '')), '') IS NULL OR nullif(btrim(coalesce(p_why, '')), '') IS NULL THEN
        RAISE EXCEPTION 'A deviation says what happened and why' USING ERRCODE = 'WC089';
    END IF;
    IF length(p_what) > 500 OR length(p_expected) > 500 OR length(p_actual) > 500 OR length(p_why) > 2000 THEN
        RAISE EXCEPTION 'A deviation''s what, expected and actual have at most 500 characters, its why 2000'
            USING ERRCODE = '22001';
    END IF;
    PERFORM set_config('workcell.reason', left(format('deviation: %s', btrim(p_what)), 200), true);
    UPDATE workcell.step_instance SET version = version + 1 WHERE id = si.id;
    INSERT INTO workcell.deviation (work_order_id, step_instance_id, kind, what, expected, actual, why)
    VALUES (si.work_order_id, si.id, p_kind, btrim(p_what), btrim(coalesce(p_expected, '')),
            btrim(coalesce(p_actual, '')), btrim(p_why))
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

-- Close a step (the guarded move in_progress → done), if nobody changed it meanwhile.
CREATE FUNCTION workcell.wo_step_done(p_step_instance_id bigint, p_expected_version integer) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    si workcell.step_instance;
BEGIN
    SELECT * INTO si FROM workcell.step_instance WHERE id = p_step_instance_id FOR UPDATE;
    IF si.id IS NULL THEN
        RAISE EXCEPTION 'There is no step %', p_step_instance_id USING ERRCODE = 'WC084';
    END IF;
    IF si.version <> p_expected_version THEN
        RAISE EXCEPTION 'Step % changed at another station (now version %, you saw %)', si.seq, si.version,
            p_expected_version USING ERRCODE = 'WC081', HINT = 'Look at the step again.';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', format('step %s done', si.seq), true);
    END IF;
    IF si.status = 'pending' THEN
        -- a step that records nothing (signatures only) starts as it closes
        si := workcell.wo_open_step(si.id, p_expected_version, 'close this step');
    END IF;
    UPDATE workcell.step_instance SET status = 'done', version = version + 1 WHERE id = si.id;
END $$;
