-- The record index as it was before migration 0037 (no INCLUDE): the write path's "before".
DROP INDEX audit.ix_entry_record;
CREATE INDEX ix_entry_record ON audit.entry (table_name, record_key, id);
