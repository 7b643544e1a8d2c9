-- Inspections: opened by the receipt of an item with a released receiving template (or by
-- QA for final, first-article and periodic inspections), planned from the reference tables,
-- results entered per sample and characteristic (append-only; invalidated with a reason,
-- kept), the decision computed by the database at completion, dispositioned by QA.

-- Nonconforming units of a defect class among the first p_n samples (valid results only).
CREATE FUNCTION workcell.inspection_nonconforming(p_inspection bigint, p_class text, p_n integer) RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT count(DISTINCT r.sample_no)::integer
      FROM workcell.inspection_result r
      JOIN workcell.inspection_characteristic c ON c.id = r.characteristic_id
     WHERE r.inspection_id = p_inspection AND c.defect_class = p_class AND r.sample_no <= p_n
       AND NOT r.passed
       AND NOT EXISTS (SELECT 1 FROM workcell.inspection_result_invalidation x WHERE x.result_id = r.id)
$$;

-- Open an inspection of a lot against the released template of its item and type (NULL:
-- there is none). The severity is the switching state of the item and supplier.
CREATE FUNCTION workcell.open_inspection(p_lot bigint, p_type text) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l workcell.lot;
    t workcell.inspection_template;
    s workcell.switching_state;
    v_id bigint;
BEGIN
    SELECT * INTO l FROM workcell.lot WHERE id = p_lot;
    SELECT * INTO t FROM workcell.inspection_template
     WHERE item_id = l.item_id AND inspection_type = p_type AND status = 'released';
    IF t.id IS NULL THEN
        RETURN NULL;
    END IF;
    IF t.sampling = 'z14' AND l.supplier_id IS NOT NULL THEN
        s := workcell.switching_state_for(l.item_id, l.supplier_id);
    END IF;
    INSERT INTO workcell.inspection (number, lot_id, template_id, inspection_type, lot_size, severity,
                                     switching_id, data_version)
    VALUES ('QI' || to_char(now() AT TIME ZONE 'UTC', 'YYMM') || '-' || lpad(nextval('workcell.inspection_number_seq')::text, 5, '0'),
            l.id, t.id, p_type,
            CASE WHEN l.quantity = trunc(l.quantity) AND l.quantity <= 2147483647 THEN l.quantity::integer END,
            CASE coalesce(s.status, 'normal') WHEN 'discontinued' THEN 'tightened' ELSE coalesce(s.status, 'normal') END,
            s.id, (SELECT data_version FROM workcell.quality_policy WHERE id = 1))
    RETURNING id INTO v_id;
    PERFORM workcell.inspection_make_plans(v_id);
    RETURN v_id;
END $$;

-- A received lot of an item with a released receiving template gets its inspection in the
-- receipt's transaction (it stays in quarantine; its release needs the disposition).
CREATE FUNCTION workcell.lot_received_inspection() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
BEGIN
    PERFORM workcell.open_inspection(NEW.id, 'receiving');
    RETURN NULL;
END $$;

-- QA opens a final, first-article or periodic inspection. Receiving inspections open with
-- the receipt; in-process inspections will open from a routing step (work orders: not built).
CREATE FUNCTION workcell.create_inspection(p_lot bigint, p_type text) RETURNS bigint
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
        RAISE EXCEPTION 'In-process inspections open from a routing step of a work order (not available yet)'
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

-- QA enters and approves a plan the reference data does not give (a missing cell, a lot not
-- counted in units): the approver and the reason are kept on the plan and signed with the
-- inspection's disposition.
CREATE FUNCTION workcell.set_manual_plan(p_inspection bigint, p_class text, p_n integer, p_ac integer,
                                         p_re integer, p_note text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    i workcell.inspection;
BEGIN
    PERFORM workcell.require_permission('quality.plan');
    SELECT * INTO i FROM workcell.inspection WHERE id = p_inspection FOR UPDATE;
    IF i.status IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'Inspection % is not open', coalesce(i.number, p_inspection::text) USING ERRCODE = 'WC116';
    END IF;
    IF nullif(btrim(coalesce(p_note, '')), '') IS NULL THEN
        RAISE EXCEPTION 'Say where the plan comes from (the reason is kept with it)' USING ERRCODE = 'WC116';
    END IF;
    IF p_n IS NULL OR p_n < 1 OR (i.lot_size IS NOT NULL AND p_n > i.lot_size) OR p_ac IS NULL OR p_ac < 0
       OR p_re IS NULL OR p_re <= p_ac OR p_ac >= p_n THEN
        RAISE EXCEPTION 'A plan needs 1 <= n <= lot size and 0 <= Ac < Re (given n %, Ac %, Re %)', p_n, p_ac, p_re
            USING ERRCODE = 'WC116';
    END IF;
    UPDATE workcell.inspection_plan
       SET source = 'manual', sample_size = p_n, ac = p_ac, re = p_re, note = left(btrim(p_note), 500),
           approved_by = workcell.current_actor_id(), approved_at = now(), version = version + 1
     WHERE inspection_id = p_inspection AND defect_class = p_class AND source = 'manual_required';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Inspection % has no %s plan waiting for QA', i.number, p_class USING ERRCODE = 'WC116';
    END IF;
    PERFORM workcell.inspection_sync_sample_size(p_inspection);
END $$;

-- One result of one sample for one characteristic. A variable is judged against its limits
-- here (the station's verdict is not taken); attribute and visual results are pass/fail.
CREATE FUNCTION workcell.record_inspection_result(p_inspection bigint, p_sample integer, p_characteristic bigint,
                                                  p_value numeric, p_passed boolean, p_serial text, p_note text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    i workcell.inspection;
    c workcell.inspection_characteristic;
    v_serial bigint;
    v_passed boolean;
    v_id bigint;
BEGIN
    PERFORM workcell.require_permission('quality.inspect');
    SELECT * INTO i FROM workcell.inspection WHERE id = p_inspection FOR NO KEY UPDATE;
    IF i.status IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'Inspection % is %: results are entered only while it is open',
            coalesce(i.number, p_inspection::text), coalesce(i.status, 'unknown') USING ERRCODE = 'WC119';
    END IF;
    IF i.sample_size IS NULL THEN
        RAISE EXCEPTION 'Inspection % waits for QA to enter its sampling plan', i.number USING ERRCODE = 'WC116';
    END IF;
    IF p_sample IS NULL OR p_sample < 1 OR p_sample > i.sample_size THEN
        RAISE EXCEPTION 'Sample % is outside the plan: samples 1 to % are inspected', p_sample, i.sample_size
            USING ERRCODE = 'WC119';
    END IF;
    SELECT * INTO c FROM workcell.inspection_characteristic WHERE id = p_characteristic AND template_id = i.template_id;
    IF c.id IS NULL THEN
        RAISE EXCEPTION 'That characteristic is not on the template of inspection %', i.number USING ERRCODE = 'WC119';
    END IF;
    IF c.kind = 'variable' THEN
        IF p_value IS NULL THEN
            RAISE EXCEPTION '% is measured: enter the value in %', c.name, c.unit USING ERRCODE = 'WC119';
        END IF;
        v_passed := (c.lower_limit IS NULL OR p_value >= c.lower_limit) AND (c.upper_limit IS NULL OR p_value <= c.upper_limit);
    ELSE
        IF p_passed IS NULL OR p_value IS NOT NULL THEN
            RAISE EXCEPTION '% is judged pass or fail (no value)', c.name USING ERRCODE = 'WC119';
        END IF;
        v_passed := p_passed;
    END IF;
    IF EXISTS (SELECT 1 FROM workcell.inspection_result r
                WHERE r.inspection_id = i.id AND r.sample_no = p_sample AND r.characteristic_id = c.id
                  AND NOT EXISTS (SELECT 1 FROM workcell.inspection_result_invalidation x WHERE x.result_id = r.id)) THEN
        RAISE EXCEPTION 'Sample % already has a result for %: invalidate it (with the reason) to enter it again',
            p_sample, c.name USING ERRCODE = 'WC119';
    END IF;
    IF nullif(btrim(coalesce(p_serial, '')), '') IS NOT NULL THEN
        SELECT id INTO v_serial FROM workcell.serial WHERE lot_id = i.lot_id AND serial_number = btrim(p_serial);
        IF v_serial IS NULL THEN
            RAISE EXCEPTION 'Serial % is not in the inspected lot', btrim(p_serial) USING ERRCODE = 'WC119';
        END IF;
        IF EXISTS (SELECT 1 FROM workcell.inspection_result r WHERE r.inspection_id = i.id AND r.serial_id = v_serial
                      AND r.sample_no <> p_sample) THEN
            RAISE EXCEPTION 'Serial % is already another sample of this inspection', btrim(p_serial) USING ERRCODE = 'WC119';
        END IF;
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', format('inspection %s result', i.number), true);
    END IF;
    INSERT INTO workcell.inspection_result (inspection_id, sample_no, characteristic_id, value, passed, serial_id, note)
    VALUES (i.id, p_sample, c.id, p_value, v_passed, v_serial, left(btrim(coalesce(p_note, '')), 500))
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

CREATE FUNCTION workcell.invalidate_inspection_result(p_result bigint, p_reason text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    i workcell.inspection;
BEGIN
    PERFORM workcell.require_permission('quality.inspect');
    SELECT n.* INTO i FROM workcell.inspection n JOIN workcell.inspection_result r ON r.inspection_id = n.id
     WHERE r.id = p_result FOR NO KEY UPDATE OF n;
    IF i.status IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'Results of inspection % are fixed: it is %', coalesce(i.number, '?'), coalesce(i.status, 'unknown')
            USING ERRCODE = 'WC119';
    END IF;
    IF nullif(btrim(coalesce(p_reason, '')), '') IS NULL THEN
        RAISE EXCEPTION 'Say why the result is invalid (it is kept, with the reason)' USING ERRCODE = 'WC119';
    END IF;
    IF EXISTS (SELECT 1 FROM workcell.inspection_result_invalidation WHERE result_id = p_result) THEN
        RAISE EXCEPTION 'Result % is already invalidated', p_result USING ERRCODE = 'WC119';
    END IF;
    PERFORM set_config('workcell.reason', left(format('result %s invalidated: %s', p_result, btrim(p_reason)), 500), true);
    INSERT INTO workcell.inspection_result_invalidation (result_id, reason) VALUES (p_result, left(btrim(p_reason), 500));
END $$;

-- An inspection's facts never change; its status moves by its rules. At completion the
-- database counts nonconforming units per class and decides: accept when every class is at
-- or under Ac, reject when one reaches Re; a reduced lot between Ac and Re is accepted and
-- sends the item and supplier back to normal.
CREATE FUNCTION workcell.inspection_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p workcell.inspection_plan;
    v_d integer;
    v_reject boolean := false;
    v_gap boolean := false;
    v_notes text[] := '{}';
BEGIN
    IF (to_jsonb(NEW) - ARRAY['status', 'version', 'ncr_id', 'sample_size'])
       IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'version', 'ncr_id', 'sample_size']) THEN
        RAISE EXCEPTION 'Inspection % keeps its lot, plan and decision', OLD.number USING ERRCODE = 'WC121';
    END IF;
    -- (sample_size follows the plans and ncr_id the NCR: stations hold no grant on either)
    IF NEW.ncr_id IS DISTINCT FROM OLD.ncr_id AND OLD.ncr_id IS NOT NULL THEN
        RAISE EXCEPTION 'Inspection % is already referred to an NCR', OLD.number USING ERRCODE = 'WC121';
    END IF;
    IF OLD.status = 'open' AND NEW.status = 'completed' THEN
        FOR p IN SELECT * FROM workcell.inspection_plan WHERE inspection_id = NEW.id ORDER BY defect_class LOOP
            v_d := workcell.inspection_nonconforming(NEW.id, p.defect_class, p.sample_size);
            v_notes := v_notes || format('%s: %s nonconforming in %s (Ac %s, Re %s)', p.defect_class, v_d, p.sample_size, p.ac, p.re);
            IF v_d >= p.re THEN
                v_reject := true;
            ELSIF v_d > p.ac THEN
                v_gap := true;
            END IF;
        END LOOP;
        NEW.decision := CASE WHEN v_reject THEN 'reject' ELSE 'accept' END;
        NEW.gap := v_gap AND NOT v_reject;
        NEW.decision_note := left(array_to_string(v_notes, '; ')
            || CASE WHEN v_gap AND NOT v_reject THEN '; accepted in the gap of the reduced plan: normal inspection from the next lot' ELSE '' END, 1000);
        NEW.completed_at := now();
    END IF;
    RETURN NEW;
END $$;

-- Completed only when every sample of every class has a valid result for each of its
-- class's characteristics, every plan is there, and acceptance is not discontinued.
CREATE FUNCTION workcell.inspection_may_complete(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint := (p_new->>'id')::bigint;
    v_missing integer;
BEGIN
    IF p_new->>'sample_size' IS NULL THEN
        RETURN format('Inspection %s waits for QA to enter its sampling plan.', p_new->>'number');
    END IF;
    IF EXISTS (SELECT 1 FROM workcell.switching_state s WHERE s.id = (p_new->>'switching_id')::bigint AND s.status = 'discontinued') THEN
        RETURN format('Acceptance under the sampling plan is discontinued for this item and supplier (5 lots not accepted on tightened): inspection %s cannot accept until QA resumes it.', p_new->>'number');
    END IF;
    SELECT count(*) INTO v_missing
      FROM workcell.inspection_plan p
      JOIN workcell.inspection_characteristic c ON c.template_id = (p_new->>'template_id')::bigint AND c.defect_class = p.defect_class
      CROSS JOIN LATERAL generate_series(1, p.sample_size) AS s (n)
     WHERE p.inspection_id = v_id
       AND NOT EXISTS (SELECT 1 FROM workcell.inspection_result r
                        WHERE r.inspection_id = v_id AND r.sample_no = s.n AND r.characteristic_id = c.id
                          AND NOT EXISTS (SELECT 1 FROM workcell.inspection_result_invalidation x WHERE x.result_id = r.id));
    IF v_missing > 0 THEN
        RETURN format('Inspection %s is missing %s results: every sample of the plan is inspected for each characteristic.', p_new->>'number', v_missing);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION workcell.inspection_may_release(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN p_new->>'decision' IS DISTINCT FROM 'accept'
                THEN format('Inspection %s rejected the lot: it is rejected, or referred to an NCR.', p_new->>'number') END
$$;

CREATE FUNCTION workcell.inspection_may_refer(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM workcell.ncr n WHERE n.id = (p_new->>'ncr_id')::bigint
                                    AND n.inspection_id = (p_new->>'id')::bigint)
                THEN format('Inspection %s is referred only with the NCR raised from it.', p_new->>'number') END
$$;

-- The disposition moves the lot with it (same transaction, same signer): released with the
-- inspection's release, rejected with its rejection. The lot's own rules still apply (its
-- "released"/"rejected" signature by someone other than the receiver, in date, no hold).
CREATE FUNCTION workcell.inspection_moves_lot() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.status = 'released' THEN
        UPDATE workcell.lot SET status = 'released', version = version + 1 WHERE id = NEW.lot_id AND status = 'quarantine';
    ELSIF NEW.status = 'rejected' THEN
        UPDATE workcell.lot SET status = 'rejected', version = version + 1 WHERE id = NEW.lot_id AND status IN ('quarantine', 'released');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION workcell.inspection_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'inspection', 'number', i.number, 'lot', l.lot_number, 'item', it.item_number,
        'inspection_type', i.inspection_type, 'template', t.id, 'template_revision', t.revision,
        'lot_size', i.lot_size, 'severity', i.severity, 'data_version', i.data_version,
        'created_by', i.created_by,
        'plans', (SELECT coalesce(jsonb_agg(jsonb_build_array(p.defect_class, p.source, trim_scale(p.aql)::text,
                         p.code_letter, p.plan_letter, p.sample_size, p.ac, p.re, p.approved_by, p.note) ORDER BY p.defect_class), '[]')
                    FROM workcell.inspection_plan p WHERE p.inspection_id = i.id),
        'results', (SELECT coalesce(jsonb_agg(jsonb_build_array(r.id, r.sample_no, r.characteristic_id,
                           trim_scale(r.value)::text, r.passed, r.serial_id, r.entered_by,
                           (SELECT x.reason FROM workcell.inspection_result_invalidation x WHERE x.result_id = r.id)) ORDER BY r.id), '[]')
                      FROM workcell.inspection_result r WHERE r.inspection_id = i.id))
      FROM workcell.inspection i JOIN workcell.lot l ON l.id = i.lot_id
      JOIN workcell.item it ON it.id = l.item_id JOIN workcell.inspection_template t ON t.id = i.template_id
     WHERE i.id = p_id
$$;

CREATE FUNCTION workcell.inspection_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('Inspection %s — lot %s (%s)', i.number, l.lot_number, replace(i.inspection_type, '_', ' ')),
        'lines', jsonb_build_array(
            format('Lot size %s, %s inspection, data %s', coalesce(i.lot_size::text, 'not counted'), i.severity, i.data_version),
            format('Decision: %s — %s', coalesce(i.decision, 'not completed'), i.decision_note)))
      FROM workcell.inspection i JOIN workcell.lot l ON l.id = i.lot_id
     WHERE i.id = p_id
$$;
