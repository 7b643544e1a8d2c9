-- 8-D CAPA: raised from an NCR; nine disciplines D0..D8, each a section with content, an
-- owner, a due date and the owner's signature when complete, in order; D3 (containment)
-- lists the lots the NCR holds; D7 (effectiveness verified) before D8, which QA signs; the
-- CAPA closes with QA's signature when every section is complete. An open CAPA blocks
-- closing its NCR.

CREATE FUNCTION workcell.capa_title(p_discipline integer) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT (ARRAY['D0 Plan and emergency response', 'D1 Team', 'D2 Problem description',
                  'D3 Containment', 'D4 Root cause', 'D5 Corrective actions chosen',
                  'D6 Corrective actions implemented', 'D7 Effectiveness verified, recurrence prevented',
                  'D8 Closure and recognition'])[p_discipline + 1]
$$;

-- Raise a CAPA on an NCR (quality.ncr.raise): nine sections, owners and due dates given as
-- arrays of nine (D0..D8). D3 starts with the lots the NCR holds.
CREATE FUNCTION workcell.raise_capa(p_ncr bigint, p_title text, p_owners bigint[], p_due date[]) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    n workcell.ncr;
    v_id bigint;
    d integer;
BEGIN
    PERFORM workcell.require_permission('quality.ncr.raise');
    SELECT * INTO n FROM workcell.ncr WHERE id = p_ncr FOR NO KEY UPDATE;
    IF n.id IS NULL OR n.status = 'closed' THEN
        RAISE EXCEPTION 'A CAPA is raised on an NCR that is not closed' USING ERRCODE = 'WC130';
    END IF;
    IF cardinality(p_owners) <> 9 OR cardinality(p_due) <> 9 OR array_position(p_owners, NULL) IS NOT NULL
       OR array_position(p_due, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'A CAPA names an owner and a due date for each of D0..D8' USING ERRCODE = 'WC130';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_owners) o (id) WHERE NOT EXISTS (
                 SELECT 1 FROM workcell.users u WHERE u.id = o.id AND u.kind = 'person' AND u.status = 'active')) THEN
        RAISE EXCEPTION 'Every CAPA section owner is an active person' USING ERRCODE = 'WC130';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', left('CAPA raised: ' || coalesce(p_title, ''), 500), true);
    END IF;
    INSERT INTO workcell.capa (number, ncr_id, title)
    VALUES ('CAPA' || to_char(now() AT TIME ZONE 'UTC', 'YYMM') || '-' || lpad(nextval('workcell.capa_number_seq')::text, 4, '0'),
            n.id, btrim(p_title))
    RETURNING id INTO v_id;
    FOR d IN 0..8 LOOP
        INSERT INTO workcell.capa_section (capa_id, discipline, content, owner_id, due_date)
        VALUES (v_id, d,
                CASE WHEN d = 3 THEN 'Held lots (NCR ' || n.number || '): ' || coalesce((
                    SELECT string_agg(l.lot_number || ' (' || x.via || ')', ', ' ORDER BY l.lot_number)
                      FROM workcell.ncr_lot x JOIN workcell.lot l ON l.id = x.lot_id WHERE x.ncr_id = n.id), 'none')
                     ELSE '' END,
                p_owners[d + 1], p_due[d + 1]);
    END LOOP;
    RETURN v_id;
END $$;

-- A section's content and due date change while it is open, by its owner or QA; its owner
-- and discipline never.
CREATE FUNCTION workcell.capa_section_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (NEW.capa_id, NEW.discipline, NEW.owner_id) IS DISTINCT FROM (OLD.capa_id, OLD.discipline, OLD.owner_id) THEN
        RAISE EXCEPTION 'A CAPA section keeps its discipline and owner' USING ERRCODE = 'WC130';
    END IF;
    IF OLD.status = 'complete' AND (NEW.content, NEW.due_date) IS DISTINCT FROM (OLD.content, OLD.due_date) THEN
        RAISE EXCEPTION '% is complete: its content is signed', workcell.capa_title(OLD.discipline) USING ERRCODE = 'WC130';
    END IF;
    IF (NEW.content, NEW.due_date) IS DISTINCT FROM (OLD.content, OLD.due_date)
       AND workcell.current_actor_id() <> OLD.owner_id THEN
        PERFORM workcell.require_permission('quality.disposition');
    END IF;
    IF NEW.status = 'complete' AND OLD.status = 'open' THEN
        NEW.completed_at := now();
    END IF;
    RETURN NEW;
END $$;

-- Complete in order, with content; D7 before D8, and D8 by QA.
CREATE FUNCTION workcell.capa_section_may_complete(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_d integer := (p_new->>'discipline')::integer;
BEGIN
    IF btrim(p_new->>'content') = '' THEN
        RETURN format('%s has no content yet.', workcell.capa_title(v_d));
    END IF;
    IF v_d > 0 AND EXISTS (SELECT 1 FROM workcell.capa_section s WHERE s.capa_id = (p_new->>'capa_id')::bigint
                              AND s.discipline < v_d AND s.status <> 'complete') THEN
        RETURN format('%s is completed after the disciplines before it.', workcell.capa_title(v_d));
    END IF;
    IF v_d = 8 THEN
        PERFORM workcell.require_permission('quality.disposition');
    ELSIF (p_new->>'owner_id')::bigint <> workcell.current_actor_id() THEN
        RETURN format('%s is signed complete by its owner.', workcell.capa_title(v_d));
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION workcell.capa_may_close(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM workcell.capa_section s WHERE s.capa_id = (p_new->>'id')::bigint AND s.status <> 'complete')
                THEN format('CAPA %s closes when D0..D8 are complete.', p_new->>'number') END
$$;

CREATE FUNCTION workcell.capa_section_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object('type', 'capa_section', 'capa', c.number, 'discipline', s.discipline,
                              'content', s.content, 'owner', s.owner_id, 'due', to_char(s.due_date, 'YYYY-MM-DD'))
      FROM workcell.capa_section s JOIN workcell.capa c ON c.id = s.capa_id WHERE s.id = p_id
$$;

CREATE FUNCTION workcell.capa_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object('type', 'capa', 'number', c.number, 'ncr', n.number, 'title', c.title, 'created_by', c.created_by,
        'sections', (SELECT jsonb_agg(jsonb_build_array(s.discipline, s.content, s.owner_id) ORDER BY s.discipline)
                       FROM workcell.capa_section s WHERE s.capa_id = c.id))
      FROM workcell.capa c JOIN workcell.ncr n ON n.id = c.ncr_id WHERE c.id = p_id
$$;
