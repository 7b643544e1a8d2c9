-- One guard pattern for every lifecycle gate (DESIGN.md "Lifecycle gates").
--
-- A record's status moves only along a row of workcell.transition_rule: from-status (NULL =
-- the record is being created), to-status, the permission the session holder needs, the
-- signatures that must exist on the record's current content — the latest of each meaning,
-- made after the record's last restart, in the listed order — and an optional condition
-- function for what signatures cannot say ("only with the ECO that lists it"). The guard is
-- one AFTER ROW trigger function, attached with the record type as its argument; every move
-- it lets through is logged in workcell.status_transition with the server's time and actor.
-- It runs with the rights of whoever made the change (SECURITY INVOKER): everything it reads
-- is readable by stations, and the log accepts rows only from inside a trigger.

CREATE TABLE workcell.transition_rule (
    record_type  text NOT NULL CONSTRAINT ck_transition_rule_type CHECK (record_type ~ '^[a-z][a-z_]{1,40}$'),
    from_status  text,
    to_status    text NOT NULL,
    action       text NOT NULL CONSTRAINT ck_transition_rule_action CHECK (action ~ '^[a-z][a-z_]{1,30}$'),
    permission   text CONSTRAINT fk_transition_rule_permission REFERENCES workcell.permission (name),
    -- meanings that must be signed on the current content, in this order
    signatures   text[] NOT NULL DEFAULT '{}',
    -- (record_type text, new_row jsonb, old_row jsonb) -> text: NULL lets the move through,
    -- anything else is the refusal shown to the person
    condition    regprocedure,
    -- the move starts a new signing cycle: signatures made before it no longer count
    restarts     boolean NOT NULL DEFAULT false,
    description  text NOT NULL DEFAULT '' CONSTRAINT ck_transition_rule_description CHECK (length(description) <= 500),
    version      integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_transition_rule_move UNIQUE NULLS NOT DISTINCT (record_type, from_status, to_status)
);
COMMENT ON TABLE workcell.transition_rule IS
    'Every allowed status move per record type: permission, signatures in order, condition. Read by workcell.transition_guard().';

-- Every status move a guard let through (creation is in the audit trail). Written only by
-- the guard: the time, actor, station and transaction are the server's.
CREATE TABLE workcell.status_transition (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_status_transition PRIMARY KEY,
    record_type      text NOT NULL,
    record_id        bigint NOT NULL,
    from_status      text,
    to_status        text NOT NULL,
    action           text NOT NULL,
    signature_id     bigint CONSTRAINT fk_status_transition_signature_id REFERENCES workcell.signature (id),
    comment          text NOT NULL DEFAULT '' CONSTRAINT ck_status_transition_comment CHECK (length(comment) <= 2000),
    restarts         boolean NOT NULL DEFAULT false,
    -- for a restart: the newest signature on the record when it happened
    signature_cutoff bigint,
    at               timestamptz NOT NULL DEFAULT now(),
    actor_id         bigint NOT NULL DEFAULT workcell.current_actor_id()
                     CONSTRAINT fk_status_transition_actor_id REFERENCES workcell.users (id),
    station          text NOT NULL DEFAULT session_user,
    tx_id            xid8 NOT NULL DEFAULT pg_current_xact_id(),
    version          integer NOT NULL DEFAULT 1
);
CREATE INDEX ix_status_transition_record ON workcell.status_transition (record_type, record_id, id);
CREATE INDEX ix_status_transition_tx ON workcell.status_transition (tx_id);

CREATE FUNCTION workcell.status_transition_written_by_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- A station's own INSERT fires this at depth 1; the guard's, from inside its trigger, at 2.
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'Status transitions are recorded by the database when a status changes'
            USING ERRCODE = 'WC005', HINT = 'Change the record''s status; the move is logged for you.';
    END IF;
    RETURN NEW;
END $$;

-- The session holder must hold a permission (system actors: owner-side work, let through).
CREATE FUNCTION workcell.require_permission(p_permission text) RETURNS workcell.users
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    u workcell.users;
BEGIN
    SELECT * INTO u FROM workcell.users WHERE id = workcell.current_actor_id();
    IF u.kind = 'system' THEN
        RETURN u;  -- owner-side system work (bootstrap, demo seed)
    END IF;
    IF NOT EXISTS (SELECT 1 FROM workcell.user_role ur
                     JOIN workcell.role_permission rp ON rp.role = ur.role
                    WHERE ur.user_id = u.id AND rp.permission = p_permission) THEN
        RAISE EXCEPTION '% may not do this: it needs the % permission (%)', u.username, p_permission,
            coalesce((SELECT string_agg(role, ' or ' ORDER BY role) FROM workcell.role_permission
                       WHERE permission = p_permission), 'no role')
            USING ERRCODE = 'WC039', HINT = 'Ask someone who has it, or an administrator to grant the role.';
    END IF;
    RETURN u;
END $$;

-- One implementation: the administration functions' check is this one.
CREATE OR REPLACE FUNCTION auth.require_permission(p_permission text) RETURNS workcell.users
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT workcell.require_permission(p_permission) $$;

CREATE FUNCTION workcell.record_label(p_type text, p_row jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE p_type
        WHEN 'item' THEN 'Item ' || (p_row->>'item_number')
        WHEN 'eco' THEN p_row->>'number'
        WHEN 'bom_revision' THEN 'BOM revision ' || (p_row->>'revision')
        WHEN 'routing_revision' THEN 'Routing revision ' || (p_row->>'revision')
        ELSE replace(p_type, '_', ' ') || ' ' || (p_row->>'id') END
$$;

CREATE FUNCTION workcell.transition_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_type   text := TG_ARGV[0];
    v_id     bigint := NEW.id;       -- every guarded table has id and status; the row as
    v_to     text := NEW.status;     -- jsonb is built only when a message or condition needs it
    v_from   text;
    r        workcell.transition_rule;
    s        workcell.signature;
    v_last   workcell.signature;
    v_cutoff bigint;
    v_hash   text;
    v_meaning text;
    v_message text;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        v_from := OLD.status;
        SELECT * INTO r FROM workcell.transition_rule
         WHERE record_type = v_type AND from_status = v_from AND to_status = v_to;
    ELSE
        SELECT * INTO r FROM workcell.transition_rule
         WHERE record_type = v_type AND from_status IS NULL AND to_status = v_to;
    END IF;
    IF r.record_type IS NULL THEN
        IF v_from IS NULL THEN
            RAISE EXCEPTION 'A new % cannot start as %', replace(v_type, '_', ' '), v_to
                USING ERRCODE = 'WC024', HINT = format('It starts as %s.', coalesce((
                    SELECT string_agg(to_status, ' or ') FROM workcell.transition_rule
                     WHERE record_type = v_type AND from_status IS NULL), 'nothing: no rule allows it'));
        END IF;
        RAISE EXCEPTION '% cannot move from % to %', workcell.record_label(v_type, to_jsonb(NEW)),
            v_from, v_to
            USING ERRCODE = 'WC024', HINT = format('From %s it can move to: %s.', v_from, coalesce((
                SELECT string_agg(to_status, ', ' ORDER BY to_status) FROM workcell.transition_rule
                 WHERE record_type = v_type AND from_status = v_from), 'nothing'));
    END IF;
    IF r.permission IS NOT NULL THEN
        PERFORM workcell.require_permission(r.permission);
    END IF;
    IF cardinality(r.signatures) > 0 THEN
        SELECT coalesce(max(t.signature_cutoff), 0) INTO v_cutoff FROM workcell.status_transition t
         WHERE t.record_type = v_type AND t.record_id = v_id AND t.restarts;
        v_hash := workcell.record_content_hash(v_type, v_id);
        FOREACH v_meaning IN ARRAY r.signatures LOOP
            SELECT * INTO s FROM workcell.signature
             WHERE record_type = v_type AND record_id = v_id AND meaning = v_meaning AND id > v_cutoff
             ORDER BY id DESC LIMIT 1;
            IF s.id IS NULL THEN
                RAISE EXCEPTION '% can move to % only with a "%" signature',
                    workcell.record_label(v_type, to_jsonb(NEW)), v_to, v_meaning
                    USING ERRCODE = 'WC013',
                          HINT = format('Signatures needed, in order: %s.', array_to_string(r.signatures, ', '));
            END IF;
            IF s.content_hash <> v_hash OR s.binding_hash <> workcell.signature_binding(s) THEN
                RAISE EXCEPTION 'The latest "%" signature on % is not on its current content', v_meaning,
                    workcell.record_label(v_type, to_jsonb(NEW))
                    USING ERRCODE = 'WC013', HINT = 'It changed after signing: it must be signed again.';
            END IF;
            IF v_last.id IS NOT NULL AND s.id < v_last.id THEN
                RAISE EXCEPTION 'The signatures on % are out of order: "%" must come after "%"',
                    workcell.record_label(v_type, to_jsonb(NEW)), v_meaning, v_last.meaning
                    USING ERRCODE = 'WC013',
                          HINT = format('Signatures needed, in order: %s.', array_to_string(r.signatures, ', '));
            END IF;
            v_last := s;
        END LOOP;
    END IF;
    IF r.condition IS NOT NULL THEN
        EXECUTE format('SELECT %s($1, $2, $3)', workcell.qualified_function(r.condition))
           INTO v_message
          USING v_type, to_jsonb(NEW), CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END;
        IF v_message IS NOT NULL THEN
            RAISE EXCEPTION '%', v_message USING ERRCODE = 'WC024';
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO workcell.status_transition
               (record_type, record_id, from_status, to_status, action, signature_id, comment,
                restarts, signature_cutoff)
        VALUES (v_type, v_id, v_from, v_to, r.action, v_last.id,
                left(coalesce(nullif(btrim(v_last.comment), ''),
                              nullif(btrim(current_setting('workcell.reason', true)), ''), ''), 2000),
                r.restarts,
                CASE WHEN r.restarts THEN (SELECT coalesce(max(g.id), 0) FROM workcell.signature g
                                            WHERE g.record_type = v_type AND g.record_id = v_id) END);
    END IF;
    RETURN NULL;
END $$;

-- Attach the guard to a table whose rows carry id and status.
CREATE FUNCTION workcell.attach_transition_guard(p_table regclass, p_record_type text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text := (SELECT relname FROM pg_class WHERE oid = p_table);
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s FOR EACH ROW '
                   'EXECUTE FUNCTION workcell.transition_guard(%L)', v_name || '_created', p_table, p_record_type);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE OF status ON %s FOR EACH ROW '
                   'WHEN (OLD.status IS DISTINCT FROM NEW.status) '
                   'EXECUTE FUNCTION workcell.transition_guard(%L)', v_name || '_transition', p_table, p_record_type);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', p_table, v_name || '_created');
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', p_table, v_name || '_transition');
END $$;

-- Conditions -------------------------------------------------------------------------------

-- Was this ECO approved in the current transaction (by its guarded move)?
CREATE FUNCTION workcell.eco_approved_now(p_eco_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM workcell.status_transition t
                    WHERE t.tx_id = pg_current_xact_id() AND t.record_type = 'eco'
                      AND t.record_id = p_eco_id AND t.to_status = 'approved')
$$;

-- A BOM or routing revision moves only with the ECO that lists it.
CREATE FUNCTION workcell.revision_follows_eco(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id   bigint := (p_new->>'id')::bigint;
    v_item bigint := (p_new->>'item_id')::bigint;
    v_to   text := p_new->>'status';
    v_what text := workcell.record_label(p_type, p_new);
BEGIN
    IF v_to = 'in_review' AND NOT EXISTS (
        SELECT 1 FROM workcell.eco_item x JOIN workcell.eco e ON e.id = x.eco_id
         WHERE e.status = 'in_review'
           AND CASE p_type WHEN 'bom_revision' THEN x.bom_revision_id ELSE x.routing_revision_id END = v_id) THEN
        RETURN format('%s goes for review only with the ECO that lists it: submit the ECO.', v_what);
    ELSIF v_to = 'released' AND NOT EXISTS (
        SELECT 1 FROM workcell.eco_item x JOIN workcell.eco e ON e.id = x.eco_id
         WHERE e.status = 'approved' AND workcell.eco_approved_now(e.id)
           AND CASE p_type WHEN 'bom_revision' THEN x.bom_revision_id ELSE x.routing_revision_id END = v_id) THEN
        RETURN format('%s is released only by the approval of the ECO that lists it.', v_what);
    ELSIF v_to = 'superseded' AND NOT EXISTS (
        SELECT 1 FROM workcell.eco_item x JOIN workcell.eco e ON e.id = x.eco_id
         WHERE e.status = 'approved' AND workcell.eco_approved_now(e.id) AND x.item_id = v_item
           AND CASE p_type WHEN 'bom_revision' THEN x.bom_revision_id ELSE x.routing_revision_id END <> v_id) THEN
        RETURN format('%s is superseded only when an approved ECO releases its successor.', v_what);
    ELSIF v_to IN ('draft', 'obsolete') AND EXISTS (
        SELECT 1 FROM workcell.eco_item x JOIN workcell.eco e ON e.id = x.eco_id
         WHERE e.status IN ('in_review', 'reviewed', CASE WHEN v_to = 'obsolete' THEN 'draft' END)
           AND CASE p_type WHEN 'bom_revision' THEN x.bom_revision_id ELSE x.routing_revision_id END = v_id) THEN
        RETURN format('%s is on an open ECO: it moves with the ECO (reject or cancel it).', v_what);
    END IF;
    RETURN NULL;
END $$;

-- Only the owner resumes or discards their parked input.
CREATE FUNCTION workcell.draft_owner_acts(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN (p_new->>'owner_id')::bigint IS DISTINCT FROM workcell.current_actor_id()
                THEN 'Only its owner resumes or discards a parked draft.' END
$$;

-- Rules ------------------------------------------------------------------------------------

INSERT INTO workcell.transition_rule (record_type, from_status, to_status, action, permission, signatures, condition, restarts, description) VALUES
    ('item', NULL, 'draft', 'create', 'item.create', '{}', NULL, false, 'A new item starts as a draft'),
    ('item', 'draft', 'approved', 'approve', 'item.approve', '{approved}', NULL, false, 'QA approval, signed'),
    ('item', 'approved', 'draft', 'return', 'item.return', '{}', NULL, true, 'Reopened for change; approved again afterwards'),

    ('eco', NULL, 'draft', 'create', 'engineering.edit', '{}', NULL, false, 'A new ECO starts as a draft'),
    ('eco', 'draft', 'in_review', 'submit', 'eco.author', '{authored}', NULL, false, 'Submitted for review, signed by its author'),
    ('eco', 'in_review', 'reviewed', 'review', 'eco.review', '{authored,reviewed}', NULL, false, 'Reviewed by another person'),
    ('eco', 'reviewed', 'approved', 'approve', 'eco.approve', '{authored,reviewed,approved}', NULL, false, 'QA approval: its revisions are released'),
    ('eco', 'in_review', 'draft', 'reject', 'eco.review', '{authored,rejected}', NULL, true, 'Rejected with a comment'),
    ('eco', 'reviewed', 'draft', 'reject', 'eco.review', '{authored,rejected}', NULL, true, 'Rejected with a comment'),
    ('eco', 'draft', 'cancelled', 'cancel', 'engineering.edit', '{}', NULL, false, 'Closed without releasing anything'),
    ('eco', 'in_review', 'cancelled', 'cancel', 'engineering.edit', '{}', NULL, false, 'Closed without releasing anything'),
    ('eco', 'reviewed', 'cancelled', 'cancel', 'engineering.edit', '{}', NULL, false, 'Closed without releasing anything');

INSERT INTO workcell.transition_rule (record_type, from_status, to_status, action, permission, signatures, condition, restarts, description)
SELECT kind, m.from_status, m.to_status, m.action, m.permission, m.signatures,
       CASE WHEN m.follows THEN 'workcell.revision_follows_eco(text, jsonb, jsonb)'::regprocedure END,
       m.restarts, m.description
  FROM (VALUES ('bom_revision'), ('routing_revision')) AS k (kind)
 CROSS JOIN (VALUES
    (NULL, 'draft', 'create', 'engineering.edit', '{}'::text[], false, false, 'A new revision starts as a draft'),
    ('draft', 'in_review', 'submit', 'eco.author', '{authored}', true, false, 'With its ECO, signed by the author'),
    ('in_review', 'draft', 'reopen', NULL, '{}', true, true, 'Its ECO was rejected or cancelled'),
    ('in_review', 'released', 'release', 'eco.approve', '{authored,reviewed,approved}', true, false, 'Released by its ECO''s approval'),
    ('released', 'superseded', 'supersede', 'eco.approve', '{}', true, false, 'Its successor was released by an approved ECO'),
    ('draft', 'obsolete', 'discard', 'engineering.edit', '{}', true, false, 'A draft no ECO carries, discarded')
 ) AS m (from_status, to_status, action, permission, signatures, follows, restarts, description);

INSERT INTO workcell.transition_rule (record_type, from_status, to_status, action, permission, signatures, condition, description) VALUES
    ('kiosk_draft', NULL, 'parked', 'park', NULL, '{}', NULL, 'Unsaved input parked for its owner'),
    ('kiosk_draft', 'parked', 'resumed', 'resume', NULL, '{}', 'workcell.draft_owner_acts(text, jsonb, jsonb)', 'Handed back to its owner'),
    ('kiosk_draft', 'parked', 'discarded', 'discard', NULL, '{}', 'workcell.draft_owner_acts(text, jsonb, jsonb)', 'Dropped by its owner');
