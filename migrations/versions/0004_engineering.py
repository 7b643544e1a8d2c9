"""Engineering change control: BOM and routing revisions with effective dating, ECOs.

Revision ID: 0004
Revises: 0003

Error codes raised here (translated in domain/errors.py):
  WC021 revision (or its lines) not editable: only drafts change
  WC022 BOM cycle: a component would contain its own parent
  WC023 effectivity change refused (start in the past, moved start, reopened end)
  WC024 status transition not allowed

Design notes (docs/engineering.md): status and the effectivity range are *lifecycle*
fields, outside a revision's signed content; every other header field and every line is
substantive and frozen once the revision leaves draft — enforced here, in triggers, for
every role (ENABLE ALWAYS), not only in the service.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

REVISIONS = """
CREATE TABLE workcell.bom_revision (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_bom_revision PRIMARY KEY,
    item_id       bigint NOT NULL CONSTRAINT fk_bom_revision_item_id REFERENCES workcell.item (id),
    revision      text NOT NULL CONSTRAINT ck_bom_revision_label CHECK (revision ~ '^[A-Z0-9][A-Z0-9.-]{0,7}$'),
    description   text NOT NULL DEFAULT '',
    status        text NOT NULL DEFAULT 'draft' CONSTRAINT ck_bom_revision_status
                  CHECK (status IN ('draft', 'in_review', 'released', 'superseded', 'obsolete')),
    effective     tstzrange,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    bigint NOT NULL DEFAULT workcell.current_actor_id()
                  CONSTRAINT fk_bom_revision_created_by REFERENCES workcell.users (id),
    version       integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_bom_revision_item_revision UNIQUE (item_id, revision),
    CONSTRAINT uq_bom_revision_id_item UNIQUE (id, item_id),
    -- A released (or later superseded) revision has a half-open range with a finite start;
    -- drafts and revisions in review have none.
    CONSTRAINT ck_bom_revision_effective CHECK (
        CASE WHEN status IN ('draft', 'in_review') THEN effective IS NULL
             WHEN status IN ('released', 'superseded') THEN effective IS NOT NULL
             ELSE true END
        AND (effective IS NULL OR (NOT isempty(effective) AND NOT lower_inf(effective)
             AND lower_inc(effective) AND NOT upper_inc(effective)))),
    CONSTRAINT ex_bom_revision_effective EXCLUDE USING gist (
        int8range(item_id, item_id, '[]') WITH &&, effective WITH &&)
);
CREATE INDEX ix_bom_revision_item ON workcell.bom_revision (item_id, status);
-- "In effect at t": the latest start at or before t (one index probe per item in an explosion).
CREATE INDEX ix_bom_revision_item_start ON workcell.bom_revision (item_id, lower(effective) DESC)
    WHERE effective IS NOT NULL;

CREATE TABLE workcell.bom_line (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_bom_line PRIMARY KEY,
    bom_revision_id  bigint NOT NULL CONSTRAINT fk_bom_line_bom_revision_id
                     REFERENCES workcell.bom_revision (id),
    position         integer NOT NULL CONSTRAINT ck_bom_line_position CHECK (position BETWEEN 1 AND 9999),
    component_id     bigint NOT NULL CONSTRAINT fk_bom_line_component_id REFERENCES workcell.item (id),
    quantity_per     numeric(18, 6) NOT NULL CONSTRAINT ck_bom_line_quantity CHECK (quantity_per > 0),
    unit             text NOT NULL CONSTRAINT ck_bom_line_unit CHECK (unit IN
                     ('ea', 'kg', 'g', 'mg', 'L', 'mL', 'm', 'mm')),
    scrap_factor     numeric(7, 6) NOT NULL DEFAULT 0
                     CONSTRAINT ck_bom_line_scrap CHECK (scrap_factor >= 0 AND scrap_factor < 1),
    optional         boolean NOT NULL DEFAULT false,
    alternate_of     integer CONSTRAINT ck_bom_line_alternate CHECK (alternate_of <> position),
    ref_designators  text[] NOT NULL DEFAULT '{}',
    notes            text NOT NULL DEFAULT '',
    version          integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_bom_line_position UNIQUE (bom_revision_id, position)
);
CREATE INDEX ix_bom_line_component ON workcell.bom_line (component_id);

CREATE TABLE workcell.routing_revision (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_routing_revision PRIMARY KEY,
    item_id       bigint NOT NULL CONSTRAINT fk_routing_revision_item_id REFERENCES workcell.item (id),
    revision      text NOT NULL CONSTRAINT ck_routing_revision_label CHECK (revision ~ '^[A-Z0-9][A-Z0-9.-]{0,7}$'),
    description   text NOT NULL DEFAULT '',
    status        text NOT NULL DEFAULT 'draft' CONSTRAINT ck_routing_revision_status
                  CHECK (status IN ('draft', 'in_review', 'released', 'superseded', 'obsolete')),
    effective     tstzrange,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    bigint NOT NULL DEFAULT workcell.current_actor_id()
                  CONSTRAINT fk_routing_revision_created_by REFERENCES workcell.users (id),
    version       integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_routing_revision_item_revision UNIQUE (item_id, revision),
    CONSTRAINT uq_routing_revision_id_item UNIQUE (id, item_id),
    CONSTRAINT ck_routing_revision_effective CHECK (
        CASE WHEN status IN ('draft', 'in_review') THEN effective IS NULL
             WHEN status IN ('released', 'superseded') THEN effective IS NOT NULL
             ELSE true END
        AND (effective IS NULL OR (NOT isempty(effective) AND NOT lower_inf(effective)
             AND lower_inc(effective) AND NOT upper_inc(effective)))),
    CONSTRAINT ex_routing_revision_effective EXCLUDE USING gist (
        int8range(item_id, item_id, '[]') WITH &&, effective WITH &&)
);
CREATE INDEX ix_routing_revision_item ON workcell.routing_revision (item_id, status);
CREATE INDEX ix_routing_revision_item_start ON workcell.routing_revision (item_id, lower(effective) DESC)
    WHERE effective IS NOT NULL;

CREATE TABLE workcell.routing_operation (
    id                   bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_routing_operation PRIMARY KEY,
    routing_revision_id  bigint NOT NULL CONSTRAINT fk_routing_operation_routing_revision_id
                         REFERENCES workcell.routing_revision (id),
    op_number            integer NOT NULL CONSTRAINT ck_routing_operation_number CHECK (op_number BETWEEN 1 AND 9999),
    work_centre          text NOT NULL CONSTRAINT ck_routing_operation_work_centre
                         CHECK (work_centre ~ '^[A-Z0-9][A-Z0-9._-]{0,19}$'),
    title                text NOT NULL CONSTRAINT ck_routing_operation_title CHECK (btrim(title) <> ''),
    instructions         text NOT NULL DEFAULT '',
    standard_minutes     numeric(10, 2) NOT NULL DEFAULT 0
                         CONSTRAINT ck_routing_operation_minutes CHECK (standard_minutes >= 0),
    version              integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_routing_operation_number UNIQUE (routing_revision_id, op_number)
);

CREATE TABLE workcell.routing_step (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_routing_step PRIMARY KEY,
    operation_id  bigint NOT NULL CONSTRAINT fk_routing_step_operation_id
                  REFERENCES workcell.routing_operation (id),
    step_number   integer NOT NULL CONSTRAINT ck_routing_step_number CHECK (step_number BETWEEN 1 AND 999),
    title         text NOT NULL CONSTRAINT ck_routing_step_title CHECK (btrim(title) <> ''),
    instructions  text NOT NULL DEFAULT '',
    critical      boolean NOT NULL DEFAULT false,
    version       integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_routing_step_number UNIQUE (operation_id, step_number)
);

-- What the operator must record at a step. For a lot scan, the component must be on the
-- BOM the work order locks (checked by the service at release; execution re-checks).
CREATE TABLE workcell.routing_step_data (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_routing_step_data PRIMARY KEY,
    step_id       bigint NOT NULL CONSTRAINT fk_routing_step_data_step_id REFERENCES workcell.routing_step (id),
    position      integer NOT NULL CONSTRAINT ck_routing_step_data_position CHECK (position BETWEEN 1 AND 99),
    code          text NOT NULL CONSTRAINT ck_routing_step_data_code CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,23}$'),
    label         text NOT NULL CONSTRAINT ck_routing_step_data_label CHECK (btrim(label) <> ''),
    kind          text NOT NULL CONSTRAINT ck_routing_step_data_kind
                  CHECK (kind IN ('numeric', 'pass_fail', 'text', 'lot_scan')),
    unit          text,
    lower_limit   numeric(18, 6),
    upper_limit   numeric(18, 6),
    target        numeric(18, 6),
    component_id  bigint CONSTRAINT fk_routing_step_data_component_id REFERENCES workcell.item (id),
    required      boolean NOT NULL DEFAULT true,
    version       integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_routing_step_data_position UNIQUE (step_id, position),
    CONSTRAINT uq_routing_step_data_code UNIQUE (step_id, code),
    CONSTRAINT ck_routing_step_data_shape CHECK (
        CASE kind
          WHEN 'numeric' THEN unit IS NOT NULL AND component_id IS NULL
               AND (lower_limit IS NULL OR upper_limit IS NULL OR lower_limit <= upper_limit)
          WHEN 'lot_scan' THEN component_id IS NOT NULL AND lower_limit IS NULL
               AND upper_limit IS NULL AND target IS NULL
          ELSE component_id IS NULL AND lower_limit IS NULL AND upper_limit IS NULL
               AND target IS NULL END)
);

-- The signatures a step needs when executed, in order (performed, verified, QA review).
CREATE TABLE workcell.routing_step_signoff (
    id        bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_routing_step_signoff PRIMARY KEY,
    step_id   bigint NOT NULL CONSTRAINT fk_routing_step_signoff_step_id REFERENCES workcell.routing_step (id),
    position  integer NOT NULL CONSTRAINT ck_routing_step_signoff_position CHECK (position BETWEEN 1 AND 9),
    meaning   text NOT NULL CONSTRAINT ck_routing_step_signoff_meaning
              CHECK (meaning IN ('performed', 'verified', 'reviewed')),
    role      text NOT NULL CONSTRAINT ck_routing_step_signoff_role
              CHECK (role IN ('operator', 'supervisor', 'qa', 'engineer')),
    version   integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_routing_step_signoff_meaning UNIQUE (step_id, meaning),
    CONSTRAINT uq_routing_step_signoff_position UNIQUE (step_id, position)
);
"""

ECO = """
CREATE SEQUENCE workcell.eco_number_seq AS bigint;

CREATE TABLE workcell.eco (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_eco PRIMARY KEY,
    number          text NOT NULL DEFAULT 'ECO-' || lpad(nextval('workcell.eco_number_seq')::text, 5, '0'),
    title           text NOT NULL CONSTRAINT ck_eco_title CHECK (btrim(title) <> ''),
    reason          text NOT NULL CONSTRAINT ck_eco_reason CHECK (btrim(reason) <> ''),
    description     text NOT NULL DEFAULT '',
    -- NULL: effective the moment QA approves. Otherwise the requested start (signed content).
    effective_from  timestamptz,
    -- Multi-level where-used at submission, frozen so reviewers sign what they saw.
    impact          jsonb NOT NULL DEFAULT '[]',
    status          text NOT NULL DEFAULT 'draft' CONSTRAINT ck_eco_status
                    CHECK (status IN ('draft', 'in_review', 'reviewed', 'approved', 'cancelled')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      bigint NOT NULL DEFAULT workcell.current_actor_id()
                    CONSTRAINT fk_eco_created_by REFERENCES workcell.users (id),
    version         integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_eco_number UNIQUE (number)
);

CREATE TABLE workcell.eco_item (
    id                   bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_eco_item PRIMARY KEY,
    eco_id               bigint NOT NULL CONSTRAINT fk_eco_item_eco_id REFERENCES workcell.eco (id),
    item_id              bigint NOT NULL CONSTRAINT fk_eco_item_item_id REFERENCES workcell.item (id),
    bom_revision_id      bigint,
    routing_revision_id  bigint,
    change_note          text NOT NULL DEFAULT '',
    -- Mirrors "the ECO is open" (maintained by trigger) so one open ECO per item is a constraint.
    eco_open             boolean NOT NULL DEFAULT true,
    version              integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_eco_item_item UNIQUE (eco_id, item_id),
    CONSTRAINT ck_eco_item_something CHECK (bom_revision_id IS NOT NULL OR routing_revision_id IS NOT NULL),
    -- The revision must be a revision of this very item.
    CONSTRAINT fk_eco_item_bom_revision FOREIGN KEY (bom_revision_id, item_id)
        REFERENCES workcell.bom_revision (id, item_id),
    CONSTRAINT fk_eco_item_routing_revision FOREIGN KEY (routing_revision_id, item_id)
        REFERENCES workcell.routing_revision (id, item_id)
);
CREATE UNIQUE INDEX uq_eco_item_one_open_eco ON workcell.eco_item (item_id) WHERE eco_open;
CREATE UNIQUE INDEX uq_eco_item_open_bom ON workcell.eco_item (bom_revision_id) WHERE eco_open;
CREATE UNIQUE INDEX uq_eco_item_open_routing ON workcell.eco_item (routing_revision_id) WHERE eco_open;

-- The ECO's history: every status move, with its comment (a rejection says why).
CREATE TABLE workcell.eco_transition (
    id           bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_eco_transition PRIMARY KEY,
    eco_id       bigint NOT NULL CONSTRAINT fk_eco_transition_eco_id REFERENCES workcell.eco (id),
    from_status  text NOT NULL,
    to_status    text NOT NULL,
    action       text NOT NULL CONSTRAINT ck_eco_transition_action CHECK (action IN
                 ('submit', 'review', 'approve', 'reject', 'cancel')),
    comment      text NOT NULL DEFAULT '',
    signature_id bigint,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint NOT NULL DEFAULT workcell.current_actor_id()
                 CONSTRAINT fk_eco_transition_actor_id REFERENCES workcell.users (id),
    version      integer NOT NULL DEFAULT 1
);
CREATE INDEX ix_eco_transition_eco ON workcell.eco_transition (eco_id, id);
"""

GUARDS = r"""
-- Header guard for bom_revision and routing_revision: identity never changes; substantive
-- fields freeze when the revision leaves draft; status moves only along the lifecycle;
-- effectivity is set once at release (never in the past) and its end only closes, once.
CREATE FUNCTION workcell.eng_revision_guard() RETURNS trigger
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
    IF OLD.status <> 'draft'
       AND (to_jsonb(NEW) - v_lifecycle) IS DISTINCT FROM (to_jsonb(OLD) - v_lifecycle) THEN
        RAISE EXCEPTION '% is %: only a draft revision can be edited', v_what, OLD.status
            USING ERRCODE = 'WC021', HINT = 'Make a new draft revision and change it through an ECO.';
    END IF;
    IF NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN (
        ('draft', 'in_review'), ('in_review', 'draft'), ('in_review', 'released'),
        ('draft', 'obsolete'), ('released', 'superseded'), ('released', 'obsolete'),
        ('superseded', 'obsolete')) THEN
        RAISE EXCEPTION '% cannot move from % to %', v_what, OLD.status, NEW.status
            USING ERRCODE = 'WC024';
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
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION workcell.eng_new_revision_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.status <> 'draft' OR NEW.effective IS NOT NULL THEN
        RAISE EXCEPTION 'A new revision starts as a draft without effectivity'
            USING ERRCODE = 'WC024';
    END IF;
    RETURN NEW;
END $$;

-- Lines (and routing operations, steps, data entries, sign-offs) change only while the
-- revision they belong to is a draft. The revision row is share-locked, so a concurrent
-- submission waits for this transaction and then sees its change.
CREATE FUNCTION workcell.eng_assert_draft(p_table text, p_row jsonb) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_status text;
    v_label text;
BEGIN
    IF p_table = 'bom_line' THEN
        SELECT r.status, 'BOM revision ' || r.revision INTO v_status, v_label
          FROM workcell.bom_revision r WHERE r.id = (p_row->>'bom_revision_id')::bigint
           FOR SHARE;
    ELSIF p_table = 'routing_operation' THEN
        SELECT r.status, 'Routing revision ' || r.revision INTO v_status, v_label
          FROM workcell.routing_revision r WHERE r.id = (p_row->>'routing_revision_id')::bigint
           FOR SHARE;
    ELSIF p_table = 'routing_step' THEN
        SELECT r.status, 'Routing revision ' || r.revision INTO v_status, v_label
          FROM workcell.routing_operation o
          JOIN workcell.routing_revision r ON r.id = o.routing_revision_id
         WHERE o.id = (p_row->>'operation_id')::bigint
           FOR SHARE OF r;
    ELSE
        SELECT r.status, 'Routing revision ' || r.revision INTO v_status, v_label
          FROM workcell.routing_step s
          JOIN workcell.routing_operation o ON o.id = s.operation_id
          JOIN workcell.routing_revision r ON r.id = o.routing_revision_id
         WHERE s.id = (p_row->>'step_id')::bigint
           FOR SHARE OF r;
    END IF;
    IF v_status IS DISTINCT FROM 'draft' THEN
        RAISE EXCEPTION '% is %: only a draft revision can be edited', v_label, v_status
            USING ERRCODE = 'WC021', HINT = 'Make a new draft revision and change it through an ECO.';
    END IF;
END $$;

CREATE FUNCTION workcell.eng_line_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM workcell.eng_assert_draft(TG_TABLE_NAME, to_jsonb(OLD));
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    PERFORM workcell.eng_assert_draft(TG_TABLE_NAME, to_jsonb(NEW));
    RETURN NEW;
END $$;

-- No item may contain itself, through any chain of non-obsolete revisions (released,
-- superseded, in review or draft). BOM edits are serialised by an advisory lock, so two
-- transactions cannot each add half of a cycle.
CREATE FUNCTION workcell.bom_cycle_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_parent bigint;
    v_parent_no text;
    v_component_no text;
BEGIN
    PERFORM pg_advisory_xact_lock(1464025679);  -- 'WCBO'
    SELECT r.item_id, i.item_number INTO v_parent, v_parent_no
      FROM workcell.bom_revision r JOIN workcell.item i ON i.id = r.item_id
     WHERE r.id = NEW.bom_revision_id;
    IF EXISTS (
        WITH RECURSIVE down (item_id) AS (
            SELECT NEW.component_id
            UNION
            SELECT l.component_id
              FROM down d
              JOIN workcell.bom_revision r ON r.item_id = d.item_id AND r.status <> 'obsolete'
              JOIN workcell.bom_line l ON l.bom_revision_id = r.id
        )
        SELECT 1 FROM down WHERE item_id = v_parent) THEN
        SELECT item_number INTO v_component_no FROM workcell.item WHERE id = NEW.component_id;
        RAISE EXCEPTION 'BOM cycle: % cannot contain %, which already contains % (directly or through its components)',
            v_parent_no, v_component_no, v_parent_no
            USING ERRCODE = 'WC022';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION workcell.eco_guard() RETURNS trigger
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
    IF OLD.status <> 'draft'
       AND (to_jsonb(NEW) - v_lifecycle) IS DISTINCT FROM (to_jsonb(OLD) - v_lifecycle) THEN
        RAISE EXCEPTION '% is %: only a draft ECO can be edited', OLD.number, OLD.status
            USING ERRCODE = 'WC021';
    END IF;
    IF NEW.impact IS DISTINCT FROM OLD.impact AND NOT (OLD.status = 'draft') THEN
        RAISE EXCEPTION 'The impact of % is frozen at submission', OLD.number USING ERRCODE = 'WC021';
    END IF;
    IF NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN (
        ('draft', 'in_review'), ('in_review', 'reviewed'), ('reviewed', 'approved'),
        ('in_review', 'draft'), ('reviewed', 'draft'),
        ('draft', 'cancelled'), ('in_review', 'cancelled'), ('reviewed', 'cancelled')) THEN
        RAISE EXCEPTION '% cannot move from % to %', OLD.number, OLD.status, NEW.status
            USING ERRCODE = 'WC024';
    END IF;
    RETURN NEW;
END $$;

-- Keep eco_item.eco_open in step with the ECO, so "one open ECO per item" is an index.
CREATE FUNCTION workcell.eco_sync_open() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE workcell.eco_item
       SET eco_open = NEW.status NOT IN ('approved', 'cancelled'), version = version + 1
     WHERE eco_id = NEW.id AND eco_open IS DISTINCT FROM (NEW.status NOT IN ('approved', 'cancelled'));
    RETURN NULL;
END $$;

CREATE FUNCTION workcell.eco_item_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_status text;
    v_number text;
    v_row jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN v_row := to_jsonb(OLD); ELSE v_row := to_jsonb(NEW); END IF;
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - ARRAY['eco_open', 'version'])
                            = (to_jsonb(OLD) - ARRAY['eco_open', 'version']) THEN
        RETURN NEW;  -- lifecycle mirror only (eco_sync_open)
    END IF;
    SELECT status, number INTO v_status, v_number FROM workcell.eco
     WHERE id = (v_row->>'eco_id')::bigint FOR SHARE;
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
"""

TRIGGERS = """
CREATE TRIGGER bom_revision_guard BEFORE UPDATE ON workcell.bom_revision
    FOR EACH ROW EXECUTE FUNCTION workcell.eng_revision_guard();
CREATE TRIGGER routing_revision_guard BEFORE UPDATE ON workcell.routing_revision
    FOR EACH ROW EXECUTE FUNCTION workcell.eng_revision_guard();
CREATE TRIGGER bom_revision_new BEFORE INSERT ON workcell.bom_revision
    FOR EACH ROW EXECUTE FUNCTION workcell.eng_new_revision_guard();
CREATE TRIGGER routing_revision_new BEFORE INSERT ON workcell.routing_revision
    FOR EACH ROW EXECUTE FUNCTION workcell.eng_new_revision_guard();
CREATE TRIGGER bom_line_cycle AFTER INSERT OR UPDATE OF component_id, bom_revision_id ON workcell.bom_line
    FOR EACH ROW EXECUTE FUNCTION workcell.bom_cycle_guard();
CREATE TRIGGER eco_guard BEFORE UPDATE ON workcell.eco
    FOR EACH ROW EXECUTE FUNCTION workcell.eco_guard();
CREATE TRIGGER eco_sync_open AFTER UPDATE OF status ON workcell.eco
    FOR EACH ROW EXECUTE FUNCTION workcell.eco_sync_open();
CREATE TRIGGER eco_item_guard BEFORE INSERT OR UPDATE OR DELETE ON workcell.eco_item
    FOR EACH ROW EXECUTE FUNCTION workcell.eco_item_guard();
"""

LINE_TABLES = (
    "bom_line",
    "routing_operation",
    "routing_step",
    "routing_step_data",
    "routing_step_signoff",
)
ALL_TABLES = ("bom_revision", "routing_revision", *LINE_TABLES, "eco", "eco_item", "eco_transition")
ALWAYS = (
    "bom_revision.bom_revision_guard",
    "routing_revision.routing_revision_guard",
    "bom_revision.bom_revision_new",
    "routing_revision.routing_revision_new",
    "bom_line.bom_line_cycle",
    "eco.eco_guard",
    "eco.eco_sync_open",
    "eco_item.eco_item_guard",
)

CONTENT = r"""
-- Canonical signed content per record type: substantive fields only (never status,
-- effectivity or version), time rendered in UTC, lines in a fixed order. numeric columns
-- have a fixed scale, so their jsonb text is stable.
CREATE FUNCTION workcell.bom_revision_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'bom_revision', 'item', i.item_number, 'revision', r.revision,
        'description', r.description,
        'lines', coalesce((
            SELECT jsonb_agg(jsonb_build_array(l.position, c.item_number, l.quantity_per, l.unit,
                   l.scrap_factor, l.optional, l.alternate_of, to_jsonb(l.ref_designators), l.notes)
                   ORDER BY l.position)
              FROM workcell.bom_line l JOIN workcell.item c ON c.id = l.component_id
             WHERE l.bom_revision_id = r.id), '[]'::jsonb))
      FROM workcell.bom_revision r JOIN workcell.item i ON i.id = r.item_id
     WHERE r.id = p_id
$$;

CREATE FUNCTION workcell.routing_revision_content(p_id bigint) RETURNS jsonb
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
                            ORDER BY s.step_number)
                       FROM workcell.routing_step s WHERE s.operation_id = o.id), '[]'::jsonb))
                   ORDER BY o.op_number)
              FROM workcell.routing_operation o WHERE o.routing_revision_id = r.id), '[]'::jsonb))
      FROM workcell.routing_revision r JOIN workcell.item i ON i.id = r.item_id
     WHERE r.id = p_id
$$;

CREATE FUNCTION workcell.sha256_of(p jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT encode(sha256(convert_to(p::text, 'UTF8')), 'hex') $$;

CREATE FUNCTION workcell.bom_revision_hash(p_id bigint) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT workcell.sha256_of(workcell.bom_revision_content(p_id)) $$;

CREATE FUNCTION workcell.routing_revision_hash(p_id bigint) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT workcell.sha256_of(workcell.routing_revision_content(p_id)) $$;

-- An ECO's content binds the content hash of every revision it releases.
CREATE FUNCTION workcell.eco_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'eco', 'number', e.number, 'title', e.title, 'reason', e.reason,
        'description', e.description,
        'effective_from', to_char(e.effective_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'impact', e.impact,
        'items', coalesce((
            SELECT jsonb_agg(jsonb_build_array(i.item_number, x.change_note,
                   CASE WHEN b.id IS NULL THEN NULL
                        ELSE jsonb_build_array(b.revision, workcell.bom_revision_hash(b.id)) END,
                   CASE WHEN r.id IS NULL THEN NULL
                        ELSE jsonb_build_array(r.revision, workcell.routing_revision_hash(r.id)) END)
                   ORDER BY i.item_number)
              FROM workcell.eco_item x
              JOIN workcell.item i ON i.id = x.item_id
              LEFT JOIN workcell.bom_revision b ON b.id = x.bom_revision_id
              LEFT JOIN workcell.routing_revision r ON r.id = x.routing_revision_id
             WHERE x.eco_id = e.id), '[]'::jsonb))
      FROM workcell.eco e WHERE e.id = p_id
$$;

CREATE FUNCTION workcell.eco_hash(p_id bigint) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT workcell.sha256_of(workcell.eco_content(p_id)) $$;
"""

SIGNING = r"""
-- What the signing dialog shows (title + lines) for each engineering record type.
CREATE FUNCTION workcell.bom_revision_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('%s BOM rev %s — %s', i.item_number, r.revision, i.description),
        'lines', coalesce((
            SELECT jsonb_agg(format('%s  %s  %s %s%s%s', l.position, c.item_number,
                   trim(trailing '.' FROM trim(trailing '0' FROM l.quantity_per::text)), l.unit,
                   CASE WHEN l.scrap_factor > 0 THEN format('  scrap %s%%',
                        trim(trailing '.' FROM trim(trailing '0' FROM (l.scrap_factor * 100)::text))) ELSE '' END,
                   CASE WHEN l.optional THEN '  optional'
                        WHEN l.alternate_of IS NOT NULL THEN format('  alternate of %s', l.alternate_of)
                        ELSE '' END) ORDER BY l.position)
              FROM workcell.bom_line l JOIN workcell.item c ON c.id = l.component_id
             WHERE l.bom_revision_id = r.id), '[]'::jsonb))
      FROM workcell.bom_revision r JOIN workcell.item i ON i.id = r.item_id WHERE r.id = p_id
$$;

CREATE FUNCTION workcell.routing_revision_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('%s routing rev %s — %s', i.item_number, r.revision, i.description),
        'lines', coalesce((
            SELECT jsonb_agg(format('Op %s  %s  @%s  %s min, %s steps', o.op_number, o.title,
                   o.work_centre, o.standard_minutes,
                   (SELECT count(*) FROM workcell.routing_step s WHERE s.operation_id = o.id))
                   ORDER BY o.op_number)
              FROM workcell.routing_operation o WHERE o.routing_revision_id = r.id), '[]'::jsonb))
      FROM workcell.routing_revision r JOIN workcell.item i ON i.id = r.item_id WHERE r.id = p_id
$$;

CREATE FUNCTION workcell.eco_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('%s — %s', e.number, e.title),
        'lines', jsonb_build_array(format('Reason: %s', e.reason),
                   format('Effective: %s', coalesce(to_char(e.effective_from AT TIME ZONE 'UTC',
                          'YYYY-MM-DD HH24:MI "UTC"'), 'when approved')))
                 || coalesce((
            SELECT jsonb_agg(format('%s: %s', i.item_number, concat_ws(', ',
                   'BOM rev ' || b.revision, 'routing rev ' || r.revision)) ORDER BY i.item_number)
              FROM workcell.eco_item x
              JOIN workcell.item i ON i.id = x.item_id
              LEFT JOIN workcell.bom_revision b ON b.id = x.bom_revision_id
              LEFT JOIN workcell.routing_revision r ON r.id = x.routing_revision_id
             WHERE x.eco_id = e.id), '[]'::jsonb)
                 || jsonb_build_array(format('Where used now: %s parent items',
                    jsonb_array_length(e.impact))))
      FROM workcell.eco e WHERE e.id = p_id
$$;

-- Registration with the signature machinery of 0003 (its tables are audited, so this
-- migration names its actor: the 'system' user).
SELECT set_config('workcell.actor', 'system', true);

INSERT INTO workcell.permission (name, kind, description) VALUES
    ('engineering.edit', 'action', 'Create and edit draft BOM and routing revisions and ECOs'),
    ('eco.author',  'sign', 'Sign an ECO and its revisions as authored (submit for review)'),
    ('eco.review',  'sign', 'Sign an ECO and its revisions as reviewed, or reject an ECO'),
    ('eco.approve', 'sign', 'Approve an ECO, releasing its revisions');
INSERT INTO workcell.role_permission (role, permission) VALUES
    ('engineer', 'engineering.edit'), ('engineer', 'eco.author'), ('engineer', 'eco.review'),
    ('qa', 'eco.review'), ('qa', 'eco.approve');

INSERT INTO workcell.signable_type (record_type, table_name, content_function, author_column, summary_function, production)
VALUES ('eco', 'workcell.eco', 'workcell.eco_content(bigint)', 'created_by', 'workcell.eco_summary(bigint)', true),
       ('bom_revision', 'workcell.bom_revision', 'workcell.bom_revision_content(bigint)', 'created_by',
        'workcell.bom_revision_summary(bigint)', true),
       ('routing_revision', 'workcell.routing_revision', 'workcell.routing_revision_content(bigint)', 'created_by',
        'workcell.routing_revision_summary(bigint)', true);

-- Three different people: authored (engineer) → reviewed (engineer or QA) → approved (QA).
-- 'author' is the record's creator; the revision rules apply the same chain to each
-- revision the ECO releases.
INSERT INTO workcell.signing_rule (record_type, meaning, permission, requires, distinct_from) VALUES
    ('eco', 'authored', 'eco.author', '{}', '{}'),
    ('eco', 'reviewed', 'eco.review', '{authored}', '{author,authored}'),
    ('eco', 'approved', 'eco.approve', '{authored,reviewed}', '{author,authored,reviewed}'),
    ('eco', 'rejected', 'eco.review', '{authored}', '{author,authored}'),
    ('bom_revision', 'authored', 'eco.author', '{}', '{}'),
    ('bom_revision', 'reviewed', 'eco.review', '{authored}', '{author,authored}'),
    ('bom_revision', 'approved', 'eco.approve', '{authored,reviewed}', '{author,authored,reviewed}'),
    ('routing_revision', 'authored', 'eco.author', '{}', '{}'),
    ('routing_revision', 'reviewed', 'eco.review', '{authored}', '{author,authored}'),
    ('routing_revision', 'approved', 'eco.approve', '{authored,reviewed}', '{author,authored,reviewed}');
"""

CONTENT_FUNCTIONS = (
    "workcell.bom_revision_content(bigint)",
    "workcell.routing_revision_content(bigint)",
    "workcell.sha256_of(jsonb)",
    "workcell.bom_revision_hash(bigint)",
    "workcell.routing_revision_hash(bigint)",
    "workcell.eco_content(bigint)",
    "workcell.eco_hash(bigint)",
    "workcell.bom_revision_summary(bigint)",
    "workcell.routing_revision_summary(bigint)",
    "workcell.eco_summary(bigint)",
)


def _attach_and_grant() -> None:
    for name in ALL_TABLES:
        table = f"workcell.{name}"
        deletable = "true" if name in (*LINE_TABLES, "eco_item") else "false"
        op.execute(f"SELECT audit.attach('{table}', ARRAY['id'], ARRAY[]::text[], {deletable})")
        op.execute(f"GRANT SELECT ON {table} TO workcell_auditor")
        if name in LINE_TABLES or name == "eco_item":
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO workcell_app")
        elif name == "eco_transition":
            op.execute(f"GRANT SELECT, INSERT ON {table} TO workcell_app")
        else:
            op.execute(f"GRANT SELECT, INSERT, UPDATE ON {table} TO workcell_app")
    op.execute("SELECT audit.make_append_only('workcell.eco_transition')")
    for spec in ALWAYS:
        table, trigger = spec.split(".")
        op.execute(f"ALTER TABLE workcell.{table} ENABLE ALWAYS TRIGGER {trigger}")
    for name in LINE_TABLES:
        op.execute(
            f"CREATE TRIGGER {name}_draft_only BEFORE INSERT OR UPDATE OR DELETE ON workcell.{name} "
            "FOR EACH ROW EXECUTE FUNCTION workcell.eng_line_guard()"
        )
        op.execute(f"ALTER TABLE workcell.{name} ENABLE ALWAYS TRIGGER {name}_draft_only")
    op.execute("GRANT USAGE ON SEQUENCE workcell.eco_number_seq TO workcell_app")
    functions = "FUNCTION " + ", ".join(CONTENT_FUNCTIONS)
    op.execute(f"REVOKE ALL ON {functions} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON {functions} TO workcell_app, workcell_auditor")


def upgrade() -> None:
    for block in (REVISIONS, ECO, GUARDS, TRIGGERS, CONTENT, SIGNING):
        op.execute(block)
    _attach_and_grant()


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
