-- What is locked and what is signed in the work order area. Content functions render
-- substantive facts only (never status or version), times in UTC, lists in a fixed order.

-- The routing's signed content gains the step's required qualification and output flag,
-- appended only where set: revisions released before this migration keep their hashes.
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
                            || CASE WHEN s.qualification_id IS NOT NULL OR s.output
                                    THEN jsonb_build_array(jsonb_build_object(
                                        'qualification', (SELECT q.code FROM workcell.qualification q WHERE q.id = s.qualification_id),
                                        'output', s.output))
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

CREATE FUNCTION workcell.utc_text(p timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT to_char(p AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- The exploded BOM under a BOM revision, each level below the top resolved to the revision
-- in effect at p_at (the same resolution as domain/services/explosion.py), in path order.
CREATE FUNCTION workcell.exploded_bom(p_bom_revision_id bigint, p_at timestamptz) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE tree AS (
        SELECT 1 AS level, ARRAY[l.position] AS path, r.revision AS parent_revision,
               l.component_id, l.quantity_per, l.unit, l.scrap_factor, l.optional, l.alternate_of
          FROM workcell.bom_revision r JOIN workcell.bom_line l ON l.bom_revision_id = r.id
         WHERE r.id = p_bom_revision_id
        UNION ALL
        SELECT t.level + 1, t.path || l.position, r.revision,
               l.component_id, l.quantity_per, l.unit, l.scrap_factor, l.optional, l.alternate_of
          FROM tree t
         CROSS JOIN LATERAL (
             SELECT r0.id, r0.revision FROM workcell.bom_revision r0
              WHERE r0.item_id = t.component_id AND r0.effective @> p_at
              ORDER BY lower(r0.effective) DESC LIMIT 1) r
          JOIN workcell.bom_line l ON l.bom_revision_id = r.id
         WHERE t.level < 40
    )
    SELECT coalesce(jsonb_agg(jsonb_build_array(to_jsonb(t.path), t.parent_revision, c.item_number,
                              t.quantity_per, t.unit, t.scrap_factor, t.optional, t.alternate_of)
                              ORDER BY t.path), '[]'::jsonb)
      FROM tree t JOIN workcell.item c ON c.id = t.component_id
$$;

-- The lock of a work order: item, quantity, the exploded BOM and the routing content as
-- they were at the release instant. Its SHA-256 is stored beside the lock.
CREATE FUNCTION workcell.work_order_lock_content(p_item_id bigint, p_bom_revision_id bigint,
                                                 p_routing_revision_id bigint, p_at timestamptz) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'item', (SELECT item_number FROM workcell.item WHERE id = p_item_id),
        'at', workcell.utc_text(p_at),
        'bom', jsonb_build_object(
            'revision', (SELECT revision FROM workcell.bom_revision WHERE id = p_bom_revision_id),
            'hash', workcell.bom_revision_hash(p_bom_revision_id),
            'exploded', workcell.exploded_bom(p_bom_revision_id, p_at)),
        'routing', jsonb_build_object(
            'revision', (SELECT revision FROM workcell.routing_revision WHERE id = p_routing_revision_id),
            'content', workcell.routing_revision_content(p_routing_revision_id)))
$$;

-- Does the stored lock still match its hash and what its revisions say today?
CREATE FUNCTION workcell.work_order_lock_valid(p_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT w.lock_hash = workcell.sha256_of(w.lock_content)
       AND w.lock_content = workcell.work_order_lock_content(w.item_id, w.bom_revision_id,
                                                             w.routing_revision_id, w.released_at)
      FROM workcell.work_order w WHERE w.id = p_id AND w.lock_hash IS NOT NULL
$$;

-- A step instance as signed: its place, and every entry made on it (corrections too, with
-- what they supersede), the deviations raised on it.
CREATE FUNCTION workcell.step_instance_content(p_id bigint) RETURNS jsonb
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
      FROM workcell.step_instance si
      JOIN workcell.work_order w ON w.id = si.work_order_id
      JOIN workcell.routing_step s ON s.id = si.routing_step_id
      JOIN workcell.routing_operation o ON o.id = s.operation_id
     WHERE si.id = p_id
$$;

CREATE FUNCTION workcell.step_instance_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('%s op %s step %s — %s', w.number, o.op_number, s.step_number, s.title),
        'lines', coalesce((
            SELECT jsonb_agg(format('%s: %s%s%s', coalesce(d.label, 'Output'),
                   coalesce(trim_scale(e.value_numeric)::text || coalesce(' ' || d.unit, ''),
                            CASE e.value_pass WHEN true THEN 'pass' WHEN false THEN 'FAIL' END,
                            e.value_text,
                            l.lot_number || coalesce(' SN ' || x.serial_number, '') || ' × ' || trim_scale(e.quantity) || ' ' || e.unit),
                   CASE WHEN e.out_of_limit THEN '  OUT OF LIMIT' ELSE '' END,
                   CASE WHEN e.supersedes IS NOT NULL THEN '  (correction: ' || e.reason || ')' ELSE '' END)
                   ORDER BY e.id)
              FROM workcell.step_entry e
              LEFT JOIN workcell.routing_step_data d ON d.id = e.step_data_id
              LEFT JOIN workcell.lot l ON l.id = e.lot_id
              LEFT JOIN workcell.serial x ON x.id = e.serial_id
             WHERE e.step_instance_id = si.id
               AND NOT EXISTS (SELECT 1 FROM workcell.step_entry n WHERE n.supersedes = e.id)), '[]'::jsonb))
      FROM workcell.step_instance si
      JOIN workcell.work_order w ON w.id = si.work_order_id
      JOIN workcell.routing_step s ON s.id = si.routing_step_id
      JOIN workcell.routing_operation o ON o.id = s.operation_id
     WHERE si.id = p_id
$$;

-- A work order as QA signs it "reviewed": its lock, output, reconciliation, each step's
-- signed content (by hash) and its deviations.
CREATE FUNCTION workcell.work_order_content(p_id bigint) RETURNS jsonb
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
      FROM workcell.work_order w JOIN workcell.item i ON i.id = w.item_id
      LEFT JOIN workcell.lot l ON l.id = w.output_lot_id
     WHERE w.id = p_id
$$;

CREATE FUNCTION workcell.work_order_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('%s — %s %s %s', w.number, i.item_number, trim_scale(w.quantity), w.unit),
        'lines', jsonb_build_array(
            format('BOM rev %s, routing rev %s (lock %s…)', b.revision, r.revision, left(w.lock_hash, 12)),
            format('Output lot %s: %s %s (yield %s%%)', coalesce(l.lot_number, '-'),
                   coalesce(trim_scale(w.actual_quantity)::text, '-'), w.unit, coalesce(trim_scale(w.yield_pct)::text, '-')),
            format('Labels issued %s, used %s, destroyed %s', w.labels_issued, w.labels_used, w.labels_destroyed),
            format('Deviations: %s', (SELECT count(*) FROM workcell.deviation v WHERE v.work_order_id = w.id))))
      FROM workcell.work_order w JOIN workcell.item i ON i.id = w.item_id
      LEFT JOIN workcell.bom_revision b ON b.id = w.bom_revision_id
      LEFT JOIN workcell.routing_revision r ON r.id = w.routing_revision_id
      LEFT JOIN workcell.lot l ON l.id = w.output_lot_id
     WHERE w.id = p_id
$$;

CREATE FUNCTION workcell.deviation_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'deviation', 'number', v.number, 'work_order', w.number, 'step', si.seq,
        'entry', v.step_entry_id, 'kind', v.kind, 'what', v.what, 'expected', v.expected,
        'actual', v.actual, 'why', v.why, 'opened_by', v.created_by, 'opened_at', workcell.utc_text(v.created_at))
      FROM workcell.deviation v JOIN workcell.work_order w ON w.id = v.work_order_id
      LEFT JOIN workcell.step_instance si ON si.id = v.step_instance_id
     WHERE v.id = p_id
$$;

CREATE FUNCTION workcell.deviation_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('%s on %s — %s', v.number, w.number, replace(v.kind, '_', ' ')),
        'lines', jsonb_build_array(format('What: %s', v.what), format('Expected: %s', v.expected),
                                   format('Actual: %s', v.actual), format('Why: %s', v.why)))
      FROM workcell.deviation v JOIN workcell.work_order w ON w.id = v.work_order_id
     WHERE v.id = p_id
$$;

CREATE FUNCTION workcell.person_qualification_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'person_qualification', 'id', p.id, 'person', u.username, 'qualification', q.code,
        'document', q.document, 'document_revision', q.document_revision,
        'trained_on', to_char(p.trained_on, 'YYYY-MM-DD'), 'expires_on', to_char(p.expires_on, 'YYYY-MM-DD'),
        'recorded_by', p.created_by)
      FROM workcell.person_qualification p
      JOIN workcell.users u ON u.id = p.user_id
      JOIN workcell.qualification q ON q.id = p.qualification_id
     WHERE p.id = p_id
$$;

CREATE FUNCTION workcell.person_qualification_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('%s trained on %s — %s', u.printed_name, q.code, q.title),
        'lines', jsonb_build_array(format('%s rev %s', q.document, q.document_revision),
                                   format('Trained on %s, expires %s', p.trained_on, coalesce(p.expires_on::text, 'never'))))
      FROM workcell.person_qualification p
      JOIN workcell.users u ON u.id = p.user_id
      JOIN workcell.qualification q ON q.id = p.qualification_id
     WHERE p.id = p_id
$$;

-- The guard's record labels, with the work order record types.
CREATE OR REPLACE FUNCTION workcell.record_label(p_type text, p_row jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE p_type
        WHEN 'item' THEN 'Item ' || (p_row->>'item_number')
        WHEN 'eco' THEN p_row->>'number'
        WHEN 'bom_revision' THEN 'BOM revision ' || (p_row->>'revision')
        WHEN 'routing_revision' THEN 'Routing revision ' || (p_row->>'revision')
        WHEN 'lot' THEN 'Lot ' || (p_row->>'lot_number')
        WHEN 'hold' THEN 'Hold ' || (p_row->>'id')
        WHEN 'shipment' THEN 'Shipment ' || (p_row->>'shipment_number')
        WHEN 'work_order' THEN 'Work order ' || (p_row->>'number')
        WHEN 'step_instance' THEN 'Step ' || (p_row->>'seq')
        WHEN 'deviation' THEN 'Deviation ' || (p_row->>'number')
        WHEN 'person_qualification' THEN 'Qualification record ' || (p_row->>'id')
        ELSE replace(p_type, '_', ' ') || ' ' || (p_row->>'id') END
$$;
