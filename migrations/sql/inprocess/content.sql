-- What is signed and locked, with the inspection at a step. Each key is appended only where
-- there is something to say, so routing revisions, locks and step signatures made before
-- this migration keep their hashes. (Whole functions, replacing migration 0021's.)

-- The routing's signed content (and so a work order's lock): a step's inspection type.
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
      FROM workcell.routing_revision r JOIN workcell.item i ON i.id = r.item_id
     WHERE r.id = p_id
$$;


-- A step instance's inspection as its signatures bind it: number, type, status, decision and
-- the NCR's number and disposition (fixed by the time the step is signed: the NCR's later
-- closing does not change what was signed); '{}' when the step names none or it is not
-- opened yet.
CREATE FUNCTION workcell.step_inspection_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((
        SELECT jsonb_build_object('inspection', jsonb_build_array(i.number, i.inspection_type, i.status, i.decision,
                                                                  n.number, n.disposition))
          FROM workcell.step_inspection x JOIN workcell.inspection i ON i.id = x.inspection_id
          LEFT JOIN workcell.ncr n ON n.id = i.ncr_id
         WHERE x.step_instance_id = p_id), '{}'::jsonb)
$$;

-- A step instance as signed, with its equipment facts and its inspection where there are any.
CREATE OR REPLACE FUNCTION workcell.step_instance_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'step_instance', 'work_order', w.number, 'lock', w.lock_hash, 'seq', si.seq,
        'operation', o.op_number, 'step', s.step_number, 'title', s.title,
        'entries', coalesce((
            SELECT jsonb_agg(jsonb_build_array(e.id, d.code, e.kind,
                   coalesce(trim_scale(e.value_numeric)::text, e.value_pass::text, e.value_text),
                   l.lot_number, x.serial_number, trim_scale(e.quantity)::text, e.unit, e.out_of_limit,
                   e.supersedes, e.reason, e.entered_by, workcell.utc_text(e.entered_at),
                   e.equipment_id, e.value_source) ORDER BY e.id)
              FROM workcell.step_entry e
              LEFT JOIN workcell.routing_step_data d ON d.id = e.step_data_id
              LEFT JOIN workcell.lot l ON l.id = e.lot_id
              LEFT JOIN workcell.serial x ON x.id = e.serial_id
             WHERE e.step_instance_id = si.id), '[]'::jsonb),
        'deviations', coalesce((
            SELECT jsonb_agg(jsonb_build_array(v.number, v.kind, v.what) ORDER BY v.id)
              FROM workcell.deviation v WHERE v.step_instance_id = si.id), '[]'::jsonb))
        || workcell.step_equipment_content(si.id)
        || workcell.step_inspection_content(si.id)
      FROM workcell.step_instance si
      JOIN workcell.work_order w ON w.id = si.work_order_id
      JOIN workcell.routing_step s ON s.id = si.routing_step_id
      JOIN workcell.routing_operation o ON o.id = s.operation_id
     WHERE si.id = p_id
$$;
