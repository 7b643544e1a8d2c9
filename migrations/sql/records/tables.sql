-- True copies (issue 15, docs/records.md): every PDF/A-3b batch record / device history
-- record generated, with the SHA-256 of the PDF and of its JSON twin. Anyone can make a PDF,
-- its JSON and the printed hash agree with each other; only this table, written by the
-- database with the server's clock and the signed-in person, says which PDF WorkCell made.
SELECT set_config('workcell.system_actor', 'system', true);
SELECT set_config('workcell.reason', 'migration 0020: record copies', true);

CREATE TABLE workcell.record_copy (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_record_copy PRIMARY KEY,
    record_type     text NOT NULL CONSTRAINT ck_record_copy_record_type CHECK (record_type IN ('work_order', 'lot')),
    record_key      text NOT NULL CONSTRAINT ck_record_copy_record_key CHECK (length(record_key) BETWEEN 1 AND 80),
    work_order_id   bigint CONSTRAINT fk_record_copy_work_order_id REFERENCES workcell.work_order (id),
    lot_id          bigint CONSTRAINT fk_record_copy_lot_id REFERENCES workcell.lot (id),
    json_sha256     text NOT NULL CONSTRAINT ck_record_copy_json_sha256 CHECK (json_sha256 ~ '^[0-9a-f]{64}$'),
    pdf_sha256      text NOT NULL CONSTRAINT ck_record_copy_pdf_sha256 CHECK (pdf_sha256 ~ '^[0-9a-f]{64}$'),
    template_sha256 text NOT NULL CONSTRAINT ck_record_copy_template_sha256 CHECK (template_sha256 ~ '^[0-9a-f]{64}$'),
    pages           integer NOT NULL CONSTRAINT ck_record_copy_pages CHECK (pages > 0),
    made_by         bigint NOT NULL CONSTRAINT fk_record_copy_made_by REFERENCES workcell.users (id),
    made_at         timestamptz NOT NULL,
    station         text NOT NULL,
    CONSTRAINT uq_record_copy_pdf_sha256 UNIQUE (pdf_sha256),
    CONSTRAINT ck_record_copy_subject CHECK (work_order_id IS NOT NULL OR lot_id IS NOT NULL)
);
CREATE INDEX ix_record_copy_json_sha256 ON workcell.record_copy (json_sha256);
CREATE INDEX ix_record_copy_work_order_id ON workcell.record_copy (work_order_id);

INSERT INTO workcell.permission (name, kind, description) VALUES
    ('record.copy', 'action', 'Print a batch record / device history record (a registered true copy)');
INSERT INTO workcell.role_permission (role, permission) VALUES
    ('qa', 'record.copy'), ('supervisor', 'record.copy'), ('planner', 'record.copy');
