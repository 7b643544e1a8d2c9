-- A sampling plan QA enters by hand (where the Z1.4 tables give none) is approved by QA's
-- electronic signature on the inspection, meaning 'plan_approved', made after the plan was
-- entered (its content then carries the plan: n, Ac, Re, approver, note). Completion is
-- refused while a manual plan lacks that signature by the person who entered it.

SELECT set_config('workcell.system_actor', 'system', true);
SELECT set_config('workcell.reason', 'migration 0033: manual sampling plans are signed', true);

INSERT INTO workcell.signing_rule (record_type, meaning, permission, requires, distinct_from) VALUES
    ('inspection', 'plan_approved', 'quality.plan', '{}', '{}');

CREATE OR REPLACE FUNCTION workcell.inspection_may_complete(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint := (p_new->>'id')::bigint;
    v_missing integer;
    v_unsigned text;
BEGIN
    IF p_new->>'sample_size' IS NULL THEN
        RETURN format('Inspection %s waits for QA to enter its sampling plan.', p_new->>'number');
    END IF;
    SELECT string_agg(p.defect_class, ', ' ORDER BY p.defect_class) INTO v_unsigned
      FROM workcell.inspection_plan p
     WHERE p.inspection_id = v_id AND p.source = 'manual'
       AND NOT EXISTS (SELECT 1 FROM workcell.signature s
                        WHERE s.record_type = 'inspection' AND s.record_id = v_id
                          AND s.meaning = 'plan_approved' AND s.signer_id = p.approved_by
                          AND s.signed_at >= p.approved_at);
    IF v_unsigned IS NOT NULL THEN
        RETURN format('Inspection %s: the %s plan entered by QA is not signed as approved yet.', p_new->>'number', v_unsigned);
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
