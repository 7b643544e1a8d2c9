-- Lifecycle gates of the equipment registry: permissions, the status moves of a unit
-- (workcell.transition_rule) and the signing registration of a calibration.

-- Taking a unit out of service, returning or retiring it says why.
CREATE FUNCTION workcell.equipment_status_reason(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN btrim(coalesce(p_new->>'status_reason', '')) = ''
                THEN format('Say why %s is %s.', p_new->>'asset_id', replace(p_new->>'status', '_', ' ')) END
$$;

-- Registration (audited: this migration's actor is the 'system' user) ---------------------

SELECT set_config('workcell.system_actor', 'system', true);
SELECT set_config('workcell.reason', 'migration 0015: equipment', true);

INSERT INTO workcell.permission (name, kind, description) VALUES
    ('equipment.manage', 'action', 'Register equipment classes and units; return to service, retire'),
    ('equipment.take_out', 'action', 'Take a unit out of service ("do not use"), with a reason'),
    ('equipment.calibrate', 'sign', 'Record a calibration, signed as calibrated (metrology / QA)'),
    ('equipment.clean', 'action', 'Record the cleaning of a unit'),
    ('equipment.use', 'action', 'Record which unit was used (it must be usable)');
INSERT INTO workcell.role_permission (role, permission) VALUES
    ('supervisor', 'equipment.manage'), ('qa', 'equipment.manage'),
    ('operator', 'equipment.take_out'), ('supervisor', 'equipment.take_out'), ('qa', 'equipment.take_out'),
    ('qa', 'equipment.calibrate'),
    ('operator', 'equipment.clean'), ('supervisor', 'equipment.clean'),
    ('operator', 'equipment.use'), ('supervisor', 'equipment.use'), ('qa', 'equipment.use');

INSERT INTO workcell.transition_rule (record_type, from_status, to_status, action, permission, signatures, condition, description) VALUES
    ('equipment', NULL, 'in_service', 'register', 'equipment.manage', '{}', NULL,
     'Registered; used only once calibrated (and cleaned) as its class requires'),
    ('equipment', 'in_service', 'out_of_service', 'take_out', 'equipment.take_out', '{}',
     'workcell.equipment_status_reason(text, jsonb, jsonb)', 'Tagged "do not use", with a reason'),
    ('equipment', 'out_of_service', 'in_service', 'return', 'equipment.manage', '{}',
     'workcell.equipment_status_reason(text, jsonb, jsonb)', 'Returned to service (repaired, investigated), with a reason'),
    ('equipment', 'in_service', 'retired', 'retire', 'equipment.manage', '{}',
     'workcell.equipment_status_reason(text, jsonb, jsonb)', 'Retired for good; its records stay'),
    ('equipment', 'out_of_service', 'retired', 'retire', 'equipment.manage', '{}',
     'workcell.equipment_status_reason(text, jsonb, jsonb)', 'Retired for good; its records stay');

INSERT INTO workcell.signable_type (record_type, table_name, content_function, author_column, summary_function, production)
VALUES ('equipment', 'workcell.equipment', 'workcell.equipment_content(bigint)', 'created_by',
        'workcell.equipment_summary(bigint)', true);
INSERT INTO workcell.signing_rule (record_type, meaning, permission, requires, distinct_from) VALUES
    ('equipment', 'calibrated', 'equipment.calibrate', '{}', '{}');
