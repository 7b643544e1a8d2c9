-- Inspection templates: versioned like BOM revisions (draft -> in_review -> released ->
-- superseded), authored and approved by signature, content editable only as a draft.

-- A template's content (and its classes and characteristics) changes only while it is a
-- draft, by someone with quality.template; afterwards only its status moves, by its rules.
CREATE FUNCTION workcell.inspection_template_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM workcell.require_permission('quality.template');
    IF OLD.status <> 'draft' AND (to_jsonb(NEW) - ARRAY['status', 'version'])
                                  IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'version']) THEN
        RAISE EXCEPTION 'Inspection template % revision % is %: its content is fixed', OLD.id, OLD.revision, OLD.status
            USING ERRCODE = 'WC117', HINT = 'Make a new revision (a draft) and release it.';
    END IF;
    IF (NEW.item_id, NEW.inspection_type, NEW.revision, NEW.created_by, NEW.created_at)
       IS DISTINCT FROM (OLD.item_id, OLD.inspection_type, OLD.revision, OLD.created_by, OLD.created_at) THEN
        RAISE EXCEPTION 'An inspection template keeps its item, type and revision' USING ERRCODE = 'WC117';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION workcell.inspection_template_part_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_template bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.template_id ELSE NEW.template_id END;
    v_status text;
BEGIN
    PERFORM workcell.require_permission('quality.template');
    SELECT status INTO v_status FROM workcell.inspection_template WHERE id = v_template FOR NO KEY UPDATE;
    IF v_status IS DISTINCT FROM 'draft'
       OR (TG_OP = 'UPDATE' AND NEW.template_id IS DISTINCT FROM OLD.template_id) THEN
        RAISE EXCEPTION 'Inspection template % is %: its characteristics and sampling are fixed', v_template,
            coalesce(v_status, 'missing') USING ERRCODE = 'WC117', HINT = 'Make a new revision (a draft) and release it.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

-- Ready for review: characteristics, and a plan for each defect class they use (a table
-- AQL for Z1.4 sampling).
CREATE FUNCTION workcell.inspection_template_complete(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint := (p_new->>'id')::bigint;
    v_missing text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM workcell.inspection_characteristic WHERE template_id = v_id) THEN
        RETURN format('Inspection template %s has no characteristics.', v_id);
    END IF;
    SELECT string_agg(DISTINCT c.defect_class, ', ') INTO v_missing
      FROM workcell.inspection_characteristic c
      LEFT JOIN workcell.inspection_template_class k ON k.template_id = v_id AND k.defect_class = c.defect_class
     WHERE c.template_id = v_id
       AND (k.id IS NULL OR (p_new->>'sampling' = 'z14' AND NOT EXISTS (
                SELECT 1 FROM workcell.z14_cell z JOIN workcell.quality_policy q ON q.data_version = z.data_version
                 WHERE z.severity = 'normal' AND z.aql = k.aql)));
    IF v_missing IS NOT NULL THEN
        RETURN format('Inspection template %s needs a sampling plan (an AQL of the table for Z1.4) for: %s.', v_id, v_missing);
    END IF;
    RETURN NULL;
END $$;

-- Released while no other revision of the same item and type is (the older one is
-- superseded first, in the same transaction).
CREATE FUNCTION workcell.inspection_template_may_release(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM workcell.inspection_template t
                              WHERE t.item_id = (p_new->>'item_id')::bigint AND t.inspection_type = p_new->>'inspection_type'
                                AND t.status = 'released' AND t.id <> (p_new->>'id')::bigint)
                THEN format('Another revision of this %s template is released: it is superseded first.', p_new->>'inspection_type') END
$$;

CREATE FUNCTION workcell.inspection_template_may_supersede(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM workcell.inspection_template t
                                  WHERE t.item_id = (p_new->>'item_id')::bigint AND t.inspection_type = p_new->>'inspection_type'
                                    AND t.status = 'in_review' AND t.revision > (p_new->>'revision')::integer)
                THEN 'A released template is superseded only by the release of a newer revision.' END
$$;

CREATE FUNCTION workcell.inspection_template_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'inspection_template', 'item', i.item_number, 'inspection_type', t.inspection_type,
        'revision', t.revision, 'title', t.title, 'sampling', t.sampling, 'level', t.inspection_level,
        'fixed_count', t.fixed_count, 'created_by', t.created_by,
        'classes', (SELECT coalesce(jsonb_agg(jsonb_build_array(k.defect_class, trim_scale(k.aql)::text, k.accept_number)
                                              ORDER BY k.defect_class), '[]')
                      FROM workcell.inspection_template_class k WHERE k.template_id = t.id),
        'characteristics', (SELECT coalesce(jsonb_agg(jsonb_build_array(c.seq, c.name, c.kind, c.defect_class, c.unit,
                                   trim_scale(c.nominal)::text, trim_scale(c.lower_limit)::text,
                                   trim_scale(c.upper_limit)::text, c.instruction) ORDER BY c.seq), '[]')
                              FROM workcell.inspection_characteristic c WHERE c.template_id = t.id))
      FROM workcell.inspection_template t JOIN workcell.item i ON i.id = t.item_id
     WHERE t.id = p_id
$$;

CREATE FUNCTION workcell.inspection_template_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('%s inspection template %s rev %s — %s', initcap(replace(t.inspection_type, '_', ' ')),
                        i.item_number, t.revision, t.title),
        'lines', (SELECT jsonb_build_array(
            CASE t.sampling WHEN 'z14' THEN format('Z1.4 level %s; AQL %s', t.inspection_level,
                     (SELECT string_agg(k.defect_class || ' ' || trim_scale(k.aql), ', ' ORDER BY k.defect_class)
                        FROM workcell.inspection_template_class k WHERE k.template_id = t.id))
                 WHEN 'fixed' THEN format('%s units per lot', t.fixed_count) ELSE 'Every unit' END,
            format('%s characteristics', (SELECT count(*) FROM workcell.inspection_characteristic c WHERE c.template_id = t.id)))))
      FROM workcell.inspection_template t JOIN workcell.item i ON i.id = t.item_id
     WHERE t.id = p_id
$$;
