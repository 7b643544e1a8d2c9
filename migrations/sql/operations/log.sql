-- The operations log (issue 17 item 4): every backup taken and every restore made, in the
-- database they concern and in its audit trail. An investigator asks when the last backup
-- was taken, whether restores were drilled, and what a restored system was restored from;
-- the answer is a record, not the admin's memory. Written owner-side by `workcell db
-- backup` / `db restore` (the admin's login holds the owner role; stations only read), with
-- the server's clock and login; append-only. Size caps: the migration (workcell.field_cap).

CREATE TABLE workcell.operation_event (
    id       bigint      GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_operation_event PRIMARY KEY,
    kind     text        NOT NULL CONSTRAINT ck_operation_event_kind
                                  CHECK (kind IN ('backup', 'restore')),
    at       timestamptz NOT NULL,
    db_login text        NOT NULL,
    -- what the admin's machine says of itself: informational, not proof
    os_user  text        NOT NULL,
    host     text        NOT NULL,
    detail   jsonb       NOT NULL CONSTRAINT ck_operation_event_detail
                                  CHECK (jsonb_typeof(detail) = 'object')
);
CREATE INDEX ix_operation_event_kind_at ON workcell.operation_event (kind, at DESC);

-- The server's facts, whatever the insert says: when (the server's clock) and which login.
CREATE FUNCTION workcell.operation_event_facts() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.at := pg_catalog.clock_timestamp();
    NEW.db_login := session_user;
    RETURN NEW;
END $$;
