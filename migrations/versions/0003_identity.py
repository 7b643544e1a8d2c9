"""Identity and bound electronic signatures: roles and permissions as data, PINs, badges,
lockout and security events, identity verification, policy acknowledgement, the signable-type
registry, signing rules, append-only signatures whose content hash the database computes,
and the item approval lock. See docs/signatures.md.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Error codes added here (translated in domain/errors.py):
  WC011 signed content is locked (an approved item's substantive fields)
  WC012 signature refused by the signing rules (permission, order, segregation of duties...)
  WC013 lifecycle transition without the signature it requires
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ACCESS = """
CREATE TABLE workcell.role (
    name        text PRIMARY KEY CONSTRAINT ck_role_name CHECK (name ~ '^[a-z][a-z_]{1,30}$'),
    description text NOT NULL,
    version     integer NOT NULL DEFAULT 1
);
CREATE TABLE workcell.permission (
    name        text PRIMARY KEY CONSTRAINT ck_permission_name CHECK (name ~ '^[a-z][a-z_.]{1,62}$'),
    -- 'action': may do something; 'sign': may sign some meaning (see signing_rule)
    kind        text NOT NULL CONSTRAINT ck_permission_kind CHECK (kind IN ('action', 'sign')),
    description text NOT NULL,
    version     integer NOT NULL DEFAULT 1
);
CREATE TABLE workcell.role_permission (
    role        text NOT NULL CONSTRAINT fk_role_permission_role REFERENCES workcell.role (name),
    permission  text NOT NULL CONSTRAINT fk_role_permission_permission REFERENCES workcell.permission (name),
    version     integer NOT NULL DEFAULT 1,
    CONSTRAINT pk_role_permission PRIMARY KEY (role, permission)
);
CREATE TABLE workcell.user_role (
    user_id     bigint NOT NULL CONSTRAINT fk_user_role_user_id REFERENCES workcell.users (id),
    role        text NOT NULL CONSTRAINT fk_user_role_role REFERENCES workcell.role (name),
    granted_at  timestamptz NOT NULL DEFAULT now(),
    granted_by  bigint NOT NULL DEFAULT workcell.current_actor_id()
                CONSTRAINT fk_user_role_granted_by REFERENCES workcell.users (id),
    version     integer NOT NULL DEFAULT 1,
    CONSTRAINT pk_user_role PRIMARY KEY (user_id, role)
);

INSERT INTO workcell.role (name, description) VALUES
    ('operator',   'Executes work orders and signs what they performed'),
    ('supervisor', 'Verifies operators'' work; acknowledges security events'),
    ('qa',         'Reviews and approves records; releases; acknowledges security events'),
    ('engineer',   'Authors master data, BOMs, routings and change orders'),
    ('admin',      'Administers users, badges and roles; signs no production record'),
    ('auditor',    'Reads everything except secrets; writes nothing');

INSERT INTO workcell.permission (name, kind, description) VALUES
    ('user.administer',   'action', 'Add users, set PINs, issue and revoke badges, lock and unlock'),
    ('role.grant',        'action', 'Grant and revoke roles'),
    ('identity.verify',   'action', 'Record that a person''s identity was verified (11.100(b))'),
    ('security.view',     'action', 'See security events (failed sign-ins, lockouts)'),
    ('audit.view',        'action', 'Read the audit trail'),
    ('item.create',       'action', 'Create and edit draft items'),
    ('item.return',       'action', 'Return an approved item to draft, with a reason'),
    ('work.execute',      'action', 'Execute work order steps'),
    ('item.approve',      'sign',   'Sign an item as approved'),
    ('security_event.acknowledge', 'sign', 'Sign a security event as acknowledged');

INSERT INTO workcell.role_permission (role, permission) VALUES
    ('operator', 'work.execute'),
    ('supervisor', 'work.execute'), ('supervisor', 'security.view'),
    ('supervisor', 'audit.view'), ('supervisor', 'security_event.acknowledge'),
    ('qa', 'security.view'), ('qa', 'audit.view'), ('qa', 'item.return'),
    ('qa', 'item.approve'), ('qa', 'security_event.acknowledge'),
    ('engineer', 'item.create'), ('engineer', 'item.return'),
    ('admin', 'user.administer'), ('admin', 'role.grant'), ('admin', 'identity.verify'),
    ('admin', 'security.view'), ('admin', 'audit.view'),
    ('auditor', 'security.view'), ('auditor', 'audit.view');

-- Data-integrity guidance: administrators are not GMP record signers.
CREATE FUNCTION workcell.role_permission_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.role = 'admin' AND EXISTS (SELECT 1 FROM workcell.permission p
                                       WHERE p.name = NEW.permission AND p.kind = 'sign') THEN
        RAISE EXCEPTION 'The admin role cannot hold the signing permission %', NEW.permission
            USING ERRCODE = 'WC012';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER role_permission_guard BEFORE INSERT OR UPDATE ON workcell.role_permission
    FOR EACH ROW EXECUTE FUNCTION workcell.role_permission_guard();
ALTER TABLE workcell.role_permission ENABLE ALWAYS TRIGGER role_permission_guard;
"""

CREDENTIALS = """
-- Per-installation pepper for badge ids: readable by no station or auditor, so a copy of
-- the badge table cannot be brute-forced back to card ids (card UIDs have little entropy).
CREATE TABLE workcell.installation_secret (
    id     integer PRIMARY KEY CONSTRAINT ck_installation_secret_one CHECK (id = 1),
    pepper bytea NOT NULL
);
INSERT INTO workcell.installation_secret (id, pepper)
    SELECT 1, sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                                || clock_timestamp()::text, 'UTF8'));

CREATE FUNCTION workcell.badge_digest(p_uid text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT encode(sha256(s.pepper || convert_to(upper(btrim(p_uid)), 'UTF8')), 'hex')
      FROM workcell.installation_secret s WHERE s.id = 1
$$;

-- PIN history: the current PIN is the latest row; earlier rows serve the no-reuse rule.
CREATE TABLE workcell.user_pin (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_user_pin PRIMARY KEY,
    user_id    bigint NOT NULL CONSTRAINT fk_user_pin_user_id REFERENCES workcell.users (id),
    pin_hash   text NOT NULL CONSTRAINT ck_user_pin_argon2 CHECK (pin_hash LIKE '$argon2id$%'),
    -- set by an administrator: usable only to choose a new PIN (11.200(a)(3))
    temporary  boolean NOT NULL,
    set_at     timestamptz NOT NULL DEFAULT now(),
    set_by     bigint NOT NULL DEFAULT workcell.current_actor_id()
               CONSTRAINT fk_user_pin_set_by REFERENCES workcell.users (id),
    version    integer NOT NULL DEFAULT 1
);
CREATE INDEX ix_user_pin_user ON workcell.user_pin (user_id, id DESC);

CREATE TABLE workcell.badge (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_badge PRIMARY KEY,
    user_id       bigint NOT NULL CONSTRAINT fk_badge_user_id REFERENCES workcell.users (id),
    badge_hash    text NOT NULL,
    issued_at     timestamptz NOT NULL DEFAULT now(),
    issued_by     bigint NOT NULL DEFAULT workcell.current_actor_id()
                  CONSTRAINT fk_badge_issued_by REFERENCES workcell.users (id),
    replaces_id   bigint CONSTRAINT fk_badge_replaces_id REFERENCES workcell.badge (id),
    revoked_at    timestamptz,
    revoked_by    bigint CONSTRAINT fk_badge_revoked_by REFERENCES workcell.users (id),
    revoke_reason text,
    version       integer NOT NULL DEFAULT 1,
    -- across every badge ever issued, revoked ones included: a card id is never reassigned
    CONSTRAINT uq_badge_badge_hash UNIQUE (badge_hash),
    CONSTRAINT ck_badge_revocation CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)
                                         AND (revoked_at IS NULL) = (revoke_reason IS NULL))
);
CREATE INDEX ix_badge_user ON workcell.badge (user_id);

CREATE FUNCTION workcell.badge_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF OLD.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'A revoked badge stays revoked; issue a new badge instead'
            USING ERRCODE = 'WC006';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER badge_guard BEFORE UPDATE ON workcell.badge
    FOR EACH ROW EXECUTE FUNCTION workcell.badge_guard();
ALTER TABLE workcell.badge ENABLE ALWAYS TRIGGER badge_guard;
CREATE TRIGGER badge_immutable BEFORE UPDATE ON workcell.badge
    FOR EACH ROW EXECUTE FUNCTION audit.refuse_immutable_change(
        'user_id', 'badge_hash', 'issued_at', 'issued_by', 'replaces_id');
ALTER TABLE workcell.badge ENABLE ALWAYS TRIGGER badge_immutable;

-- 11.100(b): who verified the person's identity, how and when, before they may sign.
CREATE TABLE workcell.identity_verification (
    id           bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_identity_verification PRIMARY KEY,
    user_id      bigint NOT NULL CONSTRAINT fk_identity_verification_user_id REFERENCES workcell.users (id),
    method       text NOT NULL CONSTRAINT ck_identity_verification_method CHECK (btrim(method) <> ''),
    verified_at  timestamptz NOT NULL DEFAULT now(),
    verified_by  bigint NOT NULL DEFAULT workcell.current_actor_id()
                 CONSTRAINT fk_identity_verification_verified_by REFERENCES workcell.users (id),
    version      integer NOT NULL DEFAULT 1,
    CONSTRAINT ck_identity_verification_not_self CHECK (verified_by <> user_id)
);
CREATE INDEX ix_identity_verification_user ON workcell.identity_verification (user_id);

-- 11.10(j): the person acknowledged the e-signature policy (signed in to do it).
CREATE TABLE workcell.policy_acknowledgement (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_policy_acknowledgement PRIMARY KEY,
    user_id          bigint NOT NULL CONSTRAINT fk_policy_acknowledgement_user_id REFERENCES workcell.users (id),
    policy_version   text NOT NULL CONSTRAINT ck_policy_acknowledgement_policy CHECK (btrim(policy_version) <> ''),
    acknowledged_at  timestamptz NOT NULL DEFAULT now(),
    station          text NOT NULL DEFAULT session_user,
    version          integer NOT NULL DEFAULT 1
);
CREATE INDEX ix_policy_acknowledgement_user ON workcell.policy_acknowledgement (user_id);
"""

SECURITY = """
CREATE TABLE workcell.security_event (
    id        bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_security_event PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind      text NOT NULL CONSTRAINT ck_security_event_kind CHECK (kind IN (
                  'auth_failed', 'account_locked', 'locked_account_attempt',
                  'disabled_account_attempt', 'revoked_badge_attempt', 'unknown_badge',
                  'unknown_username', 'account_unlocked', 'account_locked_by_admin',
                  'badge_revoked', 'pin_reset')),
    user_id   bigint CONSTRAINT fk_security_event_user_id REFERENCES workcell.users (id),
    station   text NOT NULL DEFAULT session_user,
    method    text,
    detail    text NOT NULL DEFAULT '',
    version   integer NOT NULL DEFAULT 1
);
CREATE INDEX ix_security_event_at ON workcell.security_event (at DESC);
CREATE INDEX ix_security_event_user ON workcell.security_event (user_id, id);

-- Failed-attempt counters: operational state, written only by the functions below.
CREATE TABLE workcell.auth_state (
    user_id          bigint PRIMARY KEY CONSTRAINT fk_auth_state_user_id REFERENCES workcell.users (id),
    failed_attempts  integer NOT NULL DEFAULT 0,
    last_failure_at  timestamptz,
    last_success_at  timestamptz
);

CREATE FUNCTION workcell.record_security_event(
    p_kind text, p_user_id bigint, p_method text, p_detail text
) RETURNS bigint
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO workcell.security_event (kind, user_id, method, detail)
    VALUES (p_kind, p_user_id, p_method, coalesce(p_detail, '')) RETURNING id
$$;

-- One failed PIN check. Locks the user (all badges) at p_max failures. Returns the
-- attempts left (0 = now locked). Runs in its own short transaction, committed even
-- though the sign-in or signature it belongs to fails.
CREATE FUNCTION workcell.record_auth_failure(
    p_user_id bigint, p_method text, p_max integer, p_detail text
) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_failed integer;
BEGIN
    INSERT INTO workcell.auth_state AS s (user_id, failed_attempts, last_failure_at)
    VALUES (p_user_id, 1, clock_timestamp())
    ON CONFLICT (user_id) DO UPDATE
       SET failed_attempts = s.failed_attempts + 1, last_failure_at = clock_timestamp()
    RETURNING failed_attempts INTO v_failed;
    PERFORM workcell.record_security_event('auth_failed', p_user_id, p_method,
        format('wrong PIN (%s of %s) during %s', v_failed, p_max, p_detail));
    IF v_failed >= p_max THEN
        PERFORM set_config('workcell.reason',
            format('automatic lockout: %s failed PIN attempts (%s)', v_failed, p_detail), true);
        UPDATE workcell.users SET status = 'locked', version = version + 1
         WHERE id = p_user_id AND status = 'active';
        PERFORM workcell.record_security_event('account_locked', p_user_id, p_method,
            format('locked after %s failed PIN attempts during %s', v_failed, p_detail));
        RETURN 0;
    END IF;
    RETURN p_max - v_failed;
END $$;

CREATE FUNCTION workcell.reset_auth_failures(p_user_id bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO workcell.auth_state AS s (user_id, failed_attempts, last_success_at)
    VALUES (p_user_id, 0, clock_timestamp())
    ON CONFLICT (user_id) DO UPDATE SET failed_attempts = 0, last_success_at = clock_timestamp()
$$;
"""

REGISTRY = r"""
-- Which record types can be signed, and how their signed content is computed. A content
-- function takes the record's bigint id and returns jsonb of its substantive content only
-- (never status, version or other lifecycle fields); it must include what identifies the
-- record (e.g. the item number), so equal content on two records still differs.
CREATE TABLE workcell.signable_type (
    record_type      text PRIMARY KEY CONSTRAINT ck_signable_type_name CHECK (record_type ~ '^[a-z][a-z_]{1,40}$'),
    table_name       regclass NOT NULL,
    content_function regprocedure NOT NULL,
    -- column holding the author's user id (for "author may not approve"); NULL: none
    author_column    text,
    -- optional (bigint) -> jsonb {"title": text, "lines": [text]} for the signing dialog
    summary_function regprocedure,
    -- production/GMP records: users holding the admin role may not sign them
    production       boolean NOT NULL DEFAULT true,
    version          integer NOT NULL DEFAULT 1
);

CREATE TABLE workcell.signing_rule (
    record_type   text NOT NULL CONSTRAINT fk_signing_rule_record_type REFERENCES workcell.signable_type (record_type),
    meaning       text NOT NULL CONSTRAINT ck_signing_rule_meaning CHECK (meaning ~ '^[a-z][a-z_]{1,30}$'),
    permission    text NOT NULL CONSTRAINT fk_signing_rule_permission REFERENCES workcell.permission (name),
    -- meanings that must already be signed on the current content (order: reviewed before approved)
    requires      text[] NOT NULL DEFAULT '{}',
    -- meanings whose signer may not sign this one; 'author' = the record's author column
    distinct_from text[] NOT NULL DEFAULT '{}',
    version       integer NOT NULL DEFAULT 1,
    CONSTRAINT pk_signing_rule PRIMARY KEY (record_type, meaning)
);

CREATE FUNCTION workcell.signable_type_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.oid = NEW.content_function
                   AND p.prorettype = 'jsonb'::regtype AND p.pronargs = 1 AND p.proargtypes[0] = 'bigint'::regtype) THEN
        RAISE EXCEPTION 'content function % must take (bigint) and return jsonb', NEW.content_function
            USING ERRCODE = '22023';
    END IF;
    IF NEW.summary_function IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.oid = NEW.summary_function
                   AND p.prorettype = 'jsonb'::regtype AND p.pronargs = 1 AND p.proargtypes[0] = 'bigint'::regtype) THEN
        RAISE EXCEPTION 'summary function % must take (bigint) and return jsonb', NEW.summary_function
            USING ERRCODE = '22023';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER signable_type_guard BEFORE INSERT OR UPDATE ON workcell.signable_type
    FOR EACH ROW EXECUTE FUNCTION workcell.signable_type_guard();

CREATE FUNCTION workcell.qualified_function(p regprocedure) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT quote_ident(n.nspname) || '.' || quote_ident(f.proname)
      FROM pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace WHERE f.oid = p
$$;

-- The signed content of a record (jsonb), or NULL if there is no such record.
CREATE FUNCTION workcell.record_content(p_record_type text, p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    v_fn regprocedure;
    v_content jsonb;
BEGIN
    SELECT content_function INTO v_fn FROM workcell.signable_type WHERE record_type = p_record_type;
    IF v_fn IS NULL THEN
        RAISE EXCEPTION 'Records of type "%" cannot be signed', p_record_type USING ERRCODE = 'WC012';
    END IF;
    EXECUTE format('SELECT %s($1)', workcell.qualified_function(v_fn)) INTO v_content USING p_id;
    RETURN v_content;
END $$;

-- SHA-256 of the canonical content text; UTC pinned so timestamps render the same in
-- every session (content functions should still render times explicitly).
CREATE FUNCTION workcell.record_content_hash(p_record_type text, p_id bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
    SELECT encode(sha256(convert_to(workcell.record_content(p_record_type, p_id)::text, 'UTF8')), 'hex')
$$;

CREATE FUNCTION workcell.record_summary(p_record_type text, p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    t workcell.signable_type;
    v_summary jsonb;
    v_version integer;
BEGIN
    SELECT * INTO t FROM workcell.signable_type WHERE record_type = p_record_type;
    IF t.record_type IS NULL THEN
        RAISE EXCEPTION 'Records of type "%" cannot be signed', p_record_type USING ERRCODE = 'WC012';
    END IF;
    EXECUTE format('SELECT version FROM %s WHERE id = $1', t.table_name) INTO v_version USING p_id;
    IF v_version IS NULL THEN
        RETURN NULL;
    END IF;
    IF t.summary_function IS NOT NULL THEN
        EXECUTE format('SELECT %s($1)', workcell.qualified_function(t.summary_function))
           INTO v_summary USING p_id;
    END IF;
    RETURN coalesce(v_summary, jsonb_build_object('title', format('%s %s', p_record_type, p_id),
                    'lines', '[]'::jsonb))
           || jsonb_build_object('version', v_version);
END $$;
"""

SIGNATURES = r"""
CREATE TABLE workcell.signature (
    id             bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_signature PRIMARY KEY,
    record_type    text NOT NULL CONSTRAINT fk_signature_record_type REFERENCES workcell.signable_type (record_type),
    record_table   text NOT NULL,
    record_id      bigint NOT NULL,
    record_version integer NOT NULL,
    content_hash   text NOT NULL,
    meaning        text NOT NULL,
    signer_id      bigint NOT NULL CONSTRAINT fk_signature_signer_id REFERENCES workcell.users (id),
    printed_name   text NOT NULL,
    signed_at      timestamptz NOT NULL,
    method         text NOT NULL CONSTRAINT ck_signature_method CHECK (method IN ('badge+pin', 'username+pin')),
    station        text NOT NULL,
    comment        text,
    -- SHA-256 over the signature's own fields: an edited signature row no longer matches
    binding_hash   text NOT NULL,
    version        integer NOT NULL DEFAULT 1
);
CREATE INDEX ix_signature_record ON workcell.signature (record_type, record_id, id);
CREATE INDEX ix_signature_signer ON workcell.signature (signer_id, id);

CREATE FUNCTION workcell.signature_binding(s workcell.signature) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT encode(sha256(convert_to(jsonb_build_array(
        s.id, s.record_type, s.record_table, s.record_id, s.record_version, s.content_hash,
        s.meaning, s.signer_id, s.printed_name,
        to_char(s.signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        s.method, s.station, s.comment)::text, 'UTF8')), 'hex')
$$;

CREATE FUNCTION workcell.signature_refused(p_message text, p_hint text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '%', p_message USING ERRCODE = 'WC012', HINT = coalesce(p_hint, '');
END $$;
"""

APPLY = r"""
-- The only way to write a signature. The signer is the transaction's actor (set by the
-- application after it re-authenticated the person with badge/username + PIN); the
-- content hash is computed here, never supplied. Enforces the signing rules.
CREATE FUNCTION workcell.apply_signature(
    p_record_type text, p_record_id bigint, p_meaning text, p_method text,
    p_comment text, p_expected_version integer
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    t workcell.signable_type;
    r workcell.signing_rule;
    u workcell.users;
    s workcell.signature;
    v_version integer;
    v_author bigint;
    v_missing text;
    v_other text;
BEGIN
    SELECT * INTO u FROM workcell.users WHERE id = workcell.current_actor_id();
    IF u.kind <> 'person' THEN
        PERFORM workcell.signature_refused('Only a person can sign; system actors cannot.');
    END IF;
    SELECT * INTO t FROM workcell.signable_type WHERE record_type = p_record_type;
    IF t.record_type IS NULL THEN
        PERFORM workcell.signature_refused(format('Records of type "%s" cannot be signed.', p_record_type));
    END IF;
    SELECT * INTO r FROM workcell.signing_rule WHERE record_type = p_record_type AND meaning = p_meaning;
    IF r.meaning IS NULL THEN
        PERFORM workcell.signature_refused(format('A %s cannot be signed as "%s". Meanings allowed: %s.',
            p_record_type, p_meaning, coalesce((SELECT string_agg(meaning, ', ' ORDER BY meaning)
              FROM workcell.signing_rule WHERE record_type = p_record_type), 'none')));
    END IF;
    PERFORM workcell.check_signer(u, t, r);
    EXECUTE format('SELECT version, %s FROM %s WHERE id = $1 FOR UPDATE',
                   coalesce(quote_ident(t.author_column), 'NULL::bigint'), t.table_name)
       INTO v_version, v_author USING p_record_id;
    IF v_version IS NULL THEN
        PERFORM workcell.signature_refused(format('There is no %s with id %s.', p_record_type, p_record_id));
    END IF;
    IF p_expected_version IS NOT NULL AND p_expected_version <> v_version THEN
        RAISE EXCEPTION 'This % changed (now version %, you saw version %). Reload it and sign again.',
            p_record_type, v_version, p_expected_version USING ERRCODE = 'WC004';
    END IF;
    s.content_hash := workcell.record_content_hash(p_record_type, p_record_id);
    PERFORM workcell.check_sequence(u, r, p_record_id, v_version, v_author, s.content_hash);

    s.id := nextval(pg_get_serial_sequence('workcell.signature', 'id'));
    s.record_type := p_record_type; s.record_table := t.table_name::text;
    s.record_id := p_record_id; s.record_version := v_version; s.meaning := p_meaning;
    s.signer_id := u.id; s.printed_name := u.printed_name; s.signed_at := clock_timestamp();
    s.method := p_method; s.station := session_user;
    s.comment := nullif(btrim(coalesce(p_comment, '')), '');
    s.version := 1;
    s.binding_hash := workcell.signature_binding(s);
    INSERT INTO workcell.signature OVERRIDING SYSTEM VALUE VALUES (s.*);
    RETURN s.id;
END $$;

-- Who may sign at all: identity verified, policy acknowledged, no admin on production
-- records, and a role granting the rule's permission.
CREATE FUNCTION workcell.check_signer(u workcell.users, t workcell.signable_type, r workcell.signing_rule)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM workcell.identity_verification WHERE user_id = u.id) THEN
        PERFORM workcell.signature_refused(format(
            '%s cannot sign yet: nobody has recorded verifying their identity.', u.printed_name),
            'An administrator records it with: workcell user verify-identity');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM workcell.policy_acknowledgement WHERE user_id = u.id) THEN
        PERFORM workcell.signature_refused(format(
            '%s cannot sign yet: the electronic-signature policy has not been acknowledged.',
            u.printed_name), 'The person acknowledges it with: workcell user acknowledge-policy');
    END IF;
    IF t.production AND EXISTS (SELECT 1 FROM workcell.user_role WHERE user_id = u.id AND role = 'admin') THEN
        PERFORM workcell.signature_refused(format(
            '%s holds the admin role: administrators do not sign production records. '
            'Ask someone with the %s permission.', u.printed_name, r.permission));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM workcell.user_role ur
                     JOIN workcell.role_permission rp ON rp.role = ur.role
                    WHERE ur.user_id = u.id AND rp.permission = r.permission) THEN
        PERFORM workcell.signature_refused(format(
            '%s may not sign a %s as "%s": that needs the %s permission (role: %s).',
            u.printed_name, r.record_type, r.meaning, r.permission,
            coalesce((SELECT string_agg(role, ' or ' ORDER BY role) FROM workcell.role_permission
                       WHERE permission = r.permission), 'none')));
    END IF;
END $$;

-- Order and segregation of duties, judged against the signatures on the current content.
CREATE FUNCTION workcell.check_sequence(
    u workcell.users, r workcell.signing_rule, p_record_id bigint, p_version integer,
    p_author bigint, p_hash text
) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_meaning text;
BEGIN
    IF EXISTS (SELECT 1 FROM workcell.signature s WHERE s.record_type = r.record_type
               AND s.record_id = p_record_id AND s.record_version = p_version
               AND s.meaning = r.meaning AND s.signer_id = u.id) THEN
        PERFORM workcell.signature_refused(format('%s already signed this %s (version %s) as "%s".',
            u.printed_name, r.record_type, p_version, r.meaning));
    END IF;
    FOREACH v_meaning IN ARRAY r.requires LOOP
        IF NOT EXISTS (SELECT 1 FROM workcell.signature s WHERE s.record_type = r.record_type
                       AND s.record_id = p_record_id AND s.content_hash = p_hash
                       AND s.meaning = v_meaning) THEN
            PERFORM workcell.signature_refused(format(
                'This %s must be signed as "%s" before it can be signed as "%s".',
                r.record_type, v_meaning, r.meaning));
        END IF;
    END LOOP;
    FOREACH v_meaning IN ARRAY r.distinct_from LOOP
        IF v_meaning = 'author' AND p_author = u.id THEN
            PERFORM workcell.signature_refused(format(
                '%s is the author of this %s and cannot also sign it as "%s". Ask another person.',
                u.printed_name, r.record_type, r.meaning));
        ELSIF EXISTS (SELECT 1 FROM workcell.signature s WHERE s.record_type = r.record_type
                      AND s.record_id = p_record_id AND s.content_hash = p_hash
                      AND s.meaning = v_meaning AND s.signer_id = u.id) THEN
            PERFORM workcell.signature_refused(format(
                '%s already signed this %s as "%s" and cannot also sign it as "%s". Ask another person.',
                u.printed_name, r.record_type, v_meaning, r.meaning));
        END IF;
    END LOOP;
END $$;

-- Recompute the binding: (valid, reason). A signature whose record's content changed, or
-- that was copied onto another record, or whose own row was edited, is invalid.
CREATE FUNCTION workcell.verify_signature(p_id bigint, OUT valid boolean, OUT reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    s workcell.signature;
    t workcell.signable_type;
    v_hash text;
    v_version integer;
BEGIN
    SELECT * INTO s FROM workcell.signature WHERE id = p_id;
    IF s.id IS NULL THEN
        valid := false; reason := 'no such signature'; RETURN;
    END IF;
    SELECT * INTO t FROM workcell.signable_type WHERE record_type = s.record_type;
    IF workcell.signature_binding(s) <> s.binding_hash THEN
        valid := false; reason := 'the signature row was altered after signing'; RETURN;
    END IF;
    IF t.table_name::text <> s.record_table THEN
        valid := false; reason := format('signed on %s, not on %s', s.record_table, t.table_name); RETURN;
    END IF;
    EXECUTE format('SELECT version FROM %s WHERE id = $1', t.table_name) INTO v_version USING s.record_id;
    IF v_version IS NULL THEN
        valid := false; reason := format('the signed %s %s no longer exists', s.record_type, s.record_id); RETURN;
    END IF;
    v_hash := workcell.record_content_hash(s.record_type, s.record_id);
    IF v_hash = s.content_hash THEN
        valid := true; reason := NULL;
    ELSIF v_version > s.record_version THEN
        valid := false;
        reason := format('the %s changed after signing (signed at version %s, now version %s)',
                         s.record_type, s.record_version, v_version);
    ELSE
        valid := false;
        reason := format('the signature does not match this %s''s content (copied from another record or tampered)',
                         s.record_type);
    END IF;
END $$;

-- What screens and exports show: the manifestation (11.50) with the binding's validity.
CREATE VIEW workcell.signature_manifest AS
SELECT s.id, s.record_type, s.record_id, s.record_version, s.meaning, s.printed_name,
       u.username, s.signed_at,
       to_char(s.signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"') AS signed_at_utc,
       s.method, s.station, s.comment, s.content_hash, v.valid, v.reason
  FROM workcell.signature s
  JOIN workcell.users u ON u.id = s.signer_id
  CROSS JOIN LATERAL workcell.verify_signature(s.id) v;
"""

ITEM_SIGNING = r"""
CREATE FUNCTION workcell.item_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object('type', 'item', 'item_number', i.item_number,
        'description', i.description, 'item_type', i.item_type, 'unit', i.unit,
        'tracking', i.tracking, 'shelf_life_days', i.shelf_life_days, 'gtin', i.gtin)
      FROM workcell.item i WHERE i.id = p_id
$$;

CREATE FUNCTION workcell.item_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object('title', format('Item %s — %s', i.item_number, i.description),
        'lines', jsonb_build_array(
            format('Type: %s', i.item_type), format('Unit: %s', i.unit),
            format('Tracking: %s', i.tracking),
            format('Shelf life: %s', coalesce(i.shelf_life_days || ' days', 'none')),
            format('GTIN: %s', coalesce(i.gtin, 'none')), format('Status: %s', i.status)))
      FROM workcell.item i WHERE i.id = p_id
$$;

CREATE FUNCTION workcell.security_event_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object('type', 'security_event', 'id', e.id,
        'at', to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'kind', e.kind, 'user', u.username, 'station', e.station, 'method', e.method,
        'detail', e.detail)
      FROM workcell.security_event e LEFT JOIN workcell.users u ON u.id = e.user_id
     WHERE e.id = p_id
$$;

CREATE FUNCTION workcell.security_event_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object('title', format('Security event %s: %s', e.id, e.kind),
        'lines', jsonb_build_array(
            format('When: %s', to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')),
            format('Who: %s', coalesce(u.printed_name, 'unknown')),
            format('Station: %s', e.station), format('Method: %s', coalesce(e.method, '-')),
            format('Detail: %s', e.detail)))
      FROM workcell.security_event e LEFT JOIN workcell.users u ON u.id = e.user_id
     WHERE e.id = p_id
$$;

INSERT INTO workcell.signable_type (record_type, table_name, content_function, author_column, summary_function, production)
VALUES ('item', 'workcell.item', 'workcell.item_content(bigint)', 'created_by', 'workcell.item_summary(bigint)', true),
       ('security_event', 'workcell.security_event', 'workcell.security_event_content(bigint)', 'user_id',
        'workcell.security_event_summary(bigint)', false);
INSERT INTO workcell.signing_rule (record_type, meaning, permission, requires, distinct_from) VALUES
    ('item', 'approved', 'item.approve', '{}', '{author}'),
    ('security_event', 'acknowledged', 'security_event.acknowledge', '{}', '{author}');

-- An approved item's substantive fields are locked; approval itself needs a valid
-- "approved" signature made on the version being approved.
CREATE FUNCTION workcell.item_approval_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (NEW.description, NEW.item_type, NEW.unit, NEW.tracking, NEW.shelf_life_days, NEW.gtin)
       IS DISTINCT FROM
       (OLD.description, OLD.item_type, OLD.unit, OLD.tracking, OLD.shelf_life_days, OLD.gtin) THEN
        IF OLD.status <> 'draft' OR NEW.status <> 'draft' THEN
            RAISE EXCEPTION 'Item % is %: its content is locked', OLD.item_number, OLD.status
                USING ERRCODE = 'WC011',
                      HINT = 'Return it to draft with a reason, change it, then have QA approve it again.';
        END IF;
    END IF;
    IF NEW.status = 'approved' AND OLD.status <> 'approved' AND NOT EXISTS (
        SELECT 1 FROM workcell.signature s
         WHERE s.record_type = 'item' AND s.record_id = OLD.id AND s.meaning = 'approved'
           AND s.record_version = OLD.version
           AND s.content_hash = workcell.record_content_hash('item', OLD.id)) THEN
        RAISE EXCEPTION 'Item % can only be approved with a QA "approved" signature on version %',
            OLD.item_number, OLD.version USING ERRCODE = 'WC013';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER item_approval_guard BEFORE UPDATE ON workcell.item
    FOR EACH ROW EXECUTE FUNCTION workcell.item_approval_guard();
ALTER TABLE workcell.item ENABLE ALWAYS TRIGGER item_approval_guard;
"""

ATTACH = """
SELECT audit.attach('workcell.role', ARRAY['name']);
SELECT audit.attach('workcell.permission', ARRAY['name']);
SELECT audit.attach('workcell.role_permission', ARRAY['role', 'permission'], ARRAY[]::text[], true);
SELECT audit.attach('workcell.user_role', ARRAY['user_id', 'role'], ARRAY[]::text[], true);
SELECT audit.attach('workcell.user_pin', ARRAY['id'], ARRAY['pin_hash']);
SELECT audit.make_append_only('workcell.user_pin');
SELECT audit.attach('workcell.badge', ARRAY['id'], ARRAY['badge_hash']);
SELECT audit.attach('workcell.identity_verification');
SELECT audit.make_append_only('workcell.identity_verification');
SELECT audit.attach('workcell.policy_acknowledgement');
SELECT audit.make_append_only('workcell.policy_acknowledgement');
SELECT audit.attach('workcell.security_event');
SELECT audit.make_append_only('workcell.security_event');
SELECT audit.attach('workcell.signable_type', ARRAY['record_type']);
SELECT audit.attach('workcell.signing_rule', ARRAY['record_type', 'meaning']);
SELECT audit.attach('workcell.signature');
SELECT audit.make_append_only('workcell.signature');
"""

GRANTS = """
REVOKE ALL ON workcell.installation_secret FROM PUBLIC;
GRANT SELECT ON workcell.role, workcell.permission, workcell.role_permission,
    workcell.signable_type, workcell.signing_rule, workcell.signature, workcell.security_event,
    workcell.auth_state, workcell.signature_manifest
    TO workcell_app, workcell_auditor;
GRANT SELECT, INSERT, DELETE ON workcell.user_role TO workcell_app;
GRANT SELECT ON workcell.user_role TO workcell_auditor;
-- Column-level INSERT: who and when come from the database (defaults), never the station.
GRANT SELECT ON workcell.user_pin, workcell.identity_verification,
    workcell.policy_acknowledgement, workcell.badge TO workcell_app;
GRANT INSERT (user_id, pin_hash, temporary) ON workcell.user_pin TO workcell_app;
GRANT INSERT (user_id, method) ON workcell.identity_verification TO workcell_app;
GRANT INSERT (user_id, policy_version) ON workcell.policy_acknowledgement TO workcell_app;
-- (the revocation columns are NULL on insert; the ORM names them, and the version)
GRANT INSERT (user_id, badge_hash, replaces_id, revoked_at, revoked_by, revoke_reason, version)
    ON workcell.badge TO workcell_app;
GRANT UPDATE (revoked_at, revoked_by, revoke_reason, version) ON workcell.badge TO workcell_app;
-- The auditor reads everything but secrets: no PIN hash, no badge hash.
GRANT SELECT (id, user_id, temporary, set_at, set_by, version) ON workcell.user_pin TO workcell_auditor;
GRANT SELECT (id, user_id, issued_at, issued_by, replaces_id, revoked_at, revoked_by,
              revoke_reason, version) ON workcell.badge TO workcell_auditor;
GRANT SELECT ON workcell.identity_verification, workcell.policy_acknowledgement TO workcell_auditor;

REVOKE ALL ON FUNCTION workcell.badge_digest(text), workcell.record_security_event(text, bigint, text, text),
    workcell.record_auth_failure(bigint, text, integer, text), workcell.reset_auth_failures(bigint),
    workcell.apply_signature(text, bigint, text, text, text, integer),
    workcell.record_content(text, bigint), workcell.record_content_hash(text, bigint),
    workcell.record_summary(text, bigint), workcell.verify_signature(bigint),
    workcell.item_approval_guard()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION workcell.badge_digest(text), workcell.record_security_event(text, bigint, text, text),
    workcell.record_auth_failure(bigint, text, integer, text), workcell.reset_auth_failures(bigint),
    workcell.apply_signature(text, bigint, text, text, text, integer)
    TO workcell_app;
GRANT EXECUTE ON FUNCTION workcell.record_content(text, bigint), workcell.record_content_hash(text, bigint),
    workcell.record_summary(text, bigint), workcell.verify_signature(bigint)
    TO workcell_app, workcell_auditor;
"""


def upgrade() -> None:
    for block in (ACCESS, CREDENTIALS, SECURITY, REGISTRY, SIGNATURES, APPLY, ITEM_SIGNING):
        op.execute(block)
    op.execute(ATTACH)
    op.execute(GRANTS)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
