-- Server-side identity policy: one row, changed only through workcell.set_identity_policy()
-- (an administrator, a reason, audited). Stations read it; no station argument overrides it.
CREATE TABLE workcell.identity_policy (
    id                    integer PRIMARY KEY CONSTRAINT ck_identity_policy_one CHECK (id = 1),
    max_failed_attempts   integer NOT NULL DEFAULT 5 CONSTRAINT ck_identity_policy_attempts CHECK (max_failed_attempts BETWEEN 3 AND 10),
    failure_window_s      integer NOT NULL DEFAULT 86400 CONSTRAINT ck_identity_policy_window CHECK (failure_window_s BETWEEN 300 AND 2592000),
    station_failure_limit integer NOT NULL DEFAULT 15 CONSTRAINT ck_identity_policy_station_failures CHECK (station_failure_limit BETWEEN 5 AND 1000),
    station_lookup_limit  integer NOT NULL DEFAULT 300 CONSTRAINT ck_identity_policy_lookups CHECK (station_lookup_limit BETWEEN 20 AND 100000),
    station_window_s      integer NOT NULL DEFAULT 900 CONSTRAINT ck_identity_policy_station_window CHECK (station_window_s BETWEEN 60 AND 86400),
    pin_expiry_days       integer NOT NULL DEFAULT 180 CONSTRAINT ck_identity_policy_expiry CHECK (pin_expiry_days BETWEEN 0 AND 3650),
    pin_history           integer NOT NULL DEFAULT 5 CONSTRAINT ck_identity_policy_history CHECK (pin_history BETWEEN 1 AND 24),
    session_idle_s        integer NOT NULL DEFAULT 180 CONSTRAINT ck_identity_policy_idle CHECK (session_idle_s BETWEEN 60 AND 43200),
    challenge_ttl_s       integer NOT NULL DEFAULT 60 CONSTRAINT ck_identity_policy_ttl CHECK (challenge_ttl_s BETWEEN 10 AND 300),
    -- OWASP minimum for argon2id: m = 19 MiB, t = 2, p = 1. A test database lowers them.
    argon2_memory_kib     integer NOT NULL DEFAULT 19456 CONSTRAINT ck_identity_policy_memory CHECK (argon2_memory_kib BETWEEN 8 AND 4194304),
    argon2_time_cost      integer NOT NULL DEFAULT 2 CONSTRAINT ck_identity_policy_time CHECK (argon2_time_cost BETWEEN 1 AND 20),
    argon2_parallelism    integer NOT NULL DEFAULT 1 CONSTRAINT ck_identity_policy_parallelism CHECK (argon2_parallelism BETWEEN 1 AND 8),
    signature_policy_version text NOT NULL DEFAULT 'ESIG-POLICY-1' CONSTRAINT ck_identity_policy_esig CHECK (btrim(signature_policy_version) <> ''),
    version               integer NOT NULL DEFAULT 1
);
INSERT INTO workcell.identity_policy (id) VALUES (1);

-- Registered stations (11.10(h)): the database login each one uses, where it is, and how
-- people may prove themselves there. Username + PIN only on admin terminals.
CREATE TABLE workcell.station (
    id           bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_station PRIMARY KEY,
    name         text NOT NULL CONSTRAINT ck_station_name CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
    login_role   text NOT NULL CONSTRAINT ck_station_login_role CHECK (login_role ~ '^[a-z_][a-z0-9_]{0,62}$'),
    site         text NOT NULL DEFAULT '' CONSTRAINT ck_station_site CHECK (length(site) <= 40),
    zone         text NOT NULL DEFAULT '' CONSTRAINT ck_station_zone CHECK (length(zone) <= 40),
    methods      text[] NOT NULL DEFAULT '{badge+pin}'
                 CONSTRAINT ck_station_methods CHECK (methods <@ ARRAY['badge+pin', 'username+pin'] AND cardinality(methods) > 0),
    -- an admin terminal serving several CLI sessions at once; a kiosk has one person at a time
    concurrent_sessions boolean NOT NULL DEFAULT false,
    enabled      boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    version      integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_station_name UNIQUE (name),
    CONSTRAINT uq_station_login_role UNIQUE (login_role)
);

-- Sign-in and signature attempts, successful and refused (11.300(b), Annex 11 §12).
CREATE TABLE workcell.access_log (
    id          bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_access_log PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    station     text NOT NULL DEFAULT session_user,
    user_id     bigint CONSTRAINT fk_access_log_user_id REFERENCES workcell.users (id),
    method      text NOT NULL,
    purpose     text NOT NULL,
    outcome     text NOT NULL CONSTRAINT ck_access_log_outcome CHECK (outcome IN ('success', 'refused')),
    detail      text NOT NULL DEFAULT '',
    challenge_id bigint,
    -- a refusal whose failure the counters recorded (evidence for the sealer's reconciliation)
    counted     boolean NOT NULL DEFAULT false,
    version     integer NOT NULL DEFAULT 1
);
CREATE INDEX ix_access_log_at ON workcell.access_log (at DESC);
CREATE INDEX ix_access_log_user ON workcell.access_log (user_id, id);
CREATE INDEX ix_access_log_station ON workcell.access_log (station, id);
CREATE UNIQUE INDEX uq_access_log_challenge ON workcell.access_log (challenge_id) WHERE challenge_id IS NOT NULL;

-- Secrets and operational state: schema auth, which no station or auditor can read.
-- PIN verifiers (SCRAM StoredKey and the argon2id salt and cost), one per user_pin row.
CREATE TABLE auth.pin_verifier (
    pin_id       bigint PRIMARY KEY REFERENCES workcell.user_pin (id),
    salt         bytea NOT NULL CHECK (length(salt) BETWEEN 8 AND 64),
    memory_kib   integer NOT NULL,
    time_cost    integer NOT NULL,
    parallelism  integer NOT NULL,
    stored_key   bytea NOT NULL CHECK (length(stored_key) = 32)
);

-- Single-use challenges. The nonce binds the station's answer to this one attempt.
-- UNLOGGED: a challenge lives a minute, and issuing one then commits without a WAL flush.
-- A crash or a failover empties the table, which is when the counters are rebased anyway
-- (only challenges of the current epoch count, see counters.sql).
CREATE UNLOGGED TABLE auth.challenge (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nonce         bytea NOT NULL,
    station       text NOT NULL DEFAULT session_user,
    purpose       text NOT NULL CHECK (purpose IN ('sign_in', 'sign', 'pin_change')),
    method        text NOT NULL CHECK (method IN ('badge+pin', 'username+pin')),
    user_id       bigint,
    badge_id      bigint,
    pin_id        bigint,
    salt          bytea NOT NULL,
    memory_kib    integer NOT NULL,
    time_cost     integer NOT NULL,
    parallelism   integer NOT NULL,
    issued_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at    timestamptz NOT NULL,
    -- the counters as this challenge was issued (rollback-proof sequences, see counters.sql)
    attempt_seen  bigint NOT NULL,
    fail_seen     bigint NOT NULL,
    station_fail_seen bigint NOT NULL,
    station_lookup_seen bigint NOT NULL,
    epoch         text NOT NULL,
    used_at       timestamptz,
    -- the issuing (top-level) transaction: a challenge is answered only once that committed,
    -- savepoints included (a subtransaction's row has its own xmin)
    issued_tx     xid8 NOT NULL
);
CREATE INDEX ix_challenge_user ON auth.challenge (user_id, issued_at);
CREATE INDEX ix_challenge_station ON auth.challenge (station, issued_at);

-- Database sessions opened by sign-in (token stored hashed) and the one-transaction sessions
-- a signature opens for its signer.
CREATE TABLE auth.session (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    user_id     bigint NOT NULL REFERENCES workcell.users (id),
    station     text NOT NULL,
    method      text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_seen   timestamptz NOT NULL DEFAULT clock_timestamp(),
    idle_s      integer NOT NULL,
    tx_only     xid8,
    ended_at    timestamptz,
    end_reason  text
);
CREATE INDEX ix_session_station_open ON auth.session (station) WHERE ended_at IS NULL;
CREATE INDEX ix_session_user_open ON auth.session (user_id) WHERE ended_at IS NULL;

-- Counter bases: an administrator's unlock (or a station's clearance) starts the count again
-- from the counter value at that moment.
CREATE TABLE auth.counter_base (
    subject  text NOT NULL,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    value    bigint NOT NULL,
    PRIMARY KEY (subject, at)
);

-- What the sealer last reconciled: counter movement beyond the committed access-log
-- refusals becomes a security event naming the station.
-- Held by the one reconciliation at a time (stations cannot lock a row they cannot see).
CREATE TABLE auth.reconcile_lock (id integer PRIMARY KEY CHECK (id = 1));
INSERT INTO auth.reconcile_lock VALUES (1);

CREATE TABLE auth.counter_watermark (
    subject  text PRIMARY KEY,
    value    bigint NOT NULL,
    logged   bigint NOT NULL,
    epoch    text NOT NULL
);
