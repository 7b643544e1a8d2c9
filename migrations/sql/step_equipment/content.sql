-- What is signed and locked, with equipment. Each key is appended only where there is
-- something to say, so routing revisions, locks and step signatures made before this
-- migration keep their hashes.

-- The routing's signed content (and so a work order's lock): a step's equipment class.
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
                                    THEN jsonb_build_array(jsonb_build_object(
                                        'qualification', (SELECT q.code FROM workcell.qualification q WHERE q.id = s.qualification_id),
                                        'output', s.output)
                                        || CASE WHEN s.equipment_class IS NOT NULL
                                                THEN jsonb_build_object('equipment_class', s.equipment_class)
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


-- A step instance's equipment facts: every unit recorded at it (asset, class, the use with
-- the calibration in force) and every balance reading behind a value (entry, use, value,
-- unit, tare, serial, calibration due). '{}' when there are none.
CREATE FUNCTION workcell.step_equipment_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN units IS NULL AND readings IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('equipment', coalesce(units, '[]'::jsonb), 'readings', coalesce(readings, '[]'::jsonb)) END
      FROM (SELECT
        (SELECT jsonb_agg(jsonb_build_array(u.id, q.asset_id, u.class_code, u.equipment_use_id, x.calibration_id,
                          to_char(x.calibration_due, 'YYYY-MM-DD'), x.cleaning_id, u.entered_by, workcell.utc_text(u.entered_at))
                          ORDER BY u.id)
           FROM workcell.step_equipment u JOIN workcell.equipment q ON q.id = u.equipment_id
           JOIN workcell.equipment_use x ON x.id = u.equipment_use_id
          WHERE u.step_instance_id = p_id) AS units,
        (SELECT jsonb_agg(jsonb_build_array(e.id, x.id, q.asset_id, trim_scale(x.reading_value)::text, x.reading_unit,
                          trim_scale(x.tare_value)::text, x.device_serial, to_char(x.calibration_due, 'YYYY-MM-DD'))
                          ORDER BY e.id)
           FROM workcell.step_entry e JOIN workcell.equipment_use x ON x.id = e.equipment_use_id
           JOIN workcell.equipment q ON q.id = x.equipment_id
          WHERE e.step_instance_id = p_id) AS readings) f
$$;

-- A step instance as signed, with its equipment facts where there are any.
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
      FROM workcell.step_instance si
      JOIN workcell.work_order w ON w.id = si.work_order_id
      JOIN workcell.routing_step s ON s.id = si.routing_step_id
      JOIN workcell.routing_operation o ON o.id = s.operation_id
     WHERE si.id = p_id
$$;

-- A step as the signature dialog shows it: the entries in force (a reading with its balance
-- and tare, a typed value on a weighing step said so) and the unit used.
CREATE OR REPLACE FUNCTION workcell.step_instance_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('%s op %s step %s — %s', w.number, o.op_number, s.step_number, s.title),
        'lines', coalesce((
            SELECT jsonb_agg(format('%s used: %s (%s)%s', u.class_code, q.asset_id, q.description,
                   coalesce(', calibrated until ' || to_char(x.calibration_due, 'YYYY-MM-DD'), '')) ORDER BY u.id)
              FROM workcell.step_equipment u JOIN workcell.equipment q ON q.id = u.equipment_id
              JOIN workcell.equipment_use x ON x.id = u.equipment_use_id
             WHERE u.step_instance_id = si.id), '[]'::jsonb)
        || coalesce((
            SELECT jsonb_agg(format('%s: %s%s%s%s', coalesce(d.label, 'Output'),
                   coalesce(trim_scale(e.value_numeric)::text || coalesce(' ' || d.unit, ''),
                            CASE e.value_pass WHEN true THEN 'pass' WHEN false THEN 'FAIL' END,
                            e.value_text,
                            l.lot_number || coalesce(' SN ' || x.serial_number, '') || ' × ' || trim_scale(e.quantity) || ' ' || e.unit),
                   CASE WHEN r.id IS NOT NULL THEN format('  (read from %s, tare %s %s)', q.asset_id,
                                                          coalesce(trim_scale(r.tare_value)::text, 'none'), r.reading_unit)
                        WHEN e.kind = 'value' AND d.kind = 'numeric' AND c.weighing THEN '  (typed)'
                        ELSE '' END,
                   CASE WHEN e.out_of_limit THEN '  OUT OF LIMIT' ELSE '' END,
                   CASE WHEN e.supersedes IS NOT NULL THEN '  (correction: ' || e.reason || ')' ELSE '' END)
                   ORDER BY e.id)
              FROM workcell.step_entry e
              LEFT JOIN workcell.routing_step_data d ON d.id = e.step_data_id
              LEFT JOIN workcell.lot l ON l.id = e.lot_id
              LEFT JOIN workcell.serial x ON x.id = e.serial_id
              LEFT JOIN workcell.equipment_use r ON r.id = e.equipment_use_id
              LEFT JOIN workcell.equipment q ON q.id = r.equipment_id
              LEFT JOIN workcell.equipment_class c ON c.name = s.equipment_class
             WHERE e.step_instance_id = si.id
               AND NOT EXISTS (SELECT 1 FROM workcell.step_entry n WHERE n.supersedes = e.id)), '[]'::jsonb))
      FROM workcell.step_instance si
      JOIN workcell.work_order w ON w.id = si.work_order_id
      JOIN workcell.routing_step s ON s.id = si.routing_step_id
      JOIN workcell.routing_operation o ON o.id = s.operation_id
     WHERE si.id = p_id
$$;
