-- Work orders and step execution (issue 14): training records, work orders with their locked
-- BOM and routing, one step instance per routing step, append-only step entries (values,
-- scans, outputs; corrections supersede, nothing is overwritten), deviations. Quantities
-- are exact decimals in the item's unit. Stations hold column grants only where a guarded
-- status move is theirs to make; everything else is written by SECURITY DEFINER functions.

-- Settings a plant configures (one row): how far the actual yield may stray from the
-- planned quantity before completion opens a deviation.
CREATE TABLE workcell.work_order_policy (
    id                  integer PRIMARY KEY DEFAULT 1 CONSTRAINT ck_work_order_policy_one CHECK (id = 1),
    yield_tolerance_pct numeric(5, 2) NOT NULL DEFAULT 2.00
                        CONSTRAINT ck_work_order_policy_yield CHECK (yield_tolerance_pct BETWEEN 0 AND 100),
    version             integer NOT NULL DEFAULT 1
);
INSERT INTO workcell.work_order_policy (id) VALUES (1);
CREATE SEQUENCE workcell.work_order_number_seq;
CREATE SEQUENCE workcell.deviation_number_seq;

-- Training (§11.10(i)) -----------------------------------------------------------------------

-- A qualification: trained on a procedure / work instruction at a revision.
CREATE TABLE workcell.qualification (
    id                bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_qualification PRIMARY KEY,
    code              text NOT NULL CONSTRAINT ck_qualification_code CHECK (code ~ '^[A-Z0-9][A-Z0-9_.-]{0,31}$'),
    title             text NOT NULL CONSTRAINT ck_qualification_title CHECK (btrim(title) <> '' AND length(title) <= 200),
    document          text NOT NULL CONSTRAINT ck_qualification_document CHECK (btrim(document) <> '' AND length(document) <= 80),
    document_revision text NOT NULL CONSTRAINT ck_qualification_document_revision CHECK (btrim(document_revision) <> '' AND length(document_revision) <= 20),
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by        bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_qualification_created_by REFERENCES workcell.users (id),
    version           integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_qualification_code UNIQUE (code)
);

-- A person's qualification record: trained on, expires on; active once a trainer (or an
-- administrator) attests it with a signature; revoked, never deleted.
CREATE TABLE workcell.person_qualification (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_person_qualification PRIMARY KEY,
    user_id          bigint NOT NULL CONSTRAINT fk_person_qualification_user_id REFERENCES workcell.users (id),
    qualification_id bigint NOT NULL CONSTRAINT fk_person_qualification_qualification_id REFERENCES workcell.qualification (id),
    trained_on       date NOT NULL,
    expires_on       date,
    status           text NOT NULL DEFAULT 'pending'
                     CONSTRAINT ck_person_qualification_status CHECK (status IN ('pending', 'active', 'revoked')),
    attested_by      bigint CONSTRAINT fk_person_qualification_attested_by REFERENCES workcell.users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_person_qualification_created_by REFERENCES workcell.users (id),
    version          integer NOT NULL DEFAULT 1,
    CONSTRAINT ck_person_qualification_dates CHECK (expires_on IS NULL OR expires_on > trained_on)
);
CREATE INDEX ix_person_qualification_user ON workcell.person_qualification (user_id, qualification_id);
CREATE INDEX ix_person_qualification_expiry ON workcell.person_qualification (expires_on) WHERE status = 'active';

-- A routing operation or step names the qualification its executor needs (frozen with the
-- revision like every other routing line field; NULL: none).
ALTER TABLE workcell.routing_operation
    ADD COLUMN qualification_id bigint CONSTRAINT fk_routing_operation_qualification_id REFERENCES workcell.qualification (id);
ALTER TABLE workcell.routing_step
    ADD COLUMN qualification_id bigint CONSTRAINT fk_routing_step_qualification_id REFERENCES workcell.qualification (id),
    -- the step at which the work order's output (lot quantity, serials) is made
    ADD COLUMN output boolean NOT NULL DEFAULT false;

-- Work orders --------------------------------------------------------------------------------

CREATE TABLE workcell.work_order (
    id                  bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_work_order PRIMARY KEY,
    number              text NOT NULL DEFAULT 'WO-' || lpad(nextval('workcell.work_order_number_seq')::text, 6, '0')
                        CONSTRAINT ck_work_order_number CHECK (length(number) <= 20),
    item_id             bigint NOT NULL CONSTRAINT fk_work_order_item_id REFERENCES workcell.item (id),
    quantity            numeric(18, 6) NOT NULL CONSTRAINT ck_work_order_quantity CHECK (quantity > 0),
    unit                text NOT NULL CONSTRAINT ck_work_order_unit CHECK (length(unit) <= 8),
    due_date            date NOT NULL,
    note                text NOT NULL DEFAULT '' CONSTRAINT ck_work_order_note CHECK (length(note) <= 500),
    status              text NOT NULL DEFAULT 'planned' CONSTRAINT ck_work_order_status CHECK (status IN
                        ('planned', 'released', 'in_progress', 'complete', 'reviewed', 'closed', 'cancelled')),
    -- the lock, set by the release and never changed afterwards (work_order_guard)
    bom_revision_id     bigint CONSTRAINT fk_work_order_bom_revision_id REFERENCES workcell.bom_revision (id),
    routing_revision_id bigint CONSTRAINT fk_work_order_routing_revision_id REFERENCES workcell.routing_revision (id),
    lock_content        jsonb,
    lock_hash           text CONSTRAINT ck_work_order_lock_hash CHECK (lock_hash ~ '^[0-9a-f]{64}$'),
    released_at         timestamptz,
    released_by         bigint CONSTRAINT fk_work_order_released_by REFERENCES workcell.users (id),
    -- the output: one produced lot per work order, its production record (the ledger's context)
    output_lot_id       bigint CONSTRAINT fk_work_order_output_lot_id REFERENCES workcell.lot (id),
    production_record_id bigint CONSTRAINT fk_work_order_production_record_id REFERENCES workcell.production_record (id),
    -- label reconciliation (21 CFR 211.188(b)(8)): counts entered at the line
    labels_issued       integer NOT NULL DEFAULT 0 CONSTRAINT ck_work_order_labels_issued CHECK (labels_issued >= 0),
    labels_used         integer NOT NULL DEFAULT 0 CONSTRAINT ck_work_order_labels_used CHECK (labels_used >= 0),
    labels_destroyed    integer NOT NULL DEFAULT 0 CONSTRAINT ck_work_order_labels_destroyed CHECK (labels_destroyed >= 0),
    -- yield reconciliation at completion (211.188(b)(7)): written by the completion trigger
    actual_quantity     numeric(18, 6),
    yield_pct           numeric(9, 3),
    completed_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    created_by          bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_work_order_created_by REFERENCES workcell.users (id),
    version             integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_work_order_number UNIQUE (number),
    CONSTRAINT uq_work_order_output_lot_id UNIQUE (output_lot_id),
    CONSTRAINT ck_work_order_locked CHECK (status IN ('planned', 'cancelled') OR
        (bom_revision_id IS NOT NULL AND routing_revision_id IS NOT NULL AND lock_hash IS NOT NULL AND released_at IS NOT NULL))
);
CREATE INDEX ix_work_order_status ON workcell.work_order (status, due_date);
CREATE INDEX ix_work_order_item_id ON workcell.work_order (item_id);

-- The ledger's production context: a production record may belong to a work order.
ALTER TABLE workcell.production_record
    ADD COLUMN work_order_id bigint CONSTRAINT fk_production_record_work_order_id REFERENCES workcell.work_order (id);
CREATE UNIQUE INDEX uq_production_record_work_order ON workcell.production_record (work_order_id) WHERE work_order_id IS NOT NULL;

-- One executed step instance per work order and routing step, created at release.
CREATE TABLE workcell.step_instance (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_step_instance PRIMARY KEY,
    work_order_id   bigint NOT NULL CONSTRAINT fk_step_instance_work_order_id REFERENCES workcell.work_order (id),
    routing_step_id bigint NOT NULL CONSTRAINT fk_step_instance_routing_step_id REFERENCES workcell.routing_step (id),
    seq             integer NOT NULL CONSTRAINT ck_step_instance_seq CHECK (seq > 0),
    status          text NOT NULL DEFAULT 'pending'
                    CONSTRAINT ck_step_instance_status CHECK (status IN ('pending', 'in_progress', 'done')),
    started_at      timestamptz,
    started_by      bigint CONSTRAINT fk_step_instance_started_by REFERENCES workcell.users (id),
    done_at         timestamptz,
    done_by         bigint CONSTRAINT fk_step_instance_done_by REFERENCES workcell.users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    version         integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_step_instance_step UNIQUE (work_order_id, routing_step_id),
    CONSTRAINT uq_step_instance_seq UNIQUE (work_order_id, seq)
);

-- What was recorded at a step, one row per entry, append-only. A correction is a new row
-- that supersedes the old one (which stays, with its value): reason and corrector on the
-- new row. Actor, station and time are the server's. Kinds: a value for a data field
-- (numeric, pass/fail, text), a component scan (consumption through the ledger), an output.
CREATE TABLE workcell.step_entry (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_step_entry PRIMARY KEY,
    step_instance_id bigint NOT NULL CONSTRAINT fk_step_entry_step_instance_id REFERENCES workcell.step_instance (id),
    step_data_id     bigint CONSTRAINT fk_step_entry_step_data_id REFERENCES workcell.routing_step_data (id),
    kind             text NOT NULL CONSTRAINT ck_step_entry_kind CHECK (kind IN ('value', 'scan', 'output')),
    value_numeric    numeric(18, 6),
    value_pass       boolean,
    value_text       text CONSTRAINT ck_step_entry_value_text CHECK (length(value_text) <= 2000),
    out_of_limit     boolean NOT NULL DEFAULT false,
    lot_id           bigint CONSTRAINT fk_step_entry_lot_id REFERENCES workcell.lot (id),
    serial_id        bigint CONSTRAINT fk_step_entry_serial_id REFERENCES workcell.serial (id),
    bin_id           bigint CONSTRAINT fk_step_entry_bin_id REFERENCES workcell.bin (id),
    quantity         numeric(18, 6),
    unit             text CONSTRAINT ck_step_entry_unit CHECK (length(unit) <= 8),
    inventory_txn_id bigint CONSTRAINT fk_step_entry_inventory_txn_id REFERENCES workcell.inventory_txn (id),
    -- the instrument a value came from (equipment area, issue 14 item 7), and how it came
    equipment_id     bigint,
    value_source     text NOT NULL DEFAULT 'typed' CONSTRAINT ck_step_entry_value_source CHECK (value_source IN ('typed', 'balance')),
    supersedes       bigint CONSTRAINT fk_step_entry_supersedes REFERENCES workcell.step_entry (id),
    reason           text NOT NULL DEFAULT '' CONSTRAINT ck_step_entry_reason CHECK (length(reason) <= 500),
    -- made while an earlier step of the work order was not done / after the due date
    out_of_order     boolean NOT NULL DEFAULT false,
    late             boolean NOT NULL DEFAULT false,
    entered_at       timestamptz NOT NULL DEFAULT now(),
    entered_by       bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_step_entry_entered_by REFERENCES workcell.users (id),
    station          text NOT NULL DEFAULT session_user,
    tx_id            xid8 NOT NULL DEFAULT pg_current_xact_id(),
    version          integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_step_entry_supersedes UNIQUE (supersedes),
    CONSTRAINT ck_step_entry_correction CHECK (supersedes IS NULL OR btrim(reason) <> ''),
    CONSTRAINT ck_step_entry_shape CHECK (CASE kind
        WHEN 'value' THEN step_data_id IS NOT NULL AND lot_id IS NULL
             AND num_nonnulls(value_numeric, value_pass, value_text) = 1
        WHEN 'scan' THEN step_data_id IS NOT NULL AND lot_id IS NOT NULL AND quantity > 0 AND inventory_txn_id IS NOT NULL
        ELSE lot_id IS NOT NULL AND quantity > 0 AND inventory_txn_id IS NOT NULL END)
);
CREATE INDEX ix_step_entry_step ON workcell.step_entry (step_instance_id, id);

-- Deviations: an out-of-limit value (opened by the database), a substitution, a skipped
-- check, a yield or label count outside its limit. What, expected, actual, who, why; QA
-- approves with a signature (not the performer); the step (or the work order's review)
-- waits until then.
CREATE TABLE workcell.deviation (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_deviation PRIMARY KEY,
    number           text NOT NULL DEFAULT 'DEV-' || lpad(nextval('workcell.deviation_number_seq')::text, 6, '0')
                     CONSTRAINT ck_deviation_number CHECK (length(number) <= 20),
    work_order_id    bigint NOT NULL CONSTRAINT fk_deviation_work_order_id REFERENCES workcell.work_order (id),
    step_instance_id bigint CONSTRAINT fk_deviation_step_instance_id REFERENCES workcell.step_instance (id),
    step_entry_id    bigint CONSTRAINT fk_deviation_step_entry_id REFERENCES workcell.step_entry (id),
    kind             text NOT NULL CONSTRAINT ck_deviation_kind CHECK (kind IN
                     ('out_of_limit', 'substitution', 'skipped_check', 'yield', 'labels', 'other')),
    what             text NOT NULL CONSTRAINT ck_deviation_what CHECK (btrim(what) <> '' AND length(what) <= 500),
    expected         text NOT NULL DEFAULT '' CONSTRAINT ck_deviation_expected CHECK (length(expected) <= 500),
    actual           text NOT NULL DEFAULT '' CONSTRAINT ck_deviation_actual CHECK (length(actual) <= 500),
    why              text NOT NULL DEFAULT '' CONSTRAINT ck_deviation_why CHECK (length(why) <= 2000),
    status           text NOT NULL DEFAULT 'open' CONSTRAINT ck_deviation_status CHECK (status IN ('open', 'approved')),
    decided_at       timestamptz,
    decided_by       bigint CONSTRAINT fk_deviation_decided_by REFERENCES workcell.users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_deviation_created_by REFERENCES workcell.users (id),
    version          integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_deviation_number UNIQUE (number)
);
CREATE INDEX ix_deviation_work_order ON workcell.deviation (work_order_id, id);
CREATE INDEX ix_deviation_open_step ON workcell.deviation (step_instance_id) WHERE status = 'open';
