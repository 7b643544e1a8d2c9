-- The inspection at a step: opened by the database when the work order reaches the step,
-- and a gate on the step (signatures, closing) until it has an accepted disposition. Every
-- check is a trigger (ENABLE ALWAYS) or a SECURITY DEFINER function; stations write none
-- of it directly.

-- Open the inspection a step names, once: the work order's output lot inspected against the
-- released template of the item being made, the sample size from the lot size by the
-- template's plan (workcell.open_inspection, migration 0018). The output lot is made here
-- (in quarantine, the work order's quantity as planned) only when the step starts
-- (p_make_lot: the performer's own action, who may produce); a step reached before any lot
-- exists opens its inspection when it starts. Returns the inspection id, or NULL when the
-- step names none or it waits for its start.
CREATE FUNCTION workcell.step_inspection_open(p_step_instance_id bigint, p_make_lot boolean) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    si workcell.step_instance;
    w workcell.work_order;
    v_type text;
    v_id bigint;
BEGIN
    SELECT * INTO si FROM workcell.step_instance WHERE id = p_step_instance_id;
    v_type := (SELECT inspection_type FROM workcell.routing_step WHERE id = si.routing_step_id);
    IF v_type IS NULL THEN
        RETURN NULL;
    END IF;
    v_id := (SELECT inspection_id FROM workcell.step_inspection WHERE step_instance_id = si.id);
    IF v_id IS NOT NULL THEN
        RETURN v_id;
    END IF;
    IF NOT p_make_lot AND (SELECT output_lot_id FROM workcell.work_order WHERE id = si.work_order_id) IS NULL THEN
        RETURN NULL;
    END IF;
    w := workcell.wo_output_context(si.work_order_id);
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', format('%s reached step %s: %s inspection opened', w.number, si.seq,
                                                     replace(v_type, '_', '-')), true);
    END IF;
    v_id := workcell.open_inspection(w.output_lot_id, v_type);
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'Step % of % makes a % inspection, and % has no released % inspection template', si.seq, w.number,
            replace(v_type, '_', '-'), (SELECT item_number FROM workcell.item WHERE id = w.item_id), replace(v_type, '_', '-')
            USING ERRCODE = 'WC190', HINT = 'QA releases the template; then the step goes on.';
    END IF;
    INSERT INTO workcell.step_inspection (step_instance_id, inspection_id) VALUES (si.id, v_id);
    RETURN v_id;
END $$;

-- The steps a work order has reached: not done, naming an inspection not opened yet, with
-- every earlier step done (opened when its output lot exists; else at the step's start).
CREATE FUNCTION workcell.step_inspections_reached(p_work_order_id bigint) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step bigint;
BEGIN
    FOR v_step IN
        SELECT si.id FROM workcell.step_instance si JOIN workcell.routing_step s ON s.id = si.routing_step_id
         WHERE si.work_order_id = p_work_order_id AND si.status <> 'done' AND s.inspection_type IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM workcell.step_inspection x WHERE x.step_instance_id = si.id)
           AND NOT EXISTS (SELECT 1 FROM workcell.step_instance p
                            WHERE p.work_order_id = si.work_order_id AND p.seq < si.seq AND p.status <> 'done')
         ORDER BY si.seq LOOP
        PERFORM workcell.step_inspection_open(v_step, false);
    END LOOP;
END $$;

-- At the release: every step naming an inspection has a released template for the item
-- (refused otherwise, before anything runs), and a first step naming one is reached at
-- once. AFTER UPDATE OF status, named to fire after work_order_transition_steps.
CREATE FUNCTION workcell.work_order_released_inspection() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    r record;
BEGIN
    SELECT o.op_number, s.step_number, s.inspection_type INTO r
      FROM workcell.routing_step s JOIN workcell.routing_operation o ON o.id = s.operation_id
     WHERE o.routing_revision_id = NEW.routing_revision_id AND s.inspection_type IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM workcell.inspection_template t
                        WHERE t.item_id = NEW.item_id AND t.inspection_type = s.inspection_type AND t.status = 'released')
     ORDER BY o.op_number, s.step_number LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'Work order % cannot be released: op % step % makes a % inspection and % has no released % inspection template',
            NEW.number, r.op_number, r.step_number, replace(r.inspection_type, '_', '-'),
            (SELECT item_number FROM workcell.item WHERE id = NEW.item_id), replace(r.inspection_type, '_', '-')
            USING ERRCODE = 'WC190', HINT = 'QA releases the inspection template first.';
    END IF;
    PERFORM workcell.step_inspections_reached(NEW.id);
    RETURN NULL;
END $$;

-- Start a step without recording anything (pending -> in progress, by the performer: the
-- work order runs, work.execute, qualified, nobody changed it meanwhile): a step whose
-- first action is its inspection opens it so (WC084/WC081/WC086 as for any entry).
CREATE FUNCTION workcell.wo_start_step(p_step_instance_id bigint, p_expected_version integer) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
BEGIN
    PERFORM workcell.wo_open_step(p_step_instance_id, p_expected_version, 'start this step');
END $$;

-- A step is reached when it starts (pending -> in progress) or when the step before it is
-- done. AFTER UPDATE OF status on step_instance, after step_instance_transition.
CREATE FUNCTION workcell.step_instance_reached_inspection() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
BEGIN
    IF NEW.status = 'in_progress' AND OLD.status = 'pending' THEN
        PERFORM workcell.step_inspection_open(NEW.id, true);
    ELSIF NEW.status = 'done' AND OLD.status <> 'done' THEN
        PERFORM workcell.step_inspections_reached(NEW.work_order_id);
    END IF;
    RETURN NULL;
END $$;

-- What the inspection still asks of a step (empty: nothing): opened, completed, and
-- dispositioned accepted — released by QA, or referred to an NCR dispositioned use as is or
-- repair (the rule of a lot's release, migration 0018).
CREATE FUNCTION workcell.step_inspection_blockers(p_step_instance_id bigint) RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_type text;
    i workcell.inspection;
    n workcell.ncr;
BEGIN
    SELECT s.inspection_type INTO v_type FROM workcell.step_instance si
      JOIN workcell.routing_step s ON s.id = si.routing_step_id WHERE si.id = p_step_instance_id;
    IF v_type IS NULL THEN
        RETURN '{}';
    END IF;
    SELECT n2.* INTO i FROM workcell.step_inspection x JOIN workcell.inspection n2 ON n2.id = x.inspection_id
     WHERE x.step_instance_id = p_step_instance_id;
    IF i.id IS NULL THEN
        RETURN ARRAY[format('%s inspection not opened yet (it opens when the step starts: Start step, or its first entry)', replace(v_type, '_', '-'))];
    END IF;
    CASE i.status
    WHEN 'released' THEN
        RETURN '{}';
    WHEN 'open' THEN
        RETURN ARRAY[format('inspection %s is open: its results are entered and it is signed "inspected"', i.number)];
    WHEN 'completed' THEN
        RETURN ARRAY[format('inspection %s (%s) waits for QA''s disposition', i.number, coalesce(i.decision, '?'))];
    WHEN 'referred' THEN
        SELECT * INTO n FROM workcell.ncr WHERE id = i.ncr_id;
        IF n.status IN ('dispositioned', 'closed') AND n.disposition IN ('use_as_is', 'repair') THEN
            RETURN '{}';
        ELSIF n.status IN ('dispositioned', 'closed') THEN
            RETURN ARRAY[format('inspection %s went to NCR %s, dispositioned %s: the step does not go on', i.number, n.number,
                                replace(n.disposition, '_', ' '))];
        END IF;
        RETURN ARRAY[format('inspection %s is referred to NCR %s: the step waits for its disposition', i.number, n.number)];
    ELSE
        RETURN ARRAY[format('inspection %s is %s', i.number, i.status)];
    END CASE;
END $$;

-- A step naming an inspection is signed (any meaning) once the inspection has an accepted
-- disposition (BEFORE INSERT on workcell.signature, any writer).
CREATE FUNCTION workcell.step_inspection_signature_rule() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_missing text[];
BEGIN
    IF NEW.record_type = 'step_instance' THEN
        v_missing := workcell.step_inspection_blockers(NEW.record_id);
        IF cardinality(v_missing) > 0 THEN
            RAISE EXCEPTION 'Step % is signed once its inspection has an accepted disposition: %',
                (SELECT seq FROM workcell.step_instance WHERE id = NEW.record_id), v_missing[1]
                USING ERRCODE = 'WC191', HINT = 'Open the inspection from the step: QA''s disposition comes first.';
        END IF;
    END IF;
    RETURN NEW;
END $$;

-- Nor is it closed before (BEFORE UPDATE on step_instance).
CREATE FUNCTION workcell.step_instance_inspection_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_missing text[];
BEGIN
    IF NEW.status = 'done' AND OLD.status <> 'done' THEN
        v_missing := workcell.step_inspection_blockers(NEW.id);
        IF cardinality(v_missing) > 0 THEN
            RAISE EXCEPTION 'Step % cannot be done yet: %', NEW.seq, v_missing[1] USING ERRCODE = 'WC192';
        END IF;
    END IF;
    RETURN NEW;
END $$;

-- An inspection made at a step is not rejected outright: what becomes of work in progress
-- is an NCR's disposition (raised from the inspection, its risk class deciding the
-- approvals), so a rejecting inspection is referred (BEFORE UPDATE on inspection).
CREATE FUNCTION workcell.inspection_step_rule() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    IF NEW.status = 'rejected' AND OLD.status <> 'rejected' THEN
        SELECT si.seq, w.number INTO r FROM workcell.step_inspection x
          JOIN workcell.step_instance si ON si.id = x.step_instance_id
          JOIN workcell.work_order w ON w.id = si.work_order_id
         WHERE x.inspection_id = NEW.id;
        IF FOUND THEN
            RAISE EXCEPTION 'Inspection % was made at step % of %: it is not rejected outright but referred to an NCR raised from it',
                OLD.number, r.seq, r.number
                USING ERRCODE = 'WC193', HINT = 'Raise the NCR from the inspection: its disposition decides what becomes of the work.';
        END IF;
    END IF;
    RETURN NEW;
END $$;

-- The link is the database's: the step's own type, the work order's output lot, an
-- inspection opened in this transaction (BEFORE INSERT on step_inspection, any writer).
CREATE FUNCTION workcell.step_inspection_prepare() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.opened_at := now();
    IF NOT EXISTS (
        SELECT 1 FROM workcell.step_instance si
          JOIN workcell.routing_step s ON s.id = si.routing_step_id
          JOIN workcell.work_order w ON w.id = si.work_order_id
          JOIN workcell.inspection i ON i.id = NEW.inspection_id
         WHERE si.id = NEW.step_instance_id AND si.status <> 'done' AND i.lot_id = w.output_lot_id
           AND i.inspection_type = s.inspection_type AND i.status = 'open' AND i.created_at = now()) THEN
        RAISE EXCEPTION 'An inspection belongs to a step only as the one the database opened for it when the work order reached it'
            USING ERRCODE = 'WC194';
    END IF;
    RETURN NEW;
END $$;

-- The disposition moves the lot with it, except an inspection made at a step: the work
-- order's output lot stays in quarantine until the work order is reviewed and the lot
-- released (migration 0013's rule). Whole function, replacing migration 0018's.
CREATE OR REPLACE FUNCTION workcell.inspection_moves_lot() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM workcell.step_inspection x WHERE x.inspection_id = NEW.id) THEN
        RETURN NULL;
    END IF;
    IF NEW.status = 'released' THEN
        UPDATE workcell.lot SET status = 'released', version = version + 1 WHERE id = NEW.lot_id AND status = 'quarantine';
    ELSIF NEW.status = 'rejected' THEN
        UPDATE workcell.lot SET status = 'rejected', version = version + 1 WHERE id = NEW.lot_id AND status IN ('quarantine', 'released');
    END IF;
    RETURN NULL;
END $$;

-- QA opens a final, first-article or periodic inspection. Receiving inspections open with
-- the receipt, in-process ones when a work order reaches a routing step naming one. Whole
-- function, replacing migration 0018's (only the in-process refusal's words change).
CREATE OR REPLACE FUNCTION workcell.create_inspection(p_lot bigint, p_type text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM workcell.require_permission('quality.plan');
    IF p_type = 'receiving' THEN
        RAISE EXCEPTION 'A receiving inspection opens with the receipt of the lot' USING ERRCODE = 'WC119';
    ELSIF p_type = 'in_process' THEN
        RAISE EXCEPTION 'In-process inspections open when a work order reaches a routing step that names one'
            USING ERRCODE = 'WC119';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM workcell.lot WHERE id = p_lot AND status IN ('quarantine', 'released')) THEN
        RAISE EXCEPTION 'There is no lot % in quarantine or released to inspect', p_lot USING ERRCODE = 'WC119';
    END IF;
    v_id := workcell.open_inspection(p_lot, p_type);
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'The item has no released % inspection template', replace(p_type, '_', ' ')
            USING ERRCODE = 'WC116', HINT = 'Release a template for it first.';
    END IF;
    RETURN v_id;
END $$;
