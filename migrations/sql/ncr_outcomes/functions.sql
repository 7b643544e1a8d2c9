-- What an NCR's disposition does to the work order whose step inspection it came from
-- (migration 0035). Scrap or return to supplier stops the work order at that step: the
-- step never goes on, so the work order is completed short from there, and the
-- completion opens a deviation naming the NCR that QA approves before the review.

-- The first step of a work order stopped by its inspection's NCR (dispositioned scrap or
-- return to supplier), or NULL: {"seq", "step_instance_id", "inspection", "ncr", "disposition"}.
CREATE FUNCTION workcell.work_order_stop(p_work_order_id bigint) RETURNS jsonb
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
       AND n.status IN ('dispositioned', 'closed') AND n.disposition IN ('scrap', 'return_to_supplier')
     ORDER BY si.seq
     LIMIT 1
$$;

-- Complete: every step done, or every step not done is the stopped step or after it
-- (the steps before it were all run).
CREATE OR REPLACE FUNCTION workcell.work_order_may_complete(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint := (p_new->>'id')::bigint;
    v_stop jsonb := workcell.work_order_stop(v_id);
    v_open text := (SELECT string_agg(si.seq::text, ', ' ORDER BY si.seq) FROM workcell.step_instance si
                     WHERE si.work_order_id = v_id AND si.status <> 'done'
                       AND (v_stop IS NULL OR si.seq < (v_stop->>'seq')::integer));
BEGIN
    IF v_open IS NOT NULL AND v_stop IS NOT NULL THEN
        RAISE EXCEPTION 'Work order % is not complete: step(s) % are not done', p_new->>'number', v_open
            USING ERRCODE = 'WC090', HINT = format('It stops at step %s (NCR %s): the steps before it are done first.',
                                                   v_stop->>'seq', v_stop->>'ncr');
    ELSIF v_open IS NOT NULL THEN
        RAISE EXCEPTION 'Work order % is not complete: step(s) % are not done', p_new->>'number', v_open
            USING ERRCODE = 'WC090';
    END IF;
    RETURN NULL;
END $$;

-- At completion, yield and labels reconciled, and a work order completed short says so:
-- each outside its limit is a deviation the review waits for (AFTER UPDATE, after the
-- transition guard).
CREATE OR REPLACE FUNCTION workcell.work_order_reconcile() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_tolerance numeric := (SELECT yield_tolerance_pct FROM workcell.work_order_policy WHERE id = 1);
    v_stop jsonb := workcell.work_order_stop(NEW.id);
BEGIN
    IF v_stop IS NOT NULL THEN
        INSERT INTO workcell.deviation (work_order_id, step_instance_id, kind, what, expected, actual, why)
        VALUES (NEW.id, (v_stop->>'step_instance_id')::bigint, 'other',
                format('%s completed short: stopped at step %s', NEW.number, v_stop->>'seq'),
                format('steps 1 to %s done', (SELECT max(seq) FROM workcell.step_instance WHERE work_order_id = NEW.id)),
                format('step(s) %s not done', (SELECT string_agg(seq::text, ', ' ORDER BY seq) FROM workcell.step_instance
                                                WHERE work_order_id = NEW.id AND status <> 'done')),
                format('Inspection %s at step %s was referred to NCR %s, dispositioned %s', v_stop->>'inspection',
                       v_stop->>'seq', v_stop->>'ncr', replace(v_stop->>'disposition', '_', ' ')));
    END IF;
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

-- Rework: WorkCell makes no rework work orders yet (a rework routing revision and a work
-- order consuming the held lot are not built), so a rework disposition is refused and says
-- so, rather than dispositioning with nothing behind it. The rest as 0018.
CREATE OR REPLACE FUNCTION workcell.ncr_may_disposition(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_missing text[];
BEGIN
    IF p_new->>'disposition' IS NULL THEN
        RETURN format('NCR %s has no disposition yet.', p_new->>'number');
    END IF;
    IF p_new->>'disposition' = 'rework' THEN
        RETURN format('NCR %s: rework needs a rework work order on a rework routing revision, which WorkCell does not make yet: choose another disposition.', p_new->>'number');
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

-- Every disposition a risk matrix allows needs QA's approval among the others: the quality
-- unit's approval of a nonconformance's disposition is not optional (21 CFR 820.90(b)(1),
-- 211.22). The service said so; a draft written by plain SQL now cannot drop it either.
ALTER TABLE workcell.risk_matrix_approval
    ADD CONSTRAINT ck_risk_matrix_approval_qa CHECK ('qa_approved' = ANY (approvals));
