-- Training gates (§11.10(i)): who is qualified for what, checked by the database at every
-- step entry and step signature.

-- A qualification keeps its code, document and revision (a new revision of the procedure
-- is a new qualification); only its title is corrected. Written by training.manage.
CREATE FUNCTION workcell.qualification_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM workcell.require_permission('training.manage');
    IF TG_OP = 'UPDATE' AND (NEW.code, NEW.document, NEW.document_revision, NEW.created_at, NEW.created_by)
       IS DISTINCT FROM (OLD.code, OLD.document, OLD.document_revision, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION 'Qualification % keeps its code, document and revision', OLD.code
            USING ERRCODE = 'WC094', HINT = 'A new revision of the procedure is a new qualification.';
    END IF;
    RETURN NEW;
END $$;

-- A person's record keeps its person, qualification and dates; who attested it is the
-- server's (the signer of the "attested" signature that activates it).
CREATE FUNCTION workcell.person_qualification_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.attested_by := NULL;
        RETURN NEW;
    END IF;
    IF (NEW.user_id, NEW.qualification_id, NEW.trained_on, NEW.expires_on, NEW.created_at, NEW.created_by)
       IS DISTINCT FROM (OLD.user_id, OLD.qualification_id, OLD.trained_on, OLD.expires_on, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION 'A qualification record keeps its person, qualification and dates'
            USING ERRCODE = 'WC094', HINT = 'Revoke it and record a new one.';
    END IF;
    IF OLD.status = 'pending' AND NEW.status = 'active' THEN
        NEW.attested_by := (SELECT s.signer_id FROM workcell.signature s
                             WHERE s.record_type = 'person_qualification' AND s.record_id = NEW.id
                               AND s.meaning = 'attested' ORDER BY s.id DESC LIMIT 1);
    ELSE
        NEW.attested_by := OLD.attested_by;
    END IF;
    RETURN NEW;
END $$;

-- A new record: for a person (not a system actor), trained on a day that has come.
CREATE FUNCTION workcell.person_qualification_may_create(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (SELECT kind FROM workcell.users WHERE id = (p_new->>'user_id')::bigint) IS DISTINCT FROM 'person' THEN
        RAISE EXCEPTION 'Qualifications are recorded for people only' USING ERRCODE = 'WC094';
    END IF;
    IF (p_new->>'trained_on')::date > workcell.plant_today() THEN
        RAISE EXCEPTION 'Trained on % is in the future: record training once it has happened', p_new->>'trained_on'
            USING ERRCODE = 'WC094';
    END IF;
    IF (p_new->>'user_id')::bigint = workcell.current_actor_id() THEN
        RAISE EXCEPTION 'Nobody records their own training' USING ERRCODE = 'WC094',
            HINT = 'A trainer or an administrator records and attests it.';
    END IF;
    RETURN NULL;
END $$;

-- The qualifications a step instance needs (its operation's and its own).
CREATE FUNCTION workcell.step_qualifications(p_step_instance_id bigint) RETURNS SETOF workcell.qualification
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT q.* FROM workcell.step_instance si
      JOIN workcell.routing_step s ON s.id = si.routing_step_id
      JOIN workcell.routing_operation o ON o.id = s.operation_id
      JOIN workcell.qualification q ON q.id = o.qualification_id OR q.id = s.qualification_id
     WHERE si.id = p_step_instance_id
     ORDER BY q.code
$$;

-- Why a person may not act at a step (NULL: qualified). Expired means past expires_on.
CREATE FUNCTION workcell.qualification_gap(p_user_id bigint, p_step_instance_id bigint) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q workcell.qualification;
    v_expires date;
    v_found boolean;
    v_today date := workcell.plant_today();
BEGIN
    IF (SELECT kind FROM workcell.users WHERE id = p_user_id) = 'system' THEN
        RETURN NULL;  -- owner-side system work
    END IF;
    FOR q IN SELECT * FROM workcell.step_qualifications(p_step_instance_id) LOOP
        SELECT count(*) > 0, max(coalesce(p.expires_on, 'infinity'::date)) INTO v_found, v_expires
          FROM workcell.person_qualification p
         WHERE p.user_id = p_user_id AND p.qualification_id = q.id AND p.status = 'active';
        IF NOT v_found THEN
            RETURN format('not qualified for %s (%s, %s rev %s)', q.code, q.title, q.document, q.document_revision);
        ELSIF v_expires < v_today THEN
            RETURN format('qualification %s (%s, %s rev %s) expired on %s', q.code, q.title, q.document,
                          q.document_revision, v_expires);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

CREATE FUNCTION workcell.assert_qualified(p_user_id bigint, p_step_instance_id bigint, p_doing text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_gap text := workcell.qualification_gap(p_user_id, p_step_instance_id);
BEGIN
    IF v_gap IS NOT NULL THEN
        RAISE EXCEPTION '% may not %: %', (SELECT printed_name FROM workcell.users WHERE id = p_user_id), p_doing, v_gap
            USING ERRCODE = 'WC086', HINT = 'Ask a trainer to record the training, or another qualified person.';
    END IF;
END $$;

-- Qualifications that run out within p_days (the supervisor's home screen), soonest first.
CREATE FUNCTION workcell.qualifications_expiring(p_days integer DEFAULT 30)
RETURNS TABLE (username text, printed_name text, code text, title text, document text,
               document_revision text, expires_on date, days_left integer)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT u.username, u.printed_name, q.code, q.title, q.document, q.document_revision, p.expires_on,
           (p.expires_on - workcell.plant_today())::integer
      FROM workcell.person_qualification p
      JOIN workcell.users u ON u.id = p.user_id
      JOIN workcell.qualification q ON q.id = p.qualification_id
     WHERE p.status = 'active' AND p.expires_on IS NOT NULL
       AND p.expires_on BETWEEN workcell.plant_today() AND workcell.plant_today() + greatest(p_days, 0)
       -- a newer record of the same qualification that lasts longer replaces this one
       AND NOT EXISTS (SELECT 1 FROM workcell.person_qualification n
                        WHERE n.user_id = p.user_id AND n.qualification_id = p.qualification_id
                          AND n.status = 'active' AND coalesce(n.expires_on, 'infinity'::date) > p.expires_on)
     ORDER BY p.expires_on, u.username, q.code
$$;
