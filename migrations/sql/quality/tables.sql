-- Quality (issue 16): Z1.4 reference tables, inspection templates (versioned, released by
-- signature), switching states per item and supplier, inspections with append-only results,
-- the NCR risk matrix (a controlled record) and NCRs. Every text column a station can write
-- is capped (field caps in the migration).

-- Z1.4 reference data --------------------------------------------------------------------
-- Loaded by the migration from domain/quality/data after its SHA-256 manifest is checked
-- (the same files the application's engine reads); owner-only, append-only, audited. The
-- plan a cell resolves to (after arrows) is stored as the data states it.
CREATE TABLE workcell.z14_reference (
    version    text PRIMARY KEY CONSTRAINT ck_z14_reference_version CHECK (length(version) <= 40),
    name       text NOT NULL,
    source     text NOT NULL,
    manifest   jsonb NOT NULL,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE workcell.z14_code_letter (
    data_version text NOT NULL CONSTRAINT fk_z14_code_letter_version REFERENCES workcell.z14_reference (version),
    lot_min      integer NOT NULL,
    lot_max      integer,
    level        text NOT NULL,
    letter       text NOT NULL,
    CONSTRAINT pk_z14_code_letter PRIMARY KEY (data_version, level, lot_min)
);
CREATE TABLE workcell.z14_sample_size (
    data_version text NOT NULL CONSTRAINT fk_z14_sample_size_version REFERENCES workcell.z14_reference (version),
    severity     text NOT NULL,
    letter       text NOT NULL,
    sample_size  integer NOT NULL,
    CONSTRAINT pk_z14_sample_size PRIMARY KEY (data_version, severity, letter)
);
CREATE TABLE workcell.z14_cell (
    data_version text NOT NULL CONSTRAINT fk_z14_cell_version REFERENCES workcell.z14_reference (version),
    severity     text NOT NULL,
    letter       text NOT NULL,
    aql          numeric(6, 3) NOT NULL,
    table_cell   text NOT NULL,
    plan_letter  text NOT NULL,
    sample_size  integer NOT NULL,
    ac           integer NOT NULL,
    re           integer NOT NULL,
    CONSTRAINT pk_z14_cell PRIMARY KEY (data_version, severity, letter, aql)
);

-- Which data version plans are computed from (one row; changed only by a migration).
CREATE TABLE workcell.quality_policy (
    id           integer PRIMARY KEY DEFAULT 1 CONSTRAINT ck_quality_policy_one CHECK (id = 1),
    data_version text NOT NULL CONSTRAINT fk_quality_policy_version REFERENCES workcell.z14_reference (version),
    version      integer NOT NULL DEFAULT 1
);

-- Inspection templates ------------------------------------------------------------------
CREATE TABLE workcell.inspection_template (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_inspection_template PRIMARY KEY,
    item_id          bigint NOT NULL CONSTRAINT fk_inspection_template_item_id REFERENCES workcell.item (id),
    inspection_type  text NOT NULL CONSTRAINT ck_inspection_template_type CHECK (
                         inspection_type IN ('receiving', 'in_process', 'final', 'first_article', 'periodic')),
    revision         integer NOT NULL CONSTRAINT ck_inspection_template_revision CHECK (revision > 0),
    title            text NOT NULL CONSTRAINT ck_inspection_template_title CHECK (btrim(title) <> '' AND length(title) <= 200),
    -- z14: Z1.4 level + AQL per defect class; full: every unit; fixed: fixed_count units
    sampling         text NOT NULL DEFAULT 'z14' CONSTRAINT ck_inspection_template_sampling CHECK (sampling IN ('z14', 'full', 'fixed')),
    inspection_level text CONSTRAINT ck_inspection_template_level CHECK (inspection_level IN ('S-1', 'S-2', 'S-3', 'S-4', 'I', 'II', 'III')),
    fixed_count      integer CONSTRAINT ck_inspection_template_fixed CHECK (fixed_count > 0),
    status           text NOT NULL DEFAULT 'draft' CONSTRAINT ck_inspection_template_status CHECK (
                         status IN ('draft', 'in_review', 'released', 'superseded', 'obsolete')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_inspection_template_created_by REFERENCES workcell.users (id),
    version          integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_inspection_template_revision UNIQUE (item_id, inspection_type, revision),
    CONSTRAINT ck_inspection_template_plan CHECK (
        (sampling = 'z14' AND inspection_level IS NOT NULL AND fixed_count IS NULL)
        OR (sampling = 'fixed' AND fixed_count IS NOT NULL AND inspection_level IS NULL)
        OR (sampling = 'full' AND fixed_count IS NULL AND inspection_level IS NULL))
);
-- One released template per item and inspection type.
CREATE UNIQUE INDEX uq_inspection_template_released ON workcell.inspection_template (item_id, inspection_type)
    WHERE status = 'released';

-- AQL per defect class (z14 sampling): the column of Table II; Ac/Re of fixed and full plans
-- are per class too (accept_number: nonconforming units accepted).
CREATE TABLE workcell.inspection_template_class (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_inspection_template_class PRIMARY KEY,
    template_id   bigint NOT NULL CONSTRAINT fk_inspection_template_class_template_id REFERENCES workcell.inspection_template (id),
    defect_class  text NOT NULL CONSTRAINT ck_inspection_template_class_class CHECK (defect_class IN ('critical', 'major', 'minor')),
    aql           numeric(6, 3),
    accept_number integer CONSTRAINT ck_inspection_template_class_accept CHECK (accept_number >= 0),
    version       integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_inspection_template_class UNIQUE (template_id, defect_class)
);

CREATE TABLE workcell.inspection_characteristic (
    id           bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_inspection_characteristic PRIMARY KEY,
    template_id  bigint NOT NULL CONSTRAINT fk_inspection_characteristic_template_id REFERENCES workcell.inspection_template (id),
    seq          integer NOT NULL CONSTRAINT ck_inspection_characteristic_seq CHECK (seq > 0),
    name         text NOT NULL CONSTRAINT ck_inspection_characteristic_name CHECK (btrim(name) <> '' AND length(name) <= 200),
    kind         text NOT NULL CONSTRAINT ck_inspection_characteristic_kind CHECK (kind IN ('attribute', 'variable', 'visual')),
    defect_class text NOT NULL CONSTRAINT ck_inspection_characteristic_class CHECK (defect_class IN ('critical', 'major', 'minor')),
    unit         text CONSTRAINT ck_inspection_characteristic_unit CHECK (length(unit) <= 20),
    nominal      numeric(18, 6),
    lower_limit  numeric(18, 6),
    upper_limit  numeric(18, 6),
    instruction  text NOT NULL DEFAULT '' CONSTRAINT ck_inspection_characteristic_instruction CHECK (length(instruction) <= 2000),
    version      integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_inspection_characteristic_seq UNIQUE (template_id, seq),
    -- a variable has a unit and at least one limit, nominal inside them; others have none
    CONSTRAINT ck_inspection_characteristic_variable CHECK (
        (kind = 'variable' AND unit IS NOT NULL AND (lower_limit IS NOT NULL OR upper_limit IS NOT NULL)
         AND (lower_limit IS NULL OR upper_limit IS NULL OR lower_limit <= upper_limit)
         AND (nominal IS NULL OR ((lower_limit IS NULL OR nominal >= lower_limit) AND (upper_limit IS NULL OR nominal <= upper_limit))))
        OR (kind <> 'variable' AND unit IS NULL AND nominal IS NULL AND lower_limit IS NULL AND upper_limit IS NULL))
);

-- Switching (normal / tightened / reduced / discontinued) per item and supplier -----------
CREATE TABLE workcell.switching_state (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_switching_state PRIMARY KEY,
    item_id         bigint NOT NULL CONSTRAINT fk_switching_state_item_id REFERENCES workcell.item (id),
    supplier_id     bigint NOT NULL CONSTRAINT fk_switching_state_supplier_id REFERENCES workcell.supplier (id),
    status          text NOT NULL DEFAULT 'normal' CONSTRAINT ck_switching_state_status CHECK (
                        status IN ('normal', 'tightened', 'reduced', 'discontinued')),
    -- switching score (normal inspection only), reset when normal starts
    score           integer NOT NULL DEFAULT 0,
    -- the last results on the current severity, newest last ('A' accepted, 'R' rejected)
    recent          text NOT NULL DEFAULT '' CONSTRAINT ck_switching_state_recent CHECK (recent ~ '^[AR]{0,10}$'),
    -- lots not accepted during the current tightened run (5: discontinue)
    tightened_rejects integer NOT NULL DEFAULT 0,
    last_rule       text NOT NULL DEFAULT 'start on normal inspection' CONSTRAINT ck_switching_state_rule CHECK (length(last_rule) <= 300),
    created_at      timestamptz NOT NULL DEFAULT now(),
    version         integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_switching_state UNIQUE (item_id, supplier_id)
);

-- Every switching move, with the rule that made it (append-only; the state's own changes are
-- in the audit trail and its guarded moves in status_transition).
CREATE TABLE workcell.switching_event (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_switching_event PRIMARY KEY,
    state_id      bigint NOT NULL CONSTRAINT fk_switching_event_state_id REFERENCES workcell.switching_state (id),
    inspection_id bigint,
    from_status   text NOT NULL,
    to_status     text NOT NULL,
    rule          text NOT NULL CONSTRAINT ck_switching_event_rule CHECK (length(rule) <= 300),
    score_before  integer NOT NULL,
    score_after   integer NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_id      bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_switching_event_actor_id REFERENCES workcell.users (id)
);
CREATE INDEX ix_switching_event_state ON workcell.switching_event (state_id, id);

-- Inspections ----------------------------------------------------------------------------
CREATE SEQUENCE workcell.inspection_number_seq;
CREATE TABLE workcell.inspection (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_inspection PRIMARY KEY,
    number          text NOT NULL CONSTRAINT ck_inspection_number CHECK (length(number) <= 40),
    lot_id          bigint NOT NULL CONSTRAINT fk_inspection_lot_id REFERENCES workcell.lot (id),
    template_id     bigint NOT NULL CONSTRAINT fk_inspection_template_id REFERENCES workcell.inspection_template (id),
    inspection_type text NOT NULL,
    lot_size        integer,                    -- units (NULL: the lot is not counted in units)
    severity        text NOT NULL DEFAULT 'normal' CONSTRAINT ck_inspection_severity CHECK (severity IN ('normal', 'tightened', 'reduced')),
    switching_id    bigint CONSTRAINT fk_inspection_switching_id REFERENCES workcell.switching_state (id),
    sample_size     integer,                    -- units drawn: the largest class plan
    data_version    text NOT NULL,
    -- a reduced lot accepted with a count in the gap (Ac < d < Re): normal from the next lot
    decision        text CONSTRAINT ck_inspection_decision CHECK (decision IN ('accept', 'reject')),
    gap             boolean NOT NULL DEFAULT false,
    decision_note   text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'open' CONSTRAINT ck_inspection_status CHECK (
                        status IN ('open', 'completed', 'released', 'rejected', 'referred')),
    ncr_id          bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_inspection_created_by REFERENCES workcell.users (id),
    completed_at    timestamptz,
    version         integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_inspection_number UNIQUE (number)
);
CREATE INDEX ix_inspection_lot ON workcell.inspection (lot_id, id);
CREATE INDEX ix_inspection_open ON workcell.inspection (status) WHERE status IN ('open', 'completed');

-- The plan per defect class: from the table, every unit, a fixed count, or entered by QA
-- (a cell the data leaves out: manual_required until QA enters and approves it).
CREATE TABLE workcell.inspection_plan (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_inspection_plan PRIMARY KEY,
    inspection_id bigint NOT NULL CONSTRAINT fk_inspection_plan_inspection_id REFERENCES workcell.inspection (id),
    defect_class  text NOT NULL,
    source        text NOT NULL CONSTRAINT ck_inspection_plan_source CHECK (
                      source IN ('z14', 'hundred_percent', 'fixed', 'full', 'manual_required', 'manual')),
    aql           numeric(6, 3),
    code_letter   text,
    table_cell    text,
    plan_letter   text,
    sample_size   integer,
    ac            integer,
    re            integer,
    approved_by   bigint CONSTRAINT fk_inspection_plan_approved_by REFERENCES workcell.users (id),
    approved_at   timestamptz,
    note          text NOT NULL DEFAULT '' CONSTRAINT ck_inspection_plan_note CHECK (length(note) <= 500),
    version       integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_inspection_plan UNIQUE (inspection_id, defect_class),
    CONSTRAINT ck_inspection_plan_complete CHECK (
        source = 'manual_required' OR (sample_size > 0 AND ac >= 0 AND re > ac))
);

-- Results per sample and characteristic: append-only; a wrong entry is invalidated (with
-- its reason, kept) and entered again.
CREATE TABLE workcell.inspection_result (
    id                bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_inspection_result PRIMARY KEY,
    inspection_id     bigint NOT NULL CONSTRAINT fk_inspection_result_inspection_id REFERENCES workcell.inspection (id),
    sample_no         integer NOT NULL CONSTRAINT ck_inspection_result_sample CHECK (sample_no > 0),
    characteristic_id bigint NOT NULL CONSTRAINT fk_inspection_result_characteristic_id REFERENCES workcell.inspection_characteristic (id),
    value             numeric(18, 6),
    passed            boolean NOT NULL,
    serial_id         bigint CONSTRAINT fk_inspection_result_serial_id REFERENCES workcell.serial (id),
    note              text NOT NULL DEFAULT '' CONSTRAINT ck_inspection_result_note CHECK (length(note) <= 500),
    entered_at        timestamptz NOT NULL DEFAULT now(),
    entered_by        bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_inspection_result_entered_by REFERENCES workcell.users (id),
    station           text NOT NULL DEFAULT session_user
);
CREATE INDEX ix_inspection_result_inspection ON workcell.inspection_result (inspection_id, sample_no, characteristic_id);

CREATE TABLE workcell.inspection_result_invalidation (
    result_id  bigint PRIMARY KEY CONSTRAINT fk_inspection_result_invalidation_result_id REFERENCES workcell.inspection_result (id),
    reason     text NOT NULL CONSTRAINT ck_inspection_result_invalidation_reason CHECK (btrim(reason) <> '' AND length(reason) <= 500),
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_inspection_result_invalidation_actor_id REFERENCES workcell.users (id)
);

-- NCR risk matrix: a controlled record (released by signature; one released at a time) ----
CREATE TABLE workcell.risk_matrix (
    id          bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_risk_matrix PRIMARY KEY,
    revision    integer NOT NULL CONSTRAINT ck_risk_matrix_revision CHECK (revision > 0),
    title       text NOT NULL CONSTRAINT ck_risk_matrix_title CHECK (btrim(title) <> '' AND length(title) <= 200),
    status      text NOT NULL DEFAULT 'draft' CONSTRAINT ck_risk_matrix_status CHECK (status IN ('draft', 'released', 'superseded')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_risk_matrix_created_by REFERENCES workcell.users (id),
    version     integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_risk_matrix_revision UNIQUE (revision)
);
CREATE UNIQUE INDEX uq_risk_matrix_released ON workcell.risk_matrix ((true)) WHERE status = 'released';

-- severity (1 negligible .. 5 catastrophic) x occurrence (1 remote .. 5 frequent) -> class
CREATE TABLE workcell.risk_matrix_cell (
    matrix_id  bigint NOT NULL CONSTRAINT fk_risk_matrix_cell_matrix_id REFERENCES workcell.risk_matrix (id),
    severity   integer NOT NULL CONSTRAINT ck_risk_matrix_cell_severity CHECK (severity BETWEEN 1 AND 5),
    occurrence integer NOT NULL CONSTRAINT ck_risk_matrix_cell_occurrence CHECK (occurrence BETWEEN 1 AND 5),
    risk_class text NOT NULL CONSTRAINT ck_risk_matrix_cell_class CHECK (risk_class IN ('minor', 'major', 'critical')),
    version    integer NOT NULL DEFAULT 1,
    CONSTRAINT pk_risk_matrix_cell PRIMARY KEY (matrix_id, severity, occurrence)
);

-- Which approvals (signature meanings on the NCR) a disposition needs in a risk class.
CREATE TABLE workcell.risk_matrix_approval (
    matrix_id   bigint NOT NULL CONSTRAINT fk_risk_matrix_approval_matrix_id REFERENCES workcell.risk_matrix (id),
    risk_class  text NOT NULL CONSTRAINT ck_risk_matrix_approval_class CHECK (risk_class IN ('minor', 'major', 'critical')),
    disposition text NOT NULL CONSTRAINT ck_risk_matrix_approval_disposition CHECK (
                    disposition IN ('use_as_is', 'rework', 'repair', 'scrap', 'return_to_supplier')),
    approvals   text[] NOT NULL CONSTRAINT ck_risk_matrix_approval_meanings CHECK (
                    approvals <@ ARRAY['qa_approved', 'engineering_approved', 'management_approved'] AND cardinality(approvals) > 0),
    version     integer NOT NULL DEFAULT 1,
    CONSTRAINT pk_risk_matrix_approval PRIMARY KEY (matrix_id, risk_class, disposition)
);

-- NCRs -----------------------------------------------------------------------------------
CREATE SEQUENCE workcell.ncr_number_seq;
CREATE TABLE workcell.ncr (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_ncr PRIMARY KEY,
    number        text NOT NULL CONSTRAINT ck_ncr_number CHECK (length(number) <= 40),
    origin        text NOT NULL CONSTRAINT ck_ncr_origin CHECK (origin IN ('inspection', 'deviation', 'manual')),
    inspection_id bigint CONSTRAINT fk_ncr_inspection_id REFERENCES workcell.inspection (id),
    title         text NOT NULL CONSTRAINT ck_ncr_title CHECK (btrim(title) <> '' AND length(title) <= 200),
    description   text NOT NULL CONSTRAINT ck_ncr_description CHECK (btrim(description) <> '' AND length(description) <= 4000),
    severity      integer NOT NULL CONSTRAINT ck_ncr_severity CHECK (severity BETWEEN 1 AND 5),
    occurrence    integer NOT NULL CONSTRAINT ck_ncr_occurrence CHECK (occurrence BETWEEN 1 AND 5),
    matrix_id     bigint NOT NULL CONSTRAINT fk_ncr_matrix_id REFERENCES workcell.risk_matrix (id),
    risk_class    text NOT NULL,
    disposition   text CONSTRAINT ck_ncr_disposition CHECK (
                      disposition IN ('use_as_is', 'rework', 'repair', 'scrap', 'return_to_supplier')),
    disposition_note text NOT NULL DEFAULT '' CONSTRAINT ck_ncr_disposition_note CHECK (length(disposition_note) <= 2000),
    status        text NOT NULL DEFAULT 'open' CONSTRAINT ck_ncr_status CHECK (status IN ('open', 'dispositioned', 'closed')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_ncr_created_by REFERENCES workcell.users (id),
    version       integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_ncr_number UNIQUE (number),
    CONSTRAINT ck_ncr_from_inspection CHECK ((origin = 'inspection') = (inspection_id IS NOT NULL))
);

-- The lots an NCR concerns (the lot itself and, found by the forward trace, what was made
-- from it); each got an NCR hold when it was added.
CREATE TABLE workcell.ncr_lot (
    ncr_id   bigint NOT NULL CONSTRAINT fk_ncr_lot_ncr_id REFERENCES workcell.ncr (id),
    lot_id   bigint NOT NULL CONSTRAINT fk_ncr_lot_lot_id REFERENCES workcell.lot (id),
    via      text NOT NULL CONSTRAINT ck_ncr_lot_via CHECK (via IN ('direct', 'forward_trace')),
    hold_id  bigint CONSTRAINT fk_ncr_lot_hold_id REFERENCES workcell.hold (id),
    CONSTRAINT pk_ncr_lot PRIMARY KEY (ncr_id, lot_id)
);
CREATE INDEX ix_ncr_lot_lot ON workcell.ncr_lot (lot_id);

ALTER TABLE workcell.inspection
    ADD CONSTRAINT fk_inspection_ncr_id FOREIGN KEY (ncr_id) REFERENCES workcell.ncr (id);

-- 8-D CAPA on an NCR (functions in capa.sql) ---------------------------------------------
CREATE SEQUENCE workcell.capa_number_seq;
CREATE TABLE workcell.capa (
    id          bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_capa PRIMARY KEY,
    number      text NOT NULL CONSTRAINT ck_capa_number CHECK (length(number) <= 40),
    ncr_id      bigint NOT NULL CONSTRAINT fk_capa_ncr_id REFERENCES workcell.ncr (id),
    title       text NOT NULL CONSTRAINT ck_capa_title CHECK (btrim(title) <> '' AND length(title) <= 200),
    status      text NOT NULL DEFAULT 'open' CONSTRAINT ck_capa_status CHECK (status IN ('open', 'closed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_capa_created_by REFERENCES workcell.users (id),
    version     integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_capa_number UNIQUE (number)
);
CREATE INDEX ix_capa_ncr ON workcell.capa (ncr_id);

CREATE TABLE workcell.capa_section (
    id          bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_capa_section PRIMARY KEY,
    capa_id     bigint NOT NULL CONSTRAINT fk_capa_section_capa_id REFERENCES workcell.capa (id),
    discipline  integer NOT NULL CONSTRAINT ck_capa_section_discipline CHECK (discipline BETWEEN 0 AND 8),
    content     text NOT NULL DEFAULT '' CONSTRAINT ck_capa_section_content CHECK (length(content) <= 8000),
    owner_id    bigint NOT NULL CONSTRAINT fk_capa_section_owner_id REFERENCES workcell.users (id),
    due_date    date NOT NULL,
    status      text NOT NULL DEFAULT 'open' CONSTRAINT ck_capa_section_status CHECK (status IN ('open', 'complete')),
    completed_at timestamptz,
    version     integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_capa_section UNIQUE (capa_id, discipline)
);
CREATE INDEX ix_capa_section_due ON workcell.capa_section (due_date) WHERE status = 'open';
