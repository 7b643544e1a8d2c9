-- Bench variant (bench/audit_overhead.py --variant): the new trigger and writer, but the six btrees and the CHECK of before.
SET ROLE workcell_owner;

CREATE INDEX ix_entry_at ON audit.entry (at);
CREATE INDEX ix_entry_station ON audit.entry (station, id);
DROP INDEX audit.ix_entry_at_brin;
ALTER TABLE audit.entry ADD CONSTRAINT ck_entry_operation
    CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'BASELINE'));
