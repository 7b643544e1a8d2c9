-- The record guards of 0003/0004, without the status lists they used to carry (the moves
-- are workcell.transition_rule's now) and with the permission to edit a draft checked in
-- the database, not only in the service.

-- An approved item's substantive fields are locked; a draft's change needs item.create.
CREATE OR REPLACE FUNCTION workcell.item_approval_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (NEW.description, NEW.item_type, NEW.unit, NEW.tracking, NEW.shelf_life_days, NEW.gtin)
       IS DISTINCT FROM
       (OLD.description, OLD.item_type, OLD.unit, OLD.tracking, OLD.shelf_life_days, OLD.gtin) THEN
        IF OLD.status <> 'draft' OR NEW.status <> 'draft' THEN
            RAISE EXCEPTION 'Item % is %: its content is locked', OLD.item_number, OLD.status
                USING ERRCODE = 'WC011',
                      HINT = 'Return it to draft with a reason, change it, then have QA approve it again.';
        END IF;
        PERFORM workcell.require_permission('item.create');
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION workcell.eng_revision_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_lifecycle text[] := ARRAY['status', 'effective', 'version'];
    v_what text := replace(TG_TABLE_NAME, '_revision', '') || ' revision ' || OLD.revision;
BEGIN
    IF NEW.id <> OLD.id OR NEW.item_id <> OLD.item_id OR NEW.revision <> OLD.revision
       OR NEW.created_at <> OLD.created_at OR NEW.created_by <> OLD.created_by THEN
        RAISE EXCEPTION 'The item, label and creator of % cannot change', v_what
            USING ERRCODE = 'WC021';
    END IF;
    IF (to_jsonb(NEW) - v_lifecycle) IS DISTINCT FROM (to_jsonb(OLD) - v_lifecycle) THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION '% is %: only a draft revision can be edited', v_what, OLD.status
                USING ERRCODE = 'WC021', HINT = 'Make a new draft revision and change it through an ECO.';
        END IF;
        PERFORM workcell.require_permission('engineering.edit');
    END IF;
    IF NEW.effective IS DISTINCT FROM OLD.effective THEN
        IF OLD.effective IS NULL THEN
            IF NOT (OLD.status = 'in_review' AND NEW.status = 'released') THEN
                RAISE EXCEPTION 'Effectivity of % is set only when it is released', v_what
                    USING ERRCODE = 'WC023';
            END IF;
            IF lower(NEW.effective) < now() THEN
                RAISE EXCEPTION 'Effective date % of % is in the past', lower(NEW.effective), v_what
                    USING ERRCODE = 'WC023', HINT = 'Choose now or a later date.';
            END IF;
        ELSIF NEW.effective IS NULL OR lower(NEW.effective) <> lower(OLD.effective) THEN
            RAISE EXCEPTION 'The effective start of % never moves once released', v_what
                USING ERRCODE = 'WC023';
        ELSIF NOT upper_inf(OLD.effective) THEN
            RAISE EXCEPTION 'The effective end of % is already set', v_what USING ERRCODE = 'WC023';
        ELSIF upper(NEW.effective) < now() THEN
            RAISE EXCEPTION 'The effective end of % cannot be in the past', v_what
                USING ERRCODE = 'WC023';
        ELSIF NOT (OLD.status = 'released' AND NEW.status = 'superseded') THEN
            RAISE EXCEPTION 'The effective end of % is set only when its successor is released', v_what
                USING ERRCODE = 'WC023';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION workcell.eng_line_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM workcell.require_permission('engineering.edit');
    IF TG_OP <> 'INSERT' THEN
        PERFORM workcell.eng_assert_draft(TG_TABLE_NAME, to_jsonb(OLD));
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    PERFORM workcell.eng_assert_draft(TG_TABLE_NAME, to_jsonb(NEW));
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION workcell.eco_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_lifecycle text[] := ARRAY['status', 'version', 'impact'];
BEGIN
    IF NEW.number <> OLD.number OR NEW.created_by <> OLD.created_by
       OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'The number and author of % cannot change', OLD.number USING ERRCODE = 'WC021';
    END IF;
    IF (to_jsonb(NEW) - v_lifecycle) IS DISTINCT FROM (to_jsonb(OLD) - v_lifecycle) THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION '% is %: only a draft ECO can be edited', OLD.number, OLD.status
                USING ERRCODE = 'WC021';
        END IF;
        PERFORM workcell.require_permission('engineering.edit');
    END IF;
    IF NEW.impact IS DISTINCT FROM OLD.impact AND OLD.status <> 'draft' THEN
        RAISE EXCEPTION 'The impact of % is frozen at submission', OLD.number USING ERRCODE = 'WC021';
    END IF;
    RETURN NEW;
END $$;

-- eco_open mirrors "the ECO is open" so "one open ECO per item" is a unique index; a station
-- may write it (the mirror runs with its rights) but only to the truth.
CREATE OR REPLACE FUNCTION workcell.eco_item_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_status text;
    v_number text;
    v_row jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN v_row := to_jsonb(OLD); ELSE v_row := to_jsonb(NEW); END IF;
    SELECT status, number INTO v_status, v_number FROM workcell.eco
     WHERE id = (v_row->>'eco_id')::bigint FOR SHARE;
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - ARRAY['eco_open', 'version'])
                            = (to_jsonb(OLD) - ARRAY['eco_open', 'version']) THEN
        IF NEW.eco_open IS DISTINCT FROM (v_status NOT IN ('approved', 'cancelled')) THEN
            RAISE EXCEPTION '% is %: its affected items are %', v_number, v_status,
                CASE WHEN v_status IN ('approved', 'cancelled') THEN 'closed' ELSE 'open' END
                USING ERRCODE = 'WC021';
        END IF;
        RETURN NEW;  -- the lifecycle mirror (eco_sync_open)
    END IF;
    PERFORM workcell.require_permission('engineering.edit');
    IF v_status <> 'draft' THEN
        RAISE EXCEPTION '% is %: its affected items change only while it is a draft', v_number, v_status
            USING ERRCODE = 'WC021';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.eco_id <> OLD.eco_id THEN
        RAISE EXCEPTION 'An affected item cannot move to another ECO' USING ERRCODE = 'WC021';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    NEW.eco_open := true;
    RETURN NEW;
END $$;

-- A parked draft's closing time is the server's.
CREATE FUNCTION workcell.kiosk_draft_closed_at() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.status <> OLD.status THEN
        NEW.closed_at := now();
    ELSIF NEW.closed_at IS DISTINCT FROM OLD.closed_at THEN
        RAISE EXCEPTION 'A draft''s closing time is set by the database' USING ERRCODE = 'WC021';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER kiosk_draft_closed_at BEFORE UPDATE ON workcell.kiosk_draft
    FOR EACH ROW EXECUTE FUNCTION workcell.kiosk_draft_closed_at();
ALTER TABLE workcell.kiosk_draft ENABLE ALWAYS TRIGGER kiosk_draft_closed_at;

-- Draft lines and affected items are removed through this function, not a table-wide
-- DELETE grant (which would also let a station LOCK the table in ACCESS EXCLUSIVE mode).
-- The row's own guards (draft only, engineering.edit) and the audit trigger still run.
CREATE FUNCTION workcell.remove_draft_row(p_table text, p_id bigint) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_done integer;
BEGIN
    IF p_table NOT IN ('bom_line', 'routing_operation', 'routing_step', 'routing_step_data',
                       'routing_step_signoff', 'eco_item') THEN
        RAISE EXCEPTION 'Rows of % are never removed', p_table USING ERRCODE = 'WC005';
    END IF;
    PERFORM workcell.require_permission('engineering.edit');
    EXECUTE format('DELETE FROM workcell.%I WHERE id = $1', p_table) USING p_id;
    GET DIAGNOSTICS v_done = ROW_COUNT;
    IF v_done = 0 THEN
        RAISE EXCEPTION 'There is no % with id %', replace(p_table, '_', ' '), p_id USING ERRCODE = 'WC040';
    END IF;
END $$;

-- Every line of a draft BOM or routing revision at once (a replace, an import): the same
-- guards and audit trigger run on each row.
CREATE FUNCTION workcell.clear_draft_revision(p_table text, p_revision_id bigint) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
BEGIN
    PERFORM workcell.require_permission('engineering.edit');
    IF p_table = 'bom_revision' THEN
        DELETE FROM workcell.bom_line WHERE bom_revision_id = p_revision_id;
    ELSIF p_table = 'routing_revision' THEN
        DELETE FROM workcell.routing_step_signoff WHERE step_id IN (
            SELECT s.id FROM workcell.routing_step s JOIN workcell.routing_operation o ON o.id = s.operation_id
             WHERE o.routing_revision_id = p_revision_id);
        DELETE FROM workcell.routing_step_data WHERE step_id IN (
            SELECT s.id FROM workcell.routing_step s JOIN workcell.routing_operation o ON o.id = s.operation_id
             WHERE o.routing_revision_id = p_revision_id);
        DELETE FROM workcell.routing_step WHERE operation_id IN (
            SELECT id FROM workcell.routing_operation WHERE routing_revision_id = p_revision_id);
        DELETE FROM workcell.routing_operation WHERE routing_revision_id = p_revision_id;
    ELSE
        RAISE EXCEPTION 'Only a BOM or routing revision''s lines are cleared, not %', p_table
            USING ERRCODE = 'WC005';
    END IF;
END $$;
