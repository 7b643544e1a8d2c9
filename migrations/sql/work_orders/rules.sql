-- Lifecycle gates of the work order area: condition functions, the signing rules the
-- routing's step signoffs demand (checked on every signature), the extended lot release
-- rule, permissions, roles and the transition rules.

-- Conditions (SECURITY INVOKER; they raise the work order codes WC08x/WC09x) ---------------

CREATE FUNCTION workcell.work_order_may_cancel(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM workcell.step_entry e JOIN workcell.step_instance si ON si.id = e.step_instance_id
                              WHERE si.work_order_id = (p_new->>'id')::bigint)
                THEN format('Work order %s has entries: it is completed (with deviations), not cancelled.', p_new->>'number') END
$$;

CREATE FUNCTION workcell.work_order_may_complete(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_open text := (SELECT string_agg(si.seq::text, ', ' ORDER BY si.seq) FROM workcell.step_instance si
                     WHERE si.work_order_id = (p_new->>'id')::bigint AND si.status <> 'done');
BEGIN
    IF v_open IS NOT NULL THEN
        RAISE EXCEPTION 'Work order % is not complete: step(s) % are not done', p_new->>'number', v_open
            USING ERRCODE = 'WC090';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION workcell.work_order_may_be_reviewed(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint := (p_new->>'id')::bigint;
    v_open text := (SELECT string_agg(number, ', ' ORDER BY id) FROM workcell.deviation
                     WHERE work_order_id = (p_new->>'id')::bigint AND status = 'open');
    v_part text := workcell.wo_took_part((p_new->>'id')::bigint, workcell.current_actor_id());
BEGIN
    IF v_open IS NOT NULL THEN
        RAISE EXCEPTION 'Work order % has open deviations (%): QA approves them before the review', p_new->>'number', v_open
            USING ERRCODE = 'WC090';
    END IF;
    IF v_part IS NOT NULL THEN
        RAISE EXCEPTION 'The reviewer of % % : someone who took no part reviews it', p_new->>'number', v_part
            USING ERRCODE = 'WC090';
    END IF;
    IF NOT workcell.work_order_lock_valid(v_id) THEN
        RAISE EXCEPTION 'The lock of work order % does not match its hash', p_new->>'number' USING ERRCODE = 'WC083';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION workcell.work_order_may_close(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN l.status = 'quarantine'
                THEN format('Work order %s closes once QA has released or rejected its lot %s.', p_new->>'number', l.lot_number) END
      FROM (SELECT (p_new->>'output_lot_id')::bigint AS id) x
      LEFT JOIN workcell.lot l ON l.id = x.id
$$;

-- What still keeps a step open (NULL: it may close): required entries, the signatures its
-- routing step demands on its current content, deviations waiting for QA.
CREATE FUNCTION workcell.step_blockers(p_step_instance_id bigint) RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    si workcell.step_instance;
    v_hash text;
    v_out text[] := '{}';
    r record;
BEGIN
    SELECT * INTO si FROM workcell.step_instance WHERE id = p_step_instance_id;
    FOR r IN SELECT d.label FROM workcell.routing_step_data d
              WHERE d.step_id = si.routing_step_id AND d.required
                AND NOT EXISTS (SELECT 1 FROM workcell.step_entry e WHERE e.step_instance_id = si.id AND e.step_data_id = d.id)
              ORDER BY d.position LOOP
        v_out := v_out || format('%s not recorded', r.label);
    END LOOP;
    IF (SELECT output FROM workcell.routing_step WHERE id = si.routing_step_id)
       AND NOT EXISTS (SELECT 1 FROM workcell.step_entry e WHERE e.step_instance_id = si.id AND e.kind = 'output') THEN
        v_out := v_out || 'output not recorded'::text;
    END IF;
    v_hash := workcell.record_content_hash('step_instance', si.id);
    FOR r IN SELECT g.meaning, g.role FROM workcell.routing_step_signoff g
              WHERE g.step_id = si.routing_step_id
                AND NOT EXISTS (SELECT 1 FROM workcell.signature s
                                 WHERE s.record_type = 'step_instance' AND s.record_id = si.id AND s.meaning = g.meaning
                                   AND s.content_hash = v_hash AND s.binding_hash = workcell.signature_binding(s))
              ORDER BY g.position LOOP
        v_out := v_out || format('"%s" signature (%s) missing', r.meaning, r.role);
    END LOOP;
    FOR r IN SELECT number FROM workcell.deviation WHERE step_instance_id = si.id AND status = 'open' ORDER BY id LOOP
        v_out := v_out || format('deviation %s waits for QA approval', r.number);
    END LOOP;
    RETURN v_out;
END $$;

CREATE FUNCTION workcell.step_may_close(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_blockers text[] := workcell.step_blockers((p_new->>'id')::bigint);
BEGIN
    IF cardinality(v_blockers) > 0 THEN
        RAISE EXCEPTION 'Step % cannot be done yet: %', p_new->>'seq', array_to_string(v_blockers, '; ')
            USING ERRCODE = 'WC088';
    END IF;
    RETURN NULL;
END $$;

-- Signatures of the area: what the routing's signoffs demand, by whom (checked on every
-- signature row before it is written, for any writer). BEFORE INSERT ON workcell.signature.
CREATE FUNCTION workcell.execution_signature_rules() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    si workcell.step_instance;
    g workcell.routing_step_signoff;
    v workcell.deviation;
    w workcell.work_order;
    v_missing text;
    v_part text;
    v_name text := (SELECT printed_name FROM workcell.users WHERE id = NEW.signer_id);
BEGIN
    IF NEW.record_type = 'step_instance' THEN
        SELECT * INTO si FROM workcell.step_instance WHERE id = NEW.record_id;
        SELECT * INTO g FROM workcell.routing_step_signoff WHERE step_id = si.routing_step_id AND meaning = NEW.meaning;
        IF g.id IS NULL THEN
            RAISE EXCEPTION 'Step % does not call for a "%" signature (it needs: %)', si.seq, NEW.meaning,
                coalesce((SELECT string_agg(meaning, ', ' ORDER BY position) FROM workcell.routing_step_signoff
                           WHERE step_id = si.routing_step_id), 'none') USING ERRCODE = 'WC087';
        END IF;
        IF si.status = 'done' OR (SELECT status FROM workcell.work_order WHERE id = si.work_order_id)
                                  NOT IN ('released', 'in_progress') THEN
            RAISE EXCEPTION 'Step % is closed: it is signed while its work order runs', si.seq
                USING ERRCODE = 'WC087';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM workcell.user_role WHERE user_id = NEW.signer_id AND role = g.role) THEN
            RAISE EXCEPTION '% signs step % as "%" only with the % role', v_name, si.seq, NEW.meaning, g.role
                USING ERRCODE = 'WC087';
        END IF;
        SELECT string_agg(d.label, ', ' ORDER BY d.position) INTO v_missing FROM workcell.routing_step_data d
         WHERE d.step_id = si.routing_step_id AND d.required
           AND NOT EXISTS (SELECT 1 FROM workcell.step_entry e WHERE e.step_instance_id = si.id AND e.step_data_id = d.id);
        IF v_missing IS NOT NULL THEN
            RAISE EXCEPTION 'Step % is signed once everything is recorded (missing: %)', si.seq, v_missing
                USING ERRCODE = 'WC087';
        END IF;
        SELECT string_agg(p.meaning, ', ' ORDER BY p.position) INTO v_missing FROM workcell.routing_step_signoff p
         WHERE p.step_id = si.routing_step_id AND p.position < g.position
           AND NOT EXISTS (SELECT 1 FROM workcell.signature s WHERE s.record_type = 'step_instance'
                              AND s.record_id = si.id AND s.meaning = p.meaning AND s.content_hash = NEW.content_hash);
        IF v_missing IS NOT NULL THEN
            RAISE EXCEPTION 'Step % is signed "%" after "%"', si.seq, NEW.meaning, v_missing USING ERRCODE = 'WC087';
        END IF;
        IF NEW.meaning <> 'performed' THEN
            IF EXISTS (SELECT 1 FROM workcell.signature s WHERE s.record_type = 'step_instance' AND s.record_id = si.id
                          AND s.signer_id = NEW.signer_id AND s.meaning <> NEW.meaning) THEN
                RAISE EXCEPTION '% signed step % already (%): another person signs it as "%"', v_name, si.seq,
                    (SELECT string_agg(DISTINCT s.meaning, ', ') FROM workcell.signature s WHERE s.record_type = 'step_instance'
                        AND s.record_id = si.id AND s.signer_id = NEW.signer_id), NEW.meaning
                    USING ERRCODE = 'WC087', HINT = 'The performer never verifies or reviews their own step.';
            END IF;
            IF EXISTS (SELECT 1 FROM workcell.step_entry e WHERE e.step_instance_id = si.id AND e.entered_by = NEW.signer_id) THEN
                RAISE EXCEPTION '% made entries at step %: another person signs it as "%"', v_name, si.seq, NEW.meaning
                    USING ERRCODE = 'WC087', HINT = 'The performer never verifies or reviews their own step.';
            END IF;
        END IF;
        IF NEW.meaning IN ('performed', 'verified') THEN
            PERFORM workcell.assert_qualified(NEW.signer_id, si.id, format('sign step %s as "%s"', si.seq, NEW.meaning));
        END IF;
    ELSIF NEW.record_type = 'work_order' THEN
        SELECT * INTO w FROM workcell.work_order WHERE id = NEW.record_id;
        IF w.status <> 'complete' THEN
            RAISE EXCEPTION 'Work order % is %: QA reviews a complete work order', w.number, replace(w.status, '_', ' ')
                USING ERRCODE = 'WC090';
        END IF;
        v_part := workcell.wo_took_part(w.id, NEW.signer_id);
        IF v_part IS NOT NULL THEN
            RAISE EXCEPTION '% % of %: someone who took no part reviews it', v_name, v_part, w.number
                USING ERRCODE = 'WC090';
        END IF;
    ELSIF NEW.record_type = 'deviation' THEN
        SELECT * INTO v FROM workcell.deviation WHERE id = NEW.record_id;
        IF v.status <> 'open' THEN
            RAISE EXCEPTION 'Deviation % is %', v.number, v.status USING ERRCODE = 'WC089';
        END IF;
        IF NEW.signer_id = v.created_by
           OR EXISTS (SELECT 1 FROM workcell.step_entry e WHERE e.step_instance_id = v.step_instance_id AND e.entered_by = NEW.signer_id)
           OR EXISTS (SELECT 1 FROM workcell.signature s WHERE s.record_type = 'step_instance'
                         AND s.record_id = v.step_instance_id AND s.signer_id = NEW.signer_id AND s.meaning = 'performed')
           OR (v.step_instance_id IS NULL AND workcell.wo_took_part(v.work_order_id, NEW.signer_id) IS NOT NULL) THEN
            RAISE EXCEPTION '% performed the work deviation % is about: another QA person approves it', v_name, v.number
                USING ERRCODE = 'WC089';
        END IF;
    ELSIF NEW.record_type = 'person_qualification' THEN
        IF NEW.signer_id = (SELECT user_id FROM workcell.person_qualification WHERE id = NEW.record_id) THEN
            RAISE EXCEPTION 'Nobody attests their own training' USING ERRCODE = 'WC094';
        END IF;
    ELSIF NEW.record_type = 'lot' AND NEW.meaning = 'released' THEN
        PERFORM workcell.assert_output_releasable(NEW.record_id, NEW.signer_id);
    END IF;
    RETURN NEW;
END $$;

-- A work order's output lot is released after the work order's QA review, by nobody who
-- performed or verified a step of it (or made entries at one).
CREATE FUNCTION workcell.assert_output_releasable(p_lot_id bigint, p_user_id bigint) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w workcell.work_order;
    v_part text;
BEGIN
    SELECT * INTO w FROM workcell.work_order WHERE output_lot_id = p_lot_id;
    IF w.id IS NULL THEN
        RETURN;
    END IF;
    IF w.status NOT IN ('reviewed', 'closed') THEN
        RAISE EXCEPTION 'Lot % comes from work order %, which is %: QA reviews the work order first',
            (SELECT lot_number FROM workcell.lot WHERE id = p_lot_id), w.number, replace(w.status, '_', ' ')
            USING ERRCODE = 'WC092';
    END IF;
    v_part := workcell.wo_took_part(w.id, p_user_id);
    IF v_part IS NOT NULL THEN
        RAISE EXCEPTION '% % of work order %: someone else releases lot %',
            (SELECT printed_name FROM workcell.users WHERE id = p_user_id), v_part, w.number,
            (SELECT lot_number FROM workcell.lot WHERE id = p_lot_id)
            USING ERRCODE = 'WC092', HINT = 'Nobody releases a lot they performed or verified a step of.';
    END IF;
END $$;

-- The lot release rule of migration 0012, extended: the output of a work order also needs
-- the work order reviewed, and a releaser (the session holder and the "released" signer)
-- who took no part in it.
CREATE OR REPLACE FUNCTION workcell.lot_may_be_released(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_today date := workcell.plant_today();
    v_id bigint := (p_new->>'id')::bigint;
BEGIN
    IF (p_new->>'expiry_date')::date < v_today THEN
        RETURN format('Lot %s expired on %s: it cannot be released.', p_new->>'lot_number', p_new->>'expiry_date');
    END IF;
    IF (p_new->>'retest_date')::date < v_today THEN
        RETURN format('Lot %s is past its retest date %s: retest before release.', p_new->>'lot_number', p_new->>'retest_date');
    END IF;
    IF workcell.lot_is_held(v_id) THEN
        RETURN format('Lot %s is on hold: the hold is released first.', p_new->>'lot_number');
    END IF;
    PERFORM workcell.assert_output_releasable(v_id, workcell.current_actor_id());
    PERFORM workcell.assert_output_releasable(v_id, s.signer_id)
       FROM workcell.signature s WHERE s.record_type = 'lot' AND s.record_id = v_id AND s.meaning = 'released'
      ORDER BY s.id DESC LIMIT 1;
    RETURN NULL;
END $$;

-- Registration (audited: this migration's actor is the 'system' user) ---------------------

SELECT set_config('workcell.system_actor', 'system', true);
SELECT set_config('workcell.reason', 'migration 0013: work orders', true);

INSERT INTO workcell.role (name, description) VALUES
    ('planner', 'Plans, releases and cancels work orders');

INSERT INTO workcell.permission (name, kind, description) VALUES
    ('work_order.create', 'action', 'Plan work orders'),
    ('work_order.release', 'action', 'Release a work order (locks its BOM and routing revisions)'),
    ('work_order.cancel', 'action', 'Cancel a work order nothing was recorded on'),
    ('work_order.complete', 'action', 'Complete a work order whose steps are done (yield and labels reconciled)'),
    ('work_order.review', 'sign', 'Review a complete work order by exception (QA), signed'),
    ('work_order.close', 'action', 'Close a reviewed work order'),
    ('step.perform', 'sign', 'Sign a work order step as performed'),
    ('step.verify', 'sign', 'Sign a work order step as verified (not its performer)'),
    ('step.review', 'sign', 'Sign a critical work order step as reviewed (QA)'),
    ('deviation.open', 'action', 'Open a deviation at a step (substitution, skipped check)'),
    ('deviation.approve', 'sign', 'Approve a deviation (QA), signed'),
    ('training.manage', 'action', 'Define qualifications (procedure and revision)'),
    ('training.record', 'action', 'Record and attest a person''s training');
INSERT INTO workcell.role_permission (role, permission) VALUES
    ('planner', 'work_order.create'), ('planner', 'work_order.release'), ('planner', 'work_order.cancel'),
    ('supervisor', 'work_order.create'), ('supervisor', 'work_order.release'), ('supervisor', 'work_order.cancel'),
    ('supervisor', 'work_order.complete'), ('operator', 'work_order.complete'),
    ('qa', 'work_order.review'), ('qa', 'work_order.close'), ('supervisor', 'work_order.close'),
    ('operator', 'step.perform'), ('supervisor', 'step.perform'),
    ('supervisor', 'step.verify'), ('qa', 'step.verify'), ('engineer', 'step.verify'),
    ('qa', 'step.review'),
    ('operator', 'deviation.open'), ('supervisor', 'deviation.open'), ('qa', 'deviation.open'),
    ('qa', 'deviation.approve'),
    ('qa', 'training.manage'), ('admin', 'training.manage'),
    ('qa', 'training.record'), ('supervisor', 'training.record'), ('admin', 'training.record');

INSERT INTO workcell.transition_rule (record_type, from_status, to_status, action, permission, signatures, condition, restarts, description) VALUES
    ('work_order', NULL, 'planned', 'create', 'work_order.create', '{}', NULL, false, 'Planned for an item, quantity and due date'),
    ('work_order', 'planned', 'released', 'release', 'work_order.release', '{}', NULL, false,
     'Released: the BOM and routing revisions in effect now are locked on it (with their SHA-256)'),
    ('work_order', 'planned', 'cancelled', 'cancel', 'work_order.cancel', '{}', NULL, false, 'Not needed'),
    ('work_order', 'released', 'cancelled', 'cancel', 'work_order.cancel', '{}',
     'workcell.work_order_may_cancel(text, jsonb, jsonb)', false, 'Released but nothing recorded on it'),
    ('work_order', 'released', 'in_progress', 'start', 'work.execute', '{}', NULL, false, 'Its first entry was made'),
    ('work_order', 'in_progress', 'complete', 'complete', 'work_order.complete', '{}',
     'workcell.work_order_may_complete(text, jsonb, jsonb)', false, 'Every step done; yield and labels reconciled'),
    ('work_order', 'complete', 'reviewed', 'review', 'work_order.review', '{reviewed}',
     'workcell.work_order_may_be_reviewed(text, jsonb, jsonb)', false,
     'QA review by exception, signed by someone who took no part; no open deviation'),
    ('work_order', 'reviewed', 'closed', 'close', 'work_order.close', '{}',
     'workcell.work_order_may_close(text, jsonb, jsonb)', false, 'Its output lot released or rejected'),
    ('step_instance', NULL, 'pending', 'create', NULL, '{}', NULL, false, 'Made at the work order''s release'),
    ('step_instance', 'pending', 'in_progress', 'start', 'work.execute', '{}', NULL, false, 'Its first entry was made'),
    ('step_instance', 'in_progress', 'done', 'close', 'work.execute', '{}',
     'workcell.step_may_close(text, jsonb, jsonb)', false,
     'Everything recorded, the signatures its routing step demands, no deviation waiting for QA'),
    ('deviation', NULL, 'open', 'open', NULL, '{}', NULL, false, 'Opened by the database or at the step'),
    ('deviation', 'open', 'approved', 'approve', 'deviation.approve', '{approved}', NULL, false,
     'QA approval, signed by someone who did not perform the work'),
    ('person_qualification', NULL, 'pending', 'record', 'training.record', '{}',
     'workcell.person_qualification_may_create(text, jsonb, jsonb)', false, 'Training recorded, to be attested'),
    ('person_qualification', 'pending', 'active', 'attest', 'training.record', '{attested}', NULL, false,
     'Attested by a trainer or an administrator (not the trainee)'),
    ('person_qualification', 'pending', 'revoked', 'revoke', 'training.record', '{}', NULL, false, 'Recorded in error'),
    ('person_qualification', 'active', 'revoked', 'revoke', 'training.record', '{}', NULL, false, 'No longer qualified');

INSERT INTO workcell.signable_type (record_type, table_name, content_function, author_column, summary_function, production)
VALUES ('step_instance', 'workcell.step_instance', 'workcell.step_instance_content(bigint)', NULL,
        'workcell.step_instance_summary(bigint)', true),
       ('work_order', 'workcell.work_order', 'workcell.work_order_content(bigint)', 'created_by',
        'workcell.work_order_summary(bigint)', true),
       ('deviation', 'workcell.deviation', 'workcell.deviation_content(bigint)', 'created_by',
        'workcell.deviation_summary(bigint)', true),
       -- not a production record: an administrator may attest training
       ('person_qualification', 'workcell.person_qualification', 'workcell.person_qualification_content(bigint)',
        'created_by', 'workcell.person_qualification_summary(bigint)', false);

INSERT INTO workcell.signing_rule (record_type, meaning, permission, requires, distinct_from) VALUES
    ('step_instance', 'performed', 'step.perform', '{}', '{}'),
    ('step_instance', 'verified', 'step.verify', '{}', '{performed}'),
    ('step_instance', 'reviewed', 'step.review', '{}', '{performed,verified}'),
    ('work_order', 'reviewed', 'work_order.review', '{}', '{}'),
    ('deviation', 'approved', 'deviation.approve', '{}', '{author}'),
    ('person_qualification', 'attested', 'training.record', '{}', '{}');
