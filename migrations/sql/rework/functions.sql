-- Rework (migration 0036). An NCR dispositioned rework plans, in the same transaction, one
-- rework work order per affected lot with stock; the work order runs the item's rework
-- routing revision (locked at its release like any routing), scans the lot it reworks —
-- in quarantine, which nothing else may consume — and makes the reworked lot, which QA
-- releases after the work order's review like any output. The NCR closes once its rework
-- work orders are closed. A step stopped by its inspection's NCR (scrap, return to
-- supplier, rework) takes no more entries, nor do the steps after it.
-- Whole functions are replaced where one line changes (CREATE OR REPLACE keeps grants and
-- triggers); each says what changed.

-- Can an item be reworked now: a BOM revision and a rework routing revision in effect.
CREATE FUNCTION workcell.reworkable_now(p_item_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM workcell.bom_revision b WHERE b.item_id = p_item_id AND b.effective @> now())
       AND EXISTS (SELECT 1 FROM workcell.routing_revision r WHERE r.item_id = p_item_id AND r.purpose = 'rework'
                      AND r.effective @> now())
$$;

-- The rework work order (its number) consuming lot p_lot_id into production record
-- p_production_record_id, running; NULL when the consumption is not a rework's.
CREATE FUNCTION workcell.reworked_by(p_lot_id bigint, p_production_record_id bigint) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT w.number FROM workcell.work_order w
     WHERE w.production_record_id = p_production_record_id AND w.rework_lot_id = p_lot_id
       AND w.status IN ('released', 'in_progress')
$$;

-- A lot waiting for its rework is used by nothing else: 0012's rules of use (in date, not on
-- hold, released, stock left) keep their own function, and the use of a lot whose rework
-- work order has not closed is refused — a lot released before its NCR stays released (its
-- hold closed by the disposition), so the status alone would let any work order or
-- shipment take it. Every caller of assert_lot_usable (the ledger, shipments, moves to the
-- line) gets the rule by its name.
ALTER FUNCTION workcell.assert_lot_usable(workcell.lot, text) RENAME TO lot_use_rules;

CREATE FUNCTION workcell.assert_lot_usable(l workcell.lot, p_use text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_rework text;
BEGIN
    PERFORM workcell.lot_use_rules(l, p_use);
    SELECT string_agg(w.number, ', ' ORDER BY w.number) INTO v_rework FROM workcell.work_order w
     WHERE w.rework_lot_id = l.id AND w.status NOT IN ('closed', 'cancelled');
    IF v_rework IS NOT NULL THEN
        RAISE EXCEPTION 'Lot % waits for its rework (%): it cannot be %', l.lot_number, v_rework, p_use
            USING ERRCODE = 'WC064', HINT = 'Only its rework work order uses it: scan it at that work order''s step.';
    END IF;
END $$;

-- A rework consumes its lot in quarantine (the NCR kept it from use); every other rule of
-- use stands: in date, not on hold, stock left.
CREATE FUNCTION workcell.assert_lot_reworkable(l workcell.lot, p_work_order text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF l.status = 'quarantine' THEN
        l.status := 'released';
    END IF;
    PERFORM workcell.lot_use_rules(l, format('reworked on %s', p_work_order));
END $$;

-- Quarantine -> consumed: the last of a lot consumed by its rework work order.
CREATE FUNCTION workcell.lot_reworked(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM workcell.on_hand o WHERE o.lot_id = (p_new->>'id')::bigint AND o.quantity > 0)
                THEN format('Lot %s still has stock: it is consumed when the last of it is.', p_new->>'lot_number')
                WHEN NOT EXISTS (SELECT 1 FROM workcell.work_order w
                                   JOIN workcell.inventory_txn t ON t.production_record_id = w.production_record_id
                                  WHERE w.rework_lot_id = (p_new->>'id')::bigint AND t.lot_id = w.rework_lot_id
                                    AND t.kind = 'consume')
                THEN format('Lot %s is in quarantine: only its rework work order uses it up.', p_new->>'lot_number') END
$$;

-- An NCR dispositioned rework plans its rework work orders (AFTER UPDATE, the move
-- allowed): one per affected lot with stock, for the whole stock, due in 7 days. Planned
-- by the database (system actor) in the dispositioning transaction; a planner or
-- supervisor releases it, which locks the item's rework routing.
CREATE FUNCTION workcell.ncr_plan_rework() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = 'system'
AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT l.id, l.item_id, l.lot_number, l.unit, sum(o.quantity) AS quantity
               FROM workcell.ncr_lot x JOIN workcell.lot l ON l.id = x.lot_id
               JOIN workcell.on_hand o ON o.lot_id = l.id
              WHERE x.ncr_id = NEW.id AND l.status IN ('quarantine', 'released') AND o.quantity > 0
              GROUP BY l.id ORDER BY l.id LOOP
        INSERT INTO workcell.work_order (item_id, quantity, unit, due_date, note, ncr_id, rework_lot_id)
        VALUES (r.item_id, r.quantity, r.unit, workcell.plant_today() + 7,
                format('Rework of lot %s for NCR %s', r.lot_number, NEW.number), NEW.id, r.id);
    END LOOP;
    RETURN NULL;
END $$;

-- A cancelled rework work order planned again by a planner (the NCR still dispositioned, its
-- lot still with stock, no other rework work order of that lot running): the same NCR and
-- lot, the lot's stock now, the due date given. Returns the new work order's id.
CREATE FUNCTION workcell.wo_replan_rework(p_cancelled bigint, p_due date) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    w workcell.work_order;
    n workcell.ncr;
    l workcell.lot;
    v_quantity numeric;
    v_id bigint;
BEGIN
    PERFORM workcell.require_permission('work_order.create');
    SELECT * INTO w FROM workcell.work_order WHERE id = p_cancelled;
    IF w.id IS NULL OR w.ncr_id IS NULL OR w.status <> 'cancelled' THEN
        RAISE EXCEPTION 'Only a cancelled rework work order is planned again (% is %)', coalesce(w.number, 'this'),
            CASE WHEN w.id IS NULL THEN 'missing' WHEN w.ncr_id IS NULL THEN 'not a rework' ELSE replace(w.status, '_', ' ') END
            USING ERRCODE = 'WC197';
    END IF;
    SELECT * INTO n FROM workcell.ncr WHERE id = w.ncr_id;
    SELECT * INTO l FROM workcell.lot WHERE id = w.rework_lot_id FOR NO KEY UPDATE;
    v_quantity := (SELECT sum(o.quantity) FROM workcell.on_hand o WHERE o.lot_id = l.id AND o.quantity > 0);
    IF n.status <> 'dispositioned' OR l.status NOT IN ('quarantine', 'released') OR v_quantity IS NULL THEN
        RAISE EXCEPTION 'Lot % of NCR % is not reworked again: %', l.lot_number, n.number,
            CASE WHEN n.status <> 'dispositioned' THEN format('the NCR is %s', n.status)
                 WHEN l.status NOT IN ('quarantine', 'released') THEN format('the lot is %s', l.status)
                 ELSE 'the lot has no stock left' END
            USING ERRCODE = 'WC197';
    END IF;
    IF EXISTS (SELECT 1 FROM workcell.work_order x WHERE x.ncr_id = w.ncr_id AND x.rework_lot_id = w.rework_lot_id
                  AND x.status <> 'cancelled') THEN
        RAISE EXCEPTION 'Lot % already has a rework work order for NCR %: %', l.lot_number, n.number,
            (SELECT string_agg(x.number, ', ') FROM workcell.work_order x WHERE x.ncr_id = w.ncr_id
                AND x.rework_lot_id = w.rework_lot_id AND x.status <> 'cancelled')
            USING ERRCODE = 'WC197';
    END IF;
    IF p_due IS NULL OR p_due < workcell.plant_today() THEN
        RAISE EXCEPTION 'The due date % has passed', p_due USING ERRCODE = 'WC080';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', format('rework of lot %s for NCR %s planned again', l.lot_number, n.number), true);
    END IF;
    INSERT INTO workcell.work_order (item_id, quantity, unit, due_date, note, ncr_id, rework_lot_id)
    VALUES (w.item_id, v_quantity, w.unit, p_due,
            format('Rework of lot %s for NCR %s (planned again: %s was cancelled)', l.lot_number, n.number, w.number),
            w.ncr_id, w.rework_lot_id)
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

-- Rework: the NCR's lots with stock each need a BOM and a rework routing in effect (0035: refused outright).
CREATE OR REPLACE FUNCTION workcell.ncr_may_disposition(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_missing text[];
    v_lots bigint;
    v_items text;
BEGIN
    IF p_new->>'disposition' IS NULL THEN
        RETURN format('NCR %s has no disposition yet.', p_new->>'number');
    END IF;
    IF p_new->>'disposition' = 'rework' THEN
        SELECT count(*), string_agg(DISTINCT i.item_number, ', ') FILTER (WHERE NOT workcell.reworkable_now(l.item_id))
          INTO v_lots, v_items
          FROM workcell.ncr_lot x JOIN workcell.lot l ON l.id = x.lot_id JOIN workcell.item i ON i.id = l.item_id
         WHERE x.ncr_id = (p_new->>'id')::bigint AND l.status IN ('quarantine', 'released')
           AND EXISTS (SELECT 1 FROM workcell.on_hand o WHERE o.lot_id = l.id AND o.quantity > 0);
        IF v_lots = 0 THEN
            RETURN format('NCR %s: none of its lots has stock left to rework: choose another disposition.', p_new->>'number');
        ELSIF v_items IS NOT NULL THEN
            RETURN format('NCR %s: rework needs a BOM and a rework routing revision in effect for %s (engineering releases a routing made for rework through an ECO).',
                          p_new->>'number', v_items);
        END IF;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM workcell.risk_matrix_approval a WHERE a.matrix_id = (p_new->>'matrix_id')::bigint
                      AND a.risk_class = p_new->>'risk_class' AND a.disposition = p_new->>'disposition') THEN
        RETURN format('The risk matrix allows no %s for a %s NCR.', replace(p_new->>'disposition', '_', ' '), p_new->>'risk_class');
    END IF;
    v_missing := workcell.ncr_missing_approvals((p_new->>'id')::bigint);
    IF cardinality(v_missing) > 0 THEN
        RETURN format('NCR %s (%s risk): %s needs the approvals %s on this disposition; missing: %s.',
                      p_new->>'number', p_new->>'risk_class', replace(p_new->>'disposition', '_', ' '),
                      (SELECT array_to_string(a.approvals, ', ') FROM workcell.risk_matrix_approval a
                        WHERE a.matrix_id = (p_new->>'matrix_id')::bigint AND a.risk_class = p_new->>'risk_class'
                          AND a.disposition = p_new->>'disposition'),
                      array_to_string(v_missing, ', '));
    END IF;
    RETURN NULL;
END $$;

-- Closed once its rework work orders are closed (or cancelled), as well as 0018's conditions.
CREATE OR REPLACE FUNCTION workcell.ncr_may_close(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM workcell.hold h
                              WHERE h.source = 'ncr' AND h.source_ref = p_new->>'number' AND h.status = 'open')
                THEN format('NCR %s still holds lots: they are released or rejected by its disposition first.', p_new->>'number')
                WHEN EXISTS (SELECT 1 FROM workcell.work_order w WHERE w.ncr_id = (p_new->>'id')::bigint
                                AND w.status NOT IN ('closed', 'cancelled'))
                THEN format('NCR %s has rework work order(s) %s not closed: they are closed first.', p_new->>'number',
                            (SELECT string_agg(w.number, ', ' ORDER BY w.number) FROM workcell.work_order w
                              WHERE w.ncr_id = (p_new->>'id')::bigint AND w.status NOT IN ('closed', 'cancelled')))
                WHEN EXISTS (SELECT 1 FROM workcell.capa c WHERE c.ncr_id = (p_new->>'id')::bigint AND c.status = 'open')
                THEN format('NCR %s has an open CAPA (%s): the CAPA is closed first.', p_new->>'number',
                            (SELECT string_agg(c.number, ', ') FROM workcell.capa c WHERE c.ncr_id = (p_new->>'id')::bigint AND c.status = 'open'))
                END
$$;

-- A rework disposition stops the work order at the step too (0035: scrap, return to supplier).
CREATE OR REPLACE FUNCTION workcell.work_order_stop(p_work_order_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object('seq', si.seq, 'step_instance_id', si.id, 'inspection', i.number,
                              'ncr', n.number, 'disposition', n.disposition)
      FROM workcell.step_instance si
      JOIN workcell.step_inspection x ON x.step_instance_id = si.id
      JOIN workcell.inspection i ON i.id = x.inspection_id
      JOIN workcell.ncr n ON n.id = i.ncr_id
     WHERE si.work_order_id = p_work_order_id AND si.status <> 'done' AND i.status = 'referred'
       AND n.status IN ('dispositioned', 'closed') AND n.disposition IN ('scrap', 'return_to_supplier', 'rework')
     ORDER BY si.seq
     LIMIT 1
$$;

-- The step stopped by its NCR, and the steps after it, take no entry (0013: they did).
CREATE OR REPLACE FUNCTION workcell.wo_open_step(p_step_instance_id bigint, p_expected_version integer, p_doing text)
RETURNS workcell.step_instance
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    si workcell.step_instance;
    w workcell.work_order;
    v_stop jsonb;
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
    v_stop := workcell.work_order_stop(w.id);
    IF v_stop IS NOT NULL AND si.seq >= (v_stop->>'seq')::integer THEN
        RAISE EXCEPTION 'Step % of % is not run: the work order stops at step % (NCR %, dispositioned %)', si.seq, w.number,
            v_stop->>'seq', v_stop->>'ncr', replace(v_stop->>'disposition', '_', ' ')
            USING ERRCODE = 'WC195', HINT = 'Nothing more is recorded from there: the work order is completed short.';
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

-- A rework work order locks the item's rework routing, a standard one the standard routing;
-- the NCR and lot of a rework work order never change (0013: one routing per item).
CREATE OR REPLACE FUNCTION workcell.work_order_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_at timestamptz := now();
    v_bom bigint;
    v_routing bigint;
BEGIN
    IF (NEW.id, NEW.number, NEW.item_id, NEW.quantity, NEW.unit, NEW.due_date, NEW.note, NEW.created_at, NEW.created_by,
        NEW.ncr_id, NEW.rework_lot_id)
       IS DISTINCT FROM (OLD.id, OLD.number, OLD.item_id, OLD.quantity, OLD.unit, OLD.due_date, OLD.note, OLD.created_at, OLD.created_by,
        OLD.ncr_id, OLD.rework_lot_id) THEN
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
         WHERE r.item_id = NEW.item_id AND r.effective @> v_at
           AND r.purpose = CASE WHEN NEW.ncr_id IS NULL THEN 'standard' ELSE 'rework' END;
        IF v_bom IS NULL OR v_routing IS NULL THEN
            RAISE EXCEPTION 'Work order % cannot be released: % has no % in effect now', NEW.number,
                (SELECT item_number FROM workcell.item WHERE id = NEW.item_id),
                concat_ws(' and ', CASE WHEN v_bom IS NULL THEN 'BOM revision' END,
                                   CASE WHEN v_routing IS NULL AND NEW.ncr_id IS NOT NULL THEN 'rework routing revision'
                                        WHEN v_routing IS NULL THEN 'routing revision' END)
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

-- A rework work order scans the lot it reworks, and only that lot of its item (0022: BOM only).
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
    -- a rework work order scans the lot it reworks (an item is not on its own BOM)
    IF w.rework_lot_id IS NOT NULL AND l.item_id = w.item_id AND l.id <> w.rework_lot_id THEN
        RAISE EXCEPTION 'Lot % is not the lot % reworks', l.lot_number, w.number
            USING ERRCODE = 'WC082', HINT = format('Scan lot %s (NCR %s).',
                (SELECT lot_number FROM workcell.lot WHERE id = w.rework_lot_id),
                (SELECT number FROM workcell.ncr WHERE id = w.ncr_id));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM workcell.bom_line b WHERE b.bom_revision_id = w.bom_revision_id
                      AND b.component_id = l.item_id) AND l.id IS DISTINCT FROM w.rework_lot_id THEN
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

-- A rework's consumption takes its lot from quarantine, from any zone, and uses it up (0012).
CREATE OR REPLACE FUNCTION workcell.inventory_txn_apply() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l workcell.lot;
    i workcell.item;
    s workcell.serial;
    g workcell.signature;
    z workcell.zone;
    v_verb text;
    v_rework text;
BEGIN
    SELECT * INTO l FROM workcell.lot WHERE id = NEW.lot_id FOR NO KEY UPDATE;
    SELECT * INTO i FROM workcell.item WHERE id = l.item_id;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', left(format('%s of lot %s', NEW.kind, l.lot_number), 200), true);
    END IF;
    IF NEW.unit <> l.unit THEN
        RAISE EXCEPTION 'Lot % is counted in %, not %', l.lot_number, l.unit, NEW.unit USING ERRCODE = 'WC068';
    END IF;
    IF scale(NEW.quantity) > 6 OR NEW.quantity <> round(NEW.quantity, 6) THEN
        RAISE EXCEPTION 'Quantities have at most 6 decimals' USING ERRCODE = 'WC068';
    END IF;
    -- serialised items move one serial at a time, and the serial must be where it is said to be
    IF i.tracking = 'serial' THEN
        IF NEW.serial_id IS NULL OR NEW.quantity <> 1 THEN
            RAISE EXCEPTION '% is serialised: scan each serial (quantity 1)', i.item_number USING ERRCODE = 'WC067';
        END IF;
        SELECT * INTO s FROM workcell.serial WHERE id = NEW.serial_id FOR UPDATE;
        IF s.lot_id IS DISTINCT FROM l.id THEN
            RAISE EXCEPTION 'Serial % is not in lot %', coalesce(s.serial_number, NEW.serial_id::text), l.lot_number
                USING ERRCODE = 'WC067';
        END IF;
        IF NEW.from_bin_id IS NOT NULL AND (s.status <> 'in_stock' OR s.bin_id IS DISTINCT FROM NEW.from_bin_id) THEN
            RAISE EXCEPTION 'Serial % is not in bin % (it is %)', s.serial_number,
                (SELECT code FROM workcell.bin WHERE id = NEW.from_bin_id),
                coalesce((SELECT 'in bin ' || code FROM workcell.bin WHERE id = s.bin_id), s.status)
                USING ERRCODE = 'WC067';
        END IF;
        IF NEW.from_bin_id IS NULL AND (s.bin_id IS NOT NULL OR s.status <> 'in_stock') THEN
            RAISE EXCEPTION 'Serial % is already %', s.serial_number,
                coalesce((SELECT 'in bin ' || code FROM workcell.bin WHERE id = s.bin_id), s.status)
                USING ERRCODE = 'WC067';
        END IF;
    ELSIF NEW.serial_id IS NOT NULL THEN
        RAISE EXCEPTION '% is not serialised' , i.item_number USING ERRCODE = 'WC067';
    END IF;

    IF NEW.kind = 'receipt' THEN
        IF l.origin <> 'received' OR EXISTS (SELECT 1 FROM workcell.inventory_txn t WHERE t.lot_id = l.id
               AND t.kind = 'receipt' AND t.tx_id <> pg_current_xact_id()) THEN
            RAISE EXCEPTION 'Lot % was received already: a later quantity is a new lot', l.lot_number
                USING ERRCODE = 'WC068';
        END IF;
    ELSIF NEW.kind = 'produce' THEN
        IF l.origin <> 'produced' OR NEW.production_record_id IS NULL THEN
            RAISE EXCEPTION 'Lot % is produced only by its production record', l.lot_number USING ERRCODE = 'WC068';
        END IF;
    ELSIF NEW.kind = 'consume' THEN
        IF NEW.production_record_id IS NULL THEN
            RAISE EXCEPTION 'Material is consumed only into a production record (genealogy)' USING ERRCODE = 'WC068';
        END IF;
        v_rework := workcell.reworked_by(l.id, NEW.production_record_id);
        IF v_rework IS NULL THEN
            PERFORM workcell.assert_lot_usable(l, 'consumed');
        ELSE
            PERFORM workcell.assert_lot_reworkable(l, v_rework);
        END IF;
    ELSIF NEW.kind = 'ship' THEN
        IF NEW.shipment_line_id IS NULL THEN
            RAISE EXCEPTION 'Material is shipped only on a confirmed shipment' USING ERRCODE = 'WC068';
        END IF;
        PERFORM workcell.assert_lot_usable(l, 'shipped');
    ELSIF NEW.kind IN ('scrap', 'adjust') AND btrim(NEW.reason) = '' THEN
        RAISE EXCEPTION 'A % needs a reason', NEW.kind USING ERRCODE = 'WC068';
    END IF;
    IF NEW.kind = 'adjust' THEN
        SELECT * INTO g FROM workcell.signature WHERE id = NEW.signature_id;
        IF g.id IS NULL OR g.record_type <> 'lot' OR g.record_id <> l.id OR g.meaning <> 'adjusted'
           OR g.signer_id <> NEW.actor_id OR g.signed_at < now() THEN
            RAISE EXCEPTION 'An adjustment of lot % needs the adjuster''s "adjusted" signature on it, made now',
                l.lot_number USING ERRCODE = 'WC068';
        END IF;
    END IF;

    IF NEW.from_bin_id IS NOT NULL THEN
        SELECT z2.* INTO z FROM workcell.bin b JOIN workcell.zone z2 ON z2.id = b.zone_id WHERE b.id = NEW.from_bin_id;
        IF NEW.kind = 'consume' AND v_rework IS NULL AND NOT (SELECT may_consume FROM workcell.zone_type WHERE name = z.zone_type) THEN
            RAISE EXCEPTION 'Nothing is consumed from a % zone (%): move lot % to the line first',
                replace(z.zone_type, '_', ' '), z.code, l.lot_number USING ERRCODE = 'WC060';
        END IF;
        IF NEW.kind = 'ship' AND NOT (SELECT may_ship FROM workcell.zone_type WHERE name = z.zone_type) THEN
            RAISE EXCEPTION 'Nothing is shipped from a % zone (%)', replace(z.zone_type, '_', ' '), z.code
                USING ERRCODE = 'WC060';
        END IF;
        PERFORM workcell.ledger_take(l, NEW.from_bin_id, NEW.quantity, NEW.id);
    END IF;
    IF NEW.to_bin_id IS NOT NULL THEN
        z := workcell.assert_bin_accepts(l, NEW.to_bin_id);
        IF z.zone_type IN ('production', 'shipping') THEN
            PERFORM workcell.assert_lot_usable(l, 'moved to ' || replace(z.zone_type, '_', ' '));
        END IF;
        PERFORM workcell.ledger_put(l, NEW.to_bin_id, NEW.quantity, NEW.id);
    END IF;

    IF s.id IS NOT NULL THEN
        UPDATE workcell.serial SET bin_id = NEW.to_bin_id,
               status = CASE WHEN NEW.to_bin_id IS NOT NULL THEN 'in_stock'
                             WHEN NEW.kind = 'consume' THEN 'consumed'
                             WHEN NEW.kind = 'ship' THEN 'shipped' ELSE 'scrapped' END,
               version = version + 1
         WHERE id = s.id;
    END IF;
    -- a released lot whose last units were consumed or shipped is used up
    IF NEW.kind IN ('consume', 'ship') AND (l.status = 'released' OR v_rework IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM workcell.on_hand o WHERE o.lot_id = l.id AND o.quantity > 0) THEN
        UPDATE workcell.lot SET status = CASE NEW.kind WHEN 'consume' THEN 'consumed' ELSE 'shipped' END,
               version = version + 1
         WHERE id = l.id;
    END IF;
    RETURN NULL;
END $$;

-- The routing's signed content names a rework purpose (standard revisions keep their hashes).
CREATE OR REPLACE FUNCTION workcell.routing_revision_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'routing_revision', 'item', i.item_number, 'revision', r.revision,
        'description', r.description,
        'operations', coalesce((
            SELECT jsonb_agg(jsonb_build_array(o.op_number, o.work_centre, o.title, o.instructions,
                   o.standard_minutes, coalesce((
                     SELECT jsonb_agg(jsonb_build_array(s.step_number, s.title, s.instructions, s.critical,
                            coalesce((SELECT jsonb_agg(jsonb_build_array(d.position, d.code, d.label, d.kind,
                                          d.unit, d.lower_limit, d.upper_limit, d.target, c.item_number, d.required)
                                          ORDER BY d.position)
                                        FROM workcell.routing_step_data d
                                        LEFT JOIN workcell.item c ON c.id = d.component_id
                                       WHERE d.step_id = s.id), '[]'::jsonb),
                            coalesce((SELECT jsonb_agg(jsonb_build_array(g.position, g.meaning, g.role)
                                          ORDER BY g.position)
                                        FROM workcell.routing_step_signoff g WHERE g.step_id = s.id), '[]'::jsonb))
                            || CASE WHEN s.qualification_id IS NOT NULL OR s.output OR s.equipment_class IS NOT NULL
                                      OR s.inspection_type IS NOT NULL
                                    THEN jsonb_build_array(jsonb_build_object(
                                        'qualification', (SELECT q.code FROM workcell.qualification q WHERE q.id = s.qualification_id),
                                        'output', s.output)
                                        || CASE WHEN s.equipment_class IS NOT NULL
                                                THEN jsonb_build_object('equipment_class', s.equipment_class)
                                                ELSE '{}'::jsonb END
                                        || CASE WHEN s.inspection_type IS NOT NULL
                                                THEN jsonb_build_object('inspection', s.inspection_type)
                                                ELSE '{}'::jsonb END)
                                    ELSE '[]'::jsonb END
                            ORDER BY s.step_number)
                       FROM workcell.routing_step s WHERE s.operation_id = o.id), '[]'::jsonb))
                   || CASE WHEN o.qualification_id IS NOT NULL
                           THEN jsonb_build_array(jsonb_build_object('qualification',
                                (SELECT q.code FROM workcell.qualification q WHERE q.id = o.qualification_id)))
                           ELSE '[]'::jsonb END
                   ORDER BY o.op_number)
              FROM workcell.routing_operation o WHERE o.routing_revision_id = r.id), '[]'::jsonb))
      || CASE WHEN r.purpose = 'rework' THEN jsonb_build_object('purpose', 'rework') ELSE '{}'::jsonb END
      FROM workcell.routing_revision r JOIN workcell.item i ON i.id = r.item_id
     WHERE r.id = p_id
$$;

-- A rework work order's signed content names its NCR and lot (others keep their hashes).
CREATE OR REPLACE FUNCTION workcell.work_order_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'work_order', 'number', w.number, 'item', i.item_number,
        'quantity', trim_scale(w.quantity)::text, 'unit', w.unit, 'due', to_char(w.due_date, 'YYYY-MM-DD'),
        'lock', w.lock_hash, 'output_lot', l.lot_number,
        'actual', trim_scale(w.actual_quantity)::text, 'yield_pct', trim_scale(w.yield_pct)::text,
        'labels', jsonb_build_array(w.labels_issued, w.labels_used, w.labels_destroyed),
        'steps', coalesce((
            SELECT jsonb_agg(jsonb_build_array(si.seq, workcell.sha256_of(workcell.step_instance_content(si.id)))
                   ORDER BY si.seq)
              FROM workcell.step_instance si WHERE si.work_order_id = w.id), '[]'::jsonb),
        'deviations', coalesce((
            SELECT jsonb_agg(jsonb_build_array(v.number, v.kind, v.what) ORDER BY v.id)
              FROM workcell.deviation v WHERE v.work_order_id = w.id), '[]'::jsonb))
      || CASE WHEN w.ncr_id IS NOT NULL
              THEN jsonb_build_object('rework', jsonb_build_array(
                       (SELECT n.number FROM workcell.ncr n WHERE n.id = w.ncr_id),
                       (SELECT r.lot_number FROM workcell.lot r WHERE r.id = w.rework_lot_id)))
              ELSE '{}'::jsonb END
      FROM workcell.work_order w JOIN workcell.item i ON i.id = w.item_id
      LEFT JOIN workcell.lot l ON l.id = w.output_lot_id
     WHERE w.id = p_id
$$;
