-- Sampling plans from the Z1.4 reference tables (the data version in quality_policy). The
-- tables hold each cell's resolved plan (arrows followed, the resolved letter's sample size),
-- checked by the application's engine against a walk along the AQL column before loading.

CREATE FUNCTION workcell.z14_letter(p_version text, p_lot_size integer, p_level text) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT letter FROM workcell.z14_code_letter
     WHERE data_version = p_version AND level = p_level
       AND greatest(p_lot_size, 2) >= lot_min AND (lot_max IS NULL OR greatest(p_lot_size, 2) <= lot_max)
$$;

-- The AQL column one step tighter than p_aql (switching score), or NULL at the first column.
CREATE FUNCTION workcell.z14_tighter_aql(p_version text, p_aql numeric) RETURNS numeric
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT max(aql) FROM workcell.z14_cell
     WHERE data_version = p_version AND severity = 'normal' AND aql < p_aql
$$;

-- The plans of a new inspection, one per defect class of its template: from the table
-- (100 % when the resolved n reaches the lot size), every unit, a fixed count, or
-- manual_required when the data has no cell or the lot is not counted in units — QA then
-- enters and approves the plan (workcell.set_manual_plan); nothing is guessed.
CREATE FUNCTION workcell.inspection_make_plans(p_inspection bigint) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    i workcell.inspection;
    t workcell.inspection_template;
    k workcell.inspection_template_class;
    c workcell.z14_cell;
    v_letter text;
    v_n integer;
BEGIN
    SELECT * INTO i FROM workcell.inspection WHERE id = p_inspection;
    SELECT * INTO t FROM workcell.inspection_template WHERE id = i.template_id;
    FOR k IN SELECT * FROM workcell.inspection_template_class WHERE template_id = t.id ORDER BY defect_class LOOP
        IF i.lot_size IS NULL THEN
            INSERT INTO workcell.inspection_plan (inspection_id, defect_class, source, aql, note)
            VALUES (i.id, k.defect_class, 'manual_required', k.aql,
                    'The lot is not counted in whole units: QA enters the plan.');
        ELSIF t.sampling = 'full' THEN
            INSERT INTO workcell.inspection_plan (inspection_id, defect_class, source, sample_size, ac, re)
            VALUES (i.id, k.defect_class, 'full', i.lot_size, coalesce(k.accept_number, 0), coalesce(k.accept_number, 0) + 1);
        ELSIF t.sampling = 'fixed' THEN
            INSERT INTO workcell.inspection_plan (inspection_id, defect_class, source, sample_size, ac, re)
            VALUES (i.id, k.defect_class, 'fixed', least(t.fixed_count, i.lot_size),
                    coalesce(k.accept_number, 0), coalesce(k.accept_number, 0) + 1);
        ELSE
            v_letter := workcell.z14_letter(i.data_version, i.lot_size, t.inspection_level);
            SELECT * INTO c FROM workcell.z14_cell
             WHERE data_version = i.data_version AND severity = i.severity AND letter = v_letter AND aql = k.aql;
            IF c.letter IS NULL THEN
                INSERT INTO workcell.inspection_plan (inspection_id, defect_class, source, aql, code_letter, note)
                VALUES (i.id, k.defect_class, 'manual_required', k.aql, v_letter,
                        format('No verified %s plan for letter %s at AQL %s (%s): QA enters and approves it.',
                               i.severity, v_letter, trim_scale(k.aql), i.data_version));
            ELSE
                v_n := CASE WHEN c.sample_size >= i.lot_size THEN i.lot_size ELSE c.sample_size END;
                INSERT INTO workcell.inspection_plan (inspection_id, defect_class, source, aql, code_letter,
                                                      table_cell, plan_letter, sample_size, ac, re)
                VALUES (i.id, k.defect_class, CASE WHEN c.sample_size >= i.lot_size THEN 'hundred_percent' ELSE 'z14' END,
                        k.aql, v_letter, c.table_cell, c.plan_letter, v_n, c.ac, c.re);
            END IF;
        END IF;
    END LOOP;
    PERFORM workcell.inspection_sync_sample_size(p_inspection);
END $$;

-- The units drawn: the largest class plan (NULL while a plan waits for QA).
CREATE FUNCTION workcell.inspection_sync_sample_size(p_inspection bigint) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE workcell.inspection SET sample_size = (
        SELECT CASE WHEN bool_or(p.source = 'manual_required') THEN NULL ELSE max(p.sample_size) END
          FROM workcell.inspection_plan p WHERE p.inspection_id = p_inspection),
           version = version + 1
     WHERE id = p_inspection
$$;
