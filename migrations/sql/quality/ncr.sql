-- NCRs: raised from a failed inspection, a deviation or by hand; risk class from the released
-- risk matrix (severity x occurrence); the affected lots and everything made from them
-- (forward trace) go on NCR hold at once and leave it only through the NCR's disposition,
-- which needs the approvals the risk class demands for that disposition.

CREATE FUNCTION workcell.risk_class_of(p_severity integer, p_occurrence integer) RETURNS TABLE (matrix_id bigint, risk_class text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.id, c.risk_class FROM workcell.risk_matrix m
      JOIN workcell.risk_matrix_cell c ON c.matrix_id = m.id AND c.severity = p_severity AND c.occurrence = p_occurrence
     WHERE m.status = 'released'
$$;

-- Put one lot on NCR hold (and record it on the NCR); the lot row is locked by the hold guard.
CREATE FUNCTION workcell.ncr_hold_lot(p_ncr workcell.ncr, p_lot bigint, p_via text) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_hold bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM workcell.ncr_lot WHERE ncr_id = p_ncr.id AND lot_id = p_lot) THEN
        RETURN;
    END IF;
    INSERT INTO workcell.hold (lot_id, source, source_ref, reason)
    VALUES (p_lot, 'ncr', p_ncr.number, left(format('NCR %s: %s', p_ncr.number, p_ncr.title), 500))
    RETURNING id INTO v_hold;
    INSERT INTO workcell.ncr_lot (ncr_id, lot_id, via, hold_id) VALUES (p_ncr.id, p_lot, p_via, v_hold);
END $$;

-- Raise an NCR: the lots named (or the inspection's lot) and every lot made from them that
-- is not used up go on NCR hold in the same transaction.
CREATE FUNCTION workcell.raise_ncr(p_origin text, p_inspection bigint, p_lots bigint[], p_title text,
                                   p_description text, p_severity integer, p_occurrence integer) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    n workcell.ncr;
    i workcell.inspection;
    r record;
    v_lots bigint[] := coalesce(p_lots, '{}');
    v_lot bigint;
BEGIN
    PERFORM workcell.require_permission('quality.ncr.raise');
    SELECT * INTO r FROM workcell.risk_class_of(p_severity, p_occurrence);
    IF r.matrix_id IS NULL THEN
        RAISE EXCEPTION 'Severity % and occurrence % are not on the released risk matrix', p_severity, p_occurrence
            USING ERRCODE = 'WC128', HINT = 'Both are 1 to 5.';
    END IF;
    IF p_origin = 'inspection' THEN
        SELECT * INTO i FROM workcell.inspection WHERE id = p_inspection FOR UPDATE;
        IF i.status IS DISTINCT FROM 'completed' OR i.ncr_id IS NOT NULL THEN
            RAISE EXCEPTION 'An NCR is raised from a completed inspection not yet dispositioned' USING ERRCODE = 'WC123';
        END IF;
        v_lots := array_prepend(i.lot_id, array_remove(v_lots, i.lot_id));
    ELSIF p_inspection IS NOT NULL THEN
        RAISE EXCEPTION 'Only an NCR from an inspection names one' USING ERRCODE = 'WC123';
    END IF;
    IF cardinality(v_lots) = 0 THEN
        RAISE EXCEPTION 'An NCR names the lots it concerns' USING ERRCODE = 'WC123';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(v_lots) x (id) WHERE NOT EXISTS (SELECT 1 FROM workcell.lot l WHERE l.id = x.id)) THEN
        RAISE EXCEPTION 'An NCR names lots that exist' USING ERRCODE = 'WC123';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', left('NCR raised: ' || coalesce(p_title, ''), 500), true);
    END IF;
    INSERT INTO workcell.ncr (number, origin, inspection_id, title, description, severity, occurrence, matrix_id, risk_class)
    VALUES ('NCR' || to_char(now() AT TIME ZONE 'UTC', 'YYMM') || '-' || lpad(nextval('workcell.ncr_number_seq')::text, 5, '0'),
            p_origin, p_inspection, btrim(p_title), btrim(p_description), p_severity, p_occurrence, r.matrix_id, r.risk_class)
    RETURNING * INTO n;
    IF p_origin = 'inspection' THEN
        UPDATE workcell.inspection SET ncr_id = n.id, version = version + 1 WHERE id = p_inspection;
    END IF;
    FOREACH v_lot IN ARRAY v_lots LOOP
        PERFORM workcell.ncr_hold_lot(n, v_lot, 'direct');
    END LOOP;
    -- forward trace: every lot made from an affected lot, with stock left
    FOR r IN WITH RECURSIVE reach (lot_id) AS (
                 SELECT e.child_lot_id FROM workcell.genealogy_edge e WHERE e.parent_lot_id = ANY (v_lots)
                 UNION SELECT e.child_lot_id FROM workcell.genealogy_edge e JOIN reach ON e.parent_lot_id = reach.lot_id)
             SELECT reach.lot_id FROM reach JOIN workcell.lot l ON l.id = reach.lot_id
              WHERE l.status IN ('quarantine', 'released') AND reach.lot_id <> ALL (v_lots)
              ORDER BY reach.lot_id LOOP
        PERFORM workcell.ncr_hold_lot(n, r.lot_id, 'forward_trace');
    END LOOP;
    RETURN n.id;
END $$;

-- What of an NCR changes: while open, its disposition and note (approvals are signed on
-- them: a change needs new approvals); never its facts.
CREATE FUNCTION workcell.ncr_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (to_jsonb(NEW) - ARRAY['status', 'version', 'disposition', 'disposition_note'])
       IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'version', 'disposition', 'disposition_note']) THEN
        RAISE EXCEPTION 'NCR % keeps its facts and risk class', OLD.number USING ERRCODE = 'WC123';
    END IF;
    IF OLD.status <> 'open' AND (NEW.disposition, NEW.disposition_note) IS DISTINCT FROM (OLD.disposition, OLD.disposition_note) THEN
        RAISE EXCEPTION 'NCR % is %: its disposition is fixed', OLD.number, OLD.status USING ERRCODE = 'WC123';
    END IF;
    IF (NEW.disposition, NEW.disposition_note) IS DISTINCT FROM (OLD.disposition, OLD.disposition_note) THEN
        PERFORM workcell.require_permission('quality.disposition');
    END IF;
    RETURN NEW;
END $$;

-- The approvals a disposition needs in the NCR's risk class (from its matrix), signed on the
-- NCR's current content (which holds the disposition) since its last restart.
CREATE FUNCTION workcell.ncr_missing_approvals(p_ncr bigint) RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(m.meaning ORDER BY m.meaning), '{}')
      FROM workcell.ncr n
      JOIN workcell.risk_matrix_approval a ON a.matrix_id = n.matrix_id AND a.risk_class = n.risk_class AND a.disposition = n.disposition
     CROSS JOIN LATERAL unnest(a.approvals) AS m (meaning)
     WHERE n.id = p_ncr
       AND NOT EXISTS (SELECT 1 FROM workcell.signature s
                        WHERE s.record_type = 'ncr' AND s.record_id = n.id AND s.meaning = m.meaning
                          AND s.content_hash = workcell.record_content_hash('ncr', n.id)
                          AND s.binding_hash = workcell.signature_binding(s))
$$;

CREATE FUNCTION workcell.ncr_may_disposition(p_type text, p_new jsonb, p_old jsonb) RETURNS text
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
        RETURN format('NCR %s: rework creates a rework work order on a rework routing, and work orders are not available yet: choose another disposition.', p_new->>'number');
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

-- Closed when its holds are closed (by the disposition) and no CAPA on it is open.
CREATE FUNCTION workcell.ncr_may_close(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM workcell.hold h
                              WHERE h.source = 'ncr' AND h.source_ref = p_new->>'number' AND h.status = 'open')
                THEN format('NCR %s still holds lots: they are released or rejected by its disposition first.', p_new->>'number')
                WHEN EXISTS (SELECT 1 FROM workcell.capa c WHERE c.ncr_id = (p_new->>'id')::bigint AND c.status = 'open')
                THEN format('NCR %s has an open CAPA (%s): the CAPA is closed first.', p_new->>'number',
                            (SELECT string_agg(c.number, ', ') FROM workcell.capa c WHERE c.ncr_id = (p_new->>'id')::bigint AND c.status = 'open'))
                END
$$;

CREATE FUNCTION workcell.ncr_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'ncr', 'number', n.number, 'origin', n.origin, 'inspection', n.inspection_id,
        'title', n.title, 'description', n.description, 'severity', n.severity, 'occurrence', n.occurrence,
        'matrix', n.matrix_id, 'risk_class', n.risk_class, 'disposition', n.disposition,
        'disposition_note', n.disposition_note, 'created_by', n.created_by,
        'lots', (SELECT coalesce(jsonb_agg(jsonb_build_array(l.lot_number, x.via) ORDER BY l.lot_number), '[]')
                   FROM workcell.ncr_lot x JOIN workcell.lot l ON l.id = x.lot_id WHERE x.ncr_id = n.id))
      FROM workcell.ncr n WHERE n.id = p_id
$$;

CREATE FUNCTION workcell.ncr_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('%s — %s', n.number, n.title),
        'lines', jsonb_build_array(
            format('Severity %s x occurrence %s: %s risk', n.severity, n.occurrence, n.risk_class),
            format('Disposition: %s %s', coalesce(replace(n.disposition, '_', ' '), 'none yet'), n.disposition_note),
            format('Lots: %s', (SELECT string_agg(l.lot_number, ', ' ORDER BY l.lot_number)
                                  FROM workcell.ncr_lot x JOIN workcell.lot l ON l.id = x.lot_id WHERE x.ncr_id = n.id))))
      FROM workcell.ncr n WHERE n.id = p_id
$$;

-- Risk matrix: cells and approval rules change only while the matrix is a draft.
CREATE FUNCTION workcell.risk_matrix_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_status text;
BEGIN
    PERFORM workcell.require_permission('quality.configure');
    IF TG_TABLE_NAME = 'risk_matrix' THEN
        IF OLD.status <> 'draft' AND (to_jsonb(NEW) - ARRAY['status', 'version']) IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'version']) THEN
            RAISE EXCEPTION 'Risk matrix revision % is %: it is fixed', OLD.revision, OLD.status USING ERRCODE = 'WC128';
        END IF;
        RETURN NEW;
    END IF;
    SELECT status INTO v_status FROM workcell.risk_matrix
     WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.matrix_id ELSE NEW.matrix_id END;
    IF v_status IS DISTINCT FROM 'draft' OR (TG_OP = 'UPDATE' AND NEW.matrix_id <> OLD.matrix_id) THEN
        RAISE EXCEPTION 'The risk matrix is %: its cells and approvals are fixed', coalesce(v_status, 'missing')
            USING ERRCODE = 'WC128', HINT = 'Make a new revision and release it.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE FUNCTION workcell.risk_matrix_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object('type', 'risk_matrix', 'revision', m.revision, 'title', m.title, 'created_by', m.created_by,
        'cells', (SELECT coalesce(jsonb_agg(jsonb_build_array(c.severity, c.occurrence, c.risk_class) ORDER BY c.severity, c.occurrence), '[]')
                    FROM workcell.risk_matrix_cell c WHERE c.matrix_id = m.id),
        'approvals', (SELECT coalesce(jsonb_agg(jsonb_build_array(a.risk_class, a.disposition, a.approvals) ORDER BY a.risk_class, a.disposition), '[]')
                        FROM workcell.risk_matrix_approval a WHERE a.matrix_id = m.id))
      FROM workcell.risk_matrix m WHERE m.id = p_id
$$;

-- A new revision is released over the old one (superseded first, in the same transaction).
CREATE FUNCTION workcell.risk_matrix_may_release(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN (SELECT count(*) FROM workcell.risk_matrix_cell c WHERE c.matrix_id = (p_new->>'id')::bigint) <> 25
                THEN format('Risk matrix revision %s needs all 25 cells (severity x occurrence).', p_new->>'revision')
                WHEN EXISTS (SELECT 1 FROM workcell.risk_matrix m WHERE m.status = 'released' AND m.id <> (p_new->>'id')::bigint)
                THEN 'Another risk matrix is released: it is superseded first.' END
$$;

CREATE FUNCTION workcell.risk_matrix_may_supersede(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM workcell.risk_matrix m WHERE m.status = 'draft'
                                    AND m.revision > (p_new->>'revision')::integer)
                THEN 'A released risk matrix is superseded only by the release of a newer revision.' END
$$;
