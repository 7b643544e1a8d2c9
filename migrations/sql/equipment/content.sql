-- What is signed on an equipment unit (its identity, never status, dates or version) and
-- what the signing dialog shows.

CREATE FUNCTION workcell.equipment_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'equipment', 'asset_id', e.asset_id, 'class', e.class_code,
        'description', e.description, 'device_serial', e.device_serial,
        'readability', trim_scale(e.readability)::text, 'capacity', trim_scale(e.capacity)::text,
        'unit', e.weighing_unit,
        'created_at', to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'created_by', e.created_by)
      FROM workcell.equipment e
     WHERE e.id = p_id
$$;

CREATE FUNCTION workcell.equipment_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('Equipment %s — %s (%s)', e.asset_id, e.description, e.class_code),
        'lines', jsonb_build_array(
            format('Serial %s%s', coalesce(e.device_serial, '-'),
                   CASE WHEN e.readability IS NOT NULL
                        THEN format(', d = %s %s, max %s %s', trim_scale(e.readability), e.weighing_unit,
                                    trim_scale(e.capacity), e.weighing_unit) ELSE '' END),
            format('Calibration due %s', coalesce(to_char(e.calibration_due, 'YYYY-MM-DD'), 'none (not calibrated)')),
            format('Status %s%s', replace(e.status, '_', ' '),
                   CASE WHEN e.status_reason <> '' THEN ': ' || e.status_reason ELSE '' END)))
      FROM workcell.equipment e
     WHERE e.id = p_id
$$;
