-- Part 11 account controls (issue 17 item 6): the periodic account review, dormant accounts
-- disabled by an administrator's signed decision, lost badges revoked everywhere at once,
-- and the periodic test of badge readers and cards (11.300(e)).

-- One row: how long an account may go unused before it is dormant, and how often each
-- station's badge reader is tested. Changed only through workcell.set_account_policy()
-- (an administrator, a reason and fresh credentials), audited like every change.
CREATE TABLE workcell.account_policy (
    id                         integer PRIMARY KEY CONSTRAINT ck_account_policy_one CHECK (id = 1),
    dormant_after_days         integer NOT NULL DEFAULT 90
                               CONSTRAINT ck_account_policy_dormant CHECK (dormant_after_days BETWEEN 7 AND 3650),
    reader_test_interval_days  integer NOT NULL DEFAULT 90
                               CONSTRAINT ck_account_policy_reader_test CHECK (reader_test_interval_days BETWEEN 1 AND 730),
    version                    integer NOT NULL DEFAULT 1
);

-- A dormancy decision: the administrator who signed it (their fresh credentials are the
-- access-log line), the accounts it disabled, the dormancy period in force and the reason.
CREATE TABLE workcell.dormancy_decision (
    id                 bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_dormancy_decision PRIMARY KEY,
    decided_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    decided_by         bigint NOT NULL DEFAULT workcell.current_actor_id()
                       CONSTRAINT fk_dormancy_decision_decided_by REFERENCES workcell.users (id),
    dormant_after_days integer NOT NULL,
    user_ids           bigint[] NOT NULL CONSTRAINT ck_dormancy_decision_users CHECK (cardinality(user_ids) > 0),
    usernames          text NOT NULL,
    reason             text NOT NULL CONSTRAINT ck_dormancy_decision_reason CHECK (btrim(reason) <> ''),
    access_log_id      bigint NOT NULL CONSTRAINT fk_dormancy_decision_access_log REFERENCES workcell.access_log (id),
    station            text NOT NULL DEFAULT session_user,
    version            integer NOT NULL DEFAULT 1
);

-- One test of a station's badge reader with a card (11.300(e)): which station and reader,
-- which card (a pass is a card the reader read and the database recognised, at that
-- station), the result, who tested (proved now: the access-log line) and when (the server).
CREATE TABLE workcell.reader_test (
    id             bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_reader_test PRIMARY KEY,
    station_id     bigint NOT NULL CONSTRAINT fk_reader_test_station REFERENCES workcell.station (id),
    reader         text NOT NULL CONSTRAINT ck_reader_test_reader CHECK (btrim(reader) <> ''),
    badge_id       bigint CONSTRAINT fk_reader_test_badge REFERENCES workcell.badge (id),
    result         text NOT NULL CONSTRAINT ck_reader_test_result CHECK (result IN ('pass', 'fail')),
    detail         text NOT NULL DEFAULT '',
    tested_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    tested_by      bigint NOT NULL DEFAULT workcell.current_actor_id()
                   CONSTRAINT fk_reader_test_tested_by REFERENCES workcell.users (id),
    access_log_id  bigint NOT NULL CONSTRAINT fk_reader_test_access_log REFERENCES workcell.access_log (id),
    -- the login the record came from (a failed reader is recorded from another terminal)
    recorded_at    text NOT NULL DEFAULT session_user,
    version        integer NOT NULL DEFAULT 1,
    CONSTRAINT ck_reader_test_pass_card CHECK (result <> 'pass' OR badge_id IS NOT NULL),
    CONSTRAINT ck_reader_test_fail_detail CHECK (result <> 'fail' OR btrim(detail) <> '')
);
CREATE INDEX ix_reader_test_station ON workcell.reader_test (station_id, tested_at DESC);
CREATE INDEX ix_reader_test_badge ON workcell.reader_test (badge_id) WHERE badge_id IS NOT NULL;

-- Registration (audited: this migration's actor is the 'system' user) ---------------------

SELECT set_config('workcell.system_actor', 'system', true);
SELECT set_config('workcell.reason', 'migration 0029: account controls', true);

INSERT INTO workcell.account_policy (id) VALUES (1);

INSERT INTO workcell.permission (name, kind, description) VALUES
    ('reader.test', 'action', 'Record the periodic test of a station''s badge reader and cards (11.300(e))');
INSERT INTO workcell.role_permission (role, permission) VALUES
    ('admin', 'reader.test'), ('supervisor', 'reader.test');

-- The new security-event kinds.
DO $$
DECLARE
    v_def text;
BEGIN
    SELECT pg_get_constraintdef(oid) INTO v_def FROM pg_constraint
     WHERE conname = 'ck_security_event_kind' AND conrelid = 'workcell.security_event'::regclass;
    EXECUTE 'ALTER TABLE workcell.security_event DROP CONSTRAINT ck_security_event_kind';
    EXECUTE 'ALTER TABLE workcell.security_event ADD CONSTRAINT ck_security_event_kind '
         || replace(v_def, '::text])', '::text, ''dormant_account_disabled''::text, '
                    '''badge_reported_lost''::text, ''reader_test_failed''::text])');
END $$;
