-- Administration through functions. Stations have no INSERT/UPDATE/DELETE on any identity
-- table; each function checks the session holder's permission and the segregation rules.
CREATE FUNCTION auth.require_permission(p_permission text) RETURNS workcell.users
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    u workcell.users;
BEGIN
    SELECT * INTO u FROM workcell.users WHERE id = workcell.current_actor_id();
    IF u.kind = 'system' THEN
        RETURN u;  -- owner-side system work (bootstrap, demo seed)
    END IF;
    IF NOT EXISTS (SELECT 1 FROM workcell.user_role ur
                     JOIN workcell.role_permission rp ON rp.role = ur.role
                    WHERE ur.user_id = u.id AND rp.permission = p_permission) THEN
        RAISE EXCEPTION '% may not do this: it needs the % permission (%)', u.username, p_permission,
            coalesce((SELECT string_agg(role, ' or ' ORDER BY role) FROM workcell.role_permission
                       WHERE permission = p_permission), 'no role')
            USING ERRCODE = 'WC039', HINT = 'Ask someone who has it, or an administrator to grant the role.';
    END IF;
    RETURN u;
END $$;

CREATE FUNCTION auth.person(p_username text) RETURNS workcell.users
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    u workcell.users;
BEGIN
    SELECT * INTO u FROM workcell.users WHERE username = lower(btrim(coalesce(p_username, '')));
    IF u.id IS NULL THEN
        RAISE EXCEPTION 'No user named %', p_username USING ERRCODE = 'WC040';
    END IF;
    IF u.kind <> 'person' THEN
        RAISE EXCEPTION 'System actors have no credentials or roles' USING ERRCODE = '22023';
    END IF;
    RETURN u;
END $$;

CREATE FUNCTION auth.not_self(p_actor workcell.users, p_target workcell.users, p_message text) RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_actor.id = p_target.id THEN
        RAISE EXCEPTION '%', p_message USING ERRCODE = 'WC012';
    END IF;
END $$;

CREATE FUNCTION auth.require_reason(p_reason text) RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_reason IS NULL OR btrim(p_reason) = '' THEN
        RAISE EXCEPTION 'Give a reason for the change' USING ERRCODE = 'WC003';
    END IF;
    IF length(p_reason) > 500 THEN
        RAISE EXCEPTION 'A reason has at most 500 characters' USING ERRCODE = '22001';
    END IF;
    PERFORM set_config('workcell.reason', btrim(p_reason), true);
    RETURN btrim(p_reason);
END $$;

-- The last active administrator stays.
CREATE FUNCTION auth.keep_last_admin(p_user_id bigint) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- concurrent removals of administrators queue here (a station cannot take these row
    -- locks: it has no UPDATE on user_role), and the check below then sees the other's commit
    PERFORM 1 FROM workcell.user_role WHERE role = 'admin' FOR UPDATE;
    IF EXISTS (SELECT 1 FROM workcell.user_role WHERE user_id = p_user_id AND role = 'admin')
       AND NOT EXISTS (SELECT 1 FROM workcell.user_role ur JOIN workcell.users u ON u.id = ur.user_id
                        WHERE ur.role = 'admin' AND u.status = 'active' AND u.id <> p_user_id) THEN
        RAISE EXCEPTION 'This is the last active administrator; make someone else administrator first'
            USING ERRCODE = 'WC012';
    END IF;
END $$;

CREATE FUNCTION auth.store_verifier(p_user_id bigint, p_temporary boolean, p_salt text,
    p_memory_kib integer, p_time_cost integer, p_parallelism integer, p_stored_key text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p workcell.identity_policy;
    v_pin bigint;
BEGIN
    SELECT * INTO p FROM workcell.identity_policy WHERE id = 1;
    IF p_salt IS NULL OR p_salt !~ '^([0-9a-f]{2}){16,64}$' OR p_stored_key IS NULL
       OR p_stored_key !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'A PIN verifier is a salt of 16-64 bytes and a 32-byte stored key (hex)'
            USING ERRCODE = '22023';
    END IF;
    IF (p_memory_kib, p_time_cost, p_parallelism)
       IS DISTINCT FROM (p.argon2_memory_kib, p.argon2_time_cost, p.argon2_parallelism) THEN
        RAISE EXCEPTION 'A new PIN must be derived with the policy''s argon2id cost (m=% KiB, t=%, p=%)',
            p.argon2_memory_kib, p.argon2_time_cost, p.argon2_parallelism USING ERRCODE = '22023';
    END IF;
    INSERT INTO workcell.user_pin (user_id, temporary) VALUES (p_user_id, p_temporary)
    RETURNING id INTO v_pin;
    INSERT INTO auth.pin_verifier VALUES (v_pin, decode(p_salt, 'hex'), p_memory_kib, p_time_cost,
                                          p_parallelism, decode(p_stored_key, 'hex'));
    RETURN v_pin;
END $$;

-- The rest of this transaction is the person's who just proved themselves (a signature, a
-- PIN change, a policy acknowledgement): a session valid in this transaction only, named
-- for it, and the access-log line of the success.
CREATE FUNCTION auth.act_as_prover(c auth.challenge, p_purpose text, p_detail text) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_token text := auth.new_token();
BEGIN
    INSERT INTO auth.session (token_hash, user_id, station, method, idle_s, tx_only)
    VALUES (sha256(convert_to(v_token, 'UTF8')), c.user_id, session_user, c.method, 3600,
            pg_current_xact_id());
    PERFORM set_config('workcell.session', v_token, true);
    INSERT INTO workcell.access_log (user_id, method, purpose, outcome, detail, challenge_id)
    VALUES (c.user_id, c.method, p_purpose, 'success', left(coalesce(p_detail, ''), 200), c.id);
END $$;

-- The signed-in administrator proves themselves again, now (unlock, policy change).
CREATE FUNCTION auth.fresh_credentials(a workcell.users, p_challenge_id bigint, p_proof text,
                                       p_detail text) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c auth.challenge := auth.verify_challenge(p_challenge_id, p_proof, 'sign');
BEGIN
    IF c.user_id <> a.id THEN
        RAISE EXCEPTION 'The credentials given are not those of the signed-in administrator'
            USING ERRCODE = 'WC012';
    END IF;
    PERFORM auth.require_usable_pin(c);
    INSERT INTO workcell.access_log (user_id, method, purpose, outcome, detail, challenge_id)
    VALUES (a.id, c.method, 'sign', 'success', left(p_detail, 200), c.id);
END $$;

CREATE FUNCTION workcell.bootstrap_admin(p_username text, p_printed_name text, p_salt text,
    p_memory_kib integer, p_time_cost integer, p_parallelism integer, p_stored_key text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = 'bootstrap'
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM workcell.users WHERE kind = 'person') THEN
        RAISE EXCEPTION 'The first administrator exists already; act as an administrator'
            USING ERRCODE = 'WC002';
    END IF;
    INSERT INTO workcell.users (username, printed_name) VALUES (lower(btrim(p_username)), btrim(p_printed_name))
    RETURNING id INTO v_id;
    INSERT INTO workcell.user_role (user_id, role) VALUES (v_id, 'admin');
    PERFORM auth.store_verifier(v_id, false, p_salt, p_memory_kib, p_time_cost, p_parallelism, p_stored_key);
    RETURN v_id;
END $$;

CREATE FUNCTION workcell.add_user(p_username text, p_printed_name text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_id bigint;
    v_name text := lower(btrim(coalesce(p_username, '')));
BEGIN
    PERFORM auth.require_permission('user.administer');
    IF length(coalesce(p_printed_name, '')) > 200 THEN
        RAISE EXCEPTION 'A printed name has at most 200 characters' USING ERRCODE = '22001';
    END IF;
    INSERT INTO workcell.users (username, printed_name) VALUES (v_name, btrim(coalesce(p_printed_name, '')))
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

CREATE FUNCTION workcell.disable_user(p_username text, p_reason text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('user.administer');
    u workcell.users := auth.person(p_username);
BEGIN
    PERFORM auth.not_self(a, u, 'Nobody disables their own account; ask another administrator.');
    PERFORM auth.keep_last_admin(u.id);
    PERFORM auth.require_reason(p_reason);
    UPDATE workcell.users SET status = 'disabled', version = version + 1 WHERE id = u.id;
    UPDATE auth.session SET ended_at = clock_timestamp(), end_reason = 'account disabled'
     WHERE user_id = u.id AND ended_at IS NULL;
END $$;

CREATE FUNCTION workcell.grant_role(p_username text, p_role text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('role.grant');
    u workcell.users := auth.person(p_username);
BEGIN
    PERFORM auth.not_self(a, u, 'Nobody grants a role to themselves; ask another administrator.');
    IF NOT EXISTS (SELECT 1 FROM workcell.role WHERE name = p_role) THEN
        RAISE EXCEPTION 'Unknown role %', p_role USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM workcell.user_role WHERE user_id = u.id AND role = p_role) THEN
        RAISE EXCEPTION '% already has the % role', u.username, p_role USING ERRCODE = '22023';
    END IF;
    INSERT INTO workcell.user_role (user_id, role) VALUES (u.id, p_role);
END $$;

CREATE FUNCTION workcell.revoke_role(p_username text, p_role text, p_reason text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('role.grant');
    u workcell.users := auth.person(p_username);
BEGIN
    PERFORM auth.not_self(a, u, 'Nobody revokes their own roles; ask another administrator.');
    IF NOT EXISTS (SELECT 1 FROM workcell.user_role WHERE user_id = u.id AND role = p_role) THEN
        RAISE EXCEPTION '% does not have the % role', u.username, p_role USING ERRCODE = '22023';
    END IF;
    IF p_role = 'admin' THEN
        PERFORM auth.keep_last_admin(u.id);
    END IF;
    PERFORM auth.require_reason(p_reason);
    DELETE FROM workcell.user_role WHERE user_id = u.id AND role = p_role;
END $$;

-- An administrator-set PIN is always temporary: usable only to choose a new PIN.
CREATE FUNCTION workcell.admin_set_pin(p_username text, p_salt text, p_memory_kib integer,
    p_time_cost integer, p_parallelism integer, p_stored_key text, p_reason text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('user.administer');
    u workcell.users := auth.person(p_username);
BEGIN
    PERFORM auth.not_self(a, u, 'Change your own PIN with change-pin, not as an administrator.');
    PERFORM auth.require_reason(coalesce(nullif(btrim(p_reason), ''), 'PIN reset by an administrator'));
    PERFORM auth.store_verifier(u.id, true, p_salt, p_memory_kib, p_time_cost, p_parallelism, p_stored_key);
    INSERT INTO workcell.security_event (kind, user_id, method, detail)
    VALUES ('pin_reset', u.id, NULL, format('%s (by %s)', current_setting('workcell.reason'), a.username));
END $$;

-- A person replaces their own PIN (also the way out of a temporary or expired one). The
-- station answers a pin_change challenge with the old PIN, sends the new verifier and the
-- new PIN's stored keys under each of the last PINs' salts (history from the challenge).
CREATE FUNCTION workcell.change_pin(p_challenge_id bigint, p_proof text, p_salt text,
    p_memory_kib integer, p_time_cost integer, p_parallelism integer, p_stored_key text,
    p_history_keys text[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    c auth.challenge := auth.verify_challenge(p_challenge_id, p_proof, 'pin_change');
    p workcell.identity_policy;
BEGIN
    SELECT * INTO p FROM workcell.identity_policy WHERE id = 1;
    IF coalesce(cardinality(p_history_keys), 0) <> p.pin_history THEN
        RAISE EXCEPTION 'The new PIN must be checked against the last % PINs', p.pin_history
            USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT row_number() OVER (ORDER BY up.id DESC) AS k, v.stored_key
                                FROM workcell.user_pin up JOIN auth.pin_verifier v ON v.pin_id = up.id
                               WHERE up.user_id = c.user_id) AS h
                WHERE h.k <= p.pin_history AND encode(h.stored_key, 'hex') = p_history_keys[h.k]) THEN
        RAISE EXCEPTION 'That PIN was one of your last %. Choose a different PIN.', p.pin_history
            USING ERRCODE = 'WC041';
    END IF;
    PERFORM auth.act_as_prover(c, 'pin_change', '');
    PERFORM set_config('workcell.reason', 'PIN changed by its owner', true);
    PERFORM auth.store_verifier(c.user_id, false, p_salt, p_memory_kib, p_time_cost, p_parallelism, p_stored_key);
END $$;

CREATE FUNCTION workcell.issue_badge(p_username text, p_uid text, p_replaces bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('user.administer');
    u workcell.users := auth.person(p_username);
    v_id bigint;
BEGIN
    IF btrim(coalesce(p_uid, '')) = '' OR length(p_uid) > 128 THEN
        RAISE EXCEPTION 'No badge was read' USING ERRCODE = '22023', HINT = 'Tap the badge again.';
    END IF;
    IF EXISTS (SELECT 1 FROM workcell.badge WHERE badge_hash = workcell.badge_digest(p_uid)) THEN
        RAISE EXCEPTION 'This card was already issued (perhaps to someone else, perhaps revoked); card ids are never reassigned. Use a new card.'
            USING ERRCODE = 'WC042';
    END IF;
    IF p_replaces IS NOT NULL AND NOT EXISTS (SELECT 1 FROM workcell.badge WHERE id = p_replaces AND user_id = u.id) THEN
        RAISE EXCEPTION 'Badge % is not one of %''s', p_replaces, u.username USING ERRCODE = '22023';
    END IF;
    INSERT INTO workcell.badge (user_id, badge_hash, replaces_id)
    VALUES (u.id, workcell.badge_digest(p_uid), p_replaces) RETURNING id INTO v_id;
    RETURN v_id;
END $$;

CREATE FUNCTION workcell.revoke_badge(p_badge_id bigint, p_reason text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('user.administer');
    b workcell.badge;
    v_reason text;
BEGIN
    SELECT * INTO b FROM workcell.badge WHERE id = p_badge_id FOR UPDATE;
    IF b.id IS NULL THEN
        RAISE EXCEPTION 'No badge %', p_badge_id USING ERRCODE = 'WC040';
    END IF;
    IF b.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'Badge % is already revoked', p_badge_id USING ERRCODE = '22023';
    END IF;
    v_reason := auth.require_reason(p_reason);
    UPDATE workcell.badge SET revoked_at = now(), revoked_by = a.id, revoke_reason = v_reason,
           version = version + 1 WHERE id = b.id;
    INSERT INTO workcell.security_event (kind, user_id, method, detail)
    VALUES ('badge_revoked', b.user_id, 'badge', v_reason);
END $$;

CREATE FUNCTION workcell.lock_user(p_username text, p_reason text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('user.administer');
    u workcell.users := auth.person(p_username);
    v_reason text;
BEGIN
    PERFORM auth.not_self(a, u, 'Administrators cannot lock or unlock their own account.');
    IF u.status <> 'active' THEN
        RAISE EXCEPTION '% is %, not active', u.username, u.status USING ERRCODE = 'WC012';
    END IF;
    v_reason := auth.require_reason(p_reason);
    UPDATE workcell.users SET status = 'locked', version = version + 1 WHERE id = u.id;
    UPDATE auth.session SET ended_at = clock_timestamp(), end_reason = 'account locked'
     WHERE user_id = u.id AND ended_at IS NULL;
    INSERT INTO workcell.security_event (kind, user_id, method, detail)
    VALUES ('account_locked_by_admin', u.id, NULL, v_reason);
END $$;

-- Unlock needs an administrator's fresh credentials (a 'sign' challenge answered now by
-- the signed-in administrator), and starts the person's failure count again.
CREATE FUNCTION workcell.unlock_user(p_username text, p_reason text, p_challenge_id bigint, p_proof text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('user.administer');
    u workcell.users := auth.person(p_username);
    uc auth.counter;
    v_reason text;
BEGIN
    PERFORM auth.not_self(a, u, 'Administrators cannot lock or unlock their own account.');
    PERFORM auth.fresh_credentials(a, p_challenge_id, p_proof, 'unlock ' || u.username);
    IF u.status <> 'locked' THEN
        RAISE EXCEPTION '% is %, not locked', u.username, u.status USING ERRCODE = 'WC012';
    END IF;
    v_reason := auth.require_reason(p_reason);
    uc := auth.ensure_counter('user:' || u.id);
    INSERT INTO auth.counter_base (subject, value) VALUES (uc.subject, auth.counter_value(uc.failures));
    UPDATE workcell.users SET status = 'active', version = version + 1 WHERE id = u.id;
    INSERT INTO workcell.security_event (kind, user_id, method, detail)
    VALUES ('account_unlocked', u.id, NULL, v_reason);
END $$;

CREATE FUNCTION workcell.verify_identity(p_username text, p_method text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('identity.verify');
    u workcell.users := auth.person(p_username);
BEGIN
    PERFORM auth.not_self(a, u, 'Nobody verifies their own identity; ask another administrator.');
    IF btrim(coalesce(p_method, '')) = '' OR length(p_method) > 500 THEN
        RAISE EXCEPTION 'Say how the identity was checked (at most 500 characters)' USING ERRCODE = '22023';
    END IF;
    INSERT INTO workcell.identity_verification (user_id, method) VALUES (u.id, btrim(p_method));
END $$;

-- 11.10(j): the person, proving both components, acknowledges the e-signature policy.
CREATE FUNCTION workcell.acknowledge_policy(p_challenge_id bigint, p_proof text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    c auth.challenge := auth.verify_challenge(p_challenge_id, p_proof, 'sign');
BEGIN
    PERFORM auth.require_usable_pin(c);
    PERFORM auth.act_as_prover(c, 'sign', 'policy acknowledgement');
    INSERT INTO workcell.policy_acknowledgement (user_id, policy_version)
    SELECT c.user_id, signature_policy_version FROM workcell.identity_policy WHERE id = 1;
END $$;

-- Stations: registered by the owner (workcell station add creates the login role too),
-- enabled, disabled and cleared by an administrator.
CREATE FUNCTION workcell.register_station(p_name text, p_login_role text, p_site text,
    p_zone text, p_methods text[], p_concurrent boolean) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = 'system'
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM set_config('workcell.reason', 'station registered', true);
    INSERT INTO workcell.station (name, login_role, site, zone, methods, concurrent_sessions)
    VALUES (p_name, p_login_role, coalesce(p_site, ''), coalesce(p_zone, ''), p_methods, p_concurrent)
    ON CONFLICT (login_role) DO UPDATE
       SET name = EXCLUDED.name, site = EXCLUDED.site, zone = EXCLUDED.zone, methods = EXCLUDED.methods,
           concurrent_sessions = EXCLUDED.concurrent_sessions, version = workcell.station.version + 1
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

CREATE FUNCTION auth.station_named(p_name text) RETURNS workcell.station
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    st workcell.station;
BEGIN
    SELECT * INTO st FROM workcell.station WHERE name = p_name;
    IF st.id IS NULL THEN
        RAISE EXCEPTION 'No station named %', p_name USING ERRCODE = 'WC040';
    END IF;
    RETURN st;
END $$;

CREATE FUNCTION workcell.set_station_enabled(p_name text, p_enabled boolean, p_reason text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    st workcell.station;
BEGIN
    PERFORM auth.require_permission('user.administer');
    st := auth.station_named(p_name);
    IF st.login_role = session_user AND NOT p_enabled THEN
        RAISE EXCEPTION 'A station cannot disable itself; do it from another admin terminal'
            USING ERRCODE = 'WC012';
    END IF;
    PERFORM auth.require_reason(p_reason);
    UPDATE workcell.station SET enabled = p_enabled, version = version + 1 WHERE id = st.id;
    IF NOT p_enabled THEN
        UPDATE auth.session SET ended_at = clock_timestamp(), end_reason = 'station disabled'
         WHERE station = st.login_role AND ended_at IS NULL;
    END IF;
END $$;

-- After a supervisor has looked into a station's burst of failures, start its count again.
CREATE FUNCTION workcell.clear_station(p_name text, p_reason text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    st workcell.station;
    sc auth.counter;
BEGIN
    PERFORM auth.require_permission('user.administer');
    st := auth.station_named(p_name);
    sc := auth.ensure_counter('station:' || st.login_role);
    INSERT INTO auth.counter_base (subject, value) VALUES (sc.subject, auth.counter_value(sc.failures));
    INSERT INTO workcell.security_event (kind, user_id, method, detail)
    VALUES ('station_cleared', NULL, NULL, format('%s: %s', st.name, auth.require_reason(p_reason)));
END $$;

-- The policy is changed by an administrator with a reason and fresh credentials (an
-- administrator holds no signing permission, so this is a re-authentication recorded in the
-- access log beside the audited change, not a signature row).
CREATE FUNCTION workcell.set_identity_policy(p_changes jsonb, p_reason text,
                                             p_challenge_id bigint, p_proof text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('user.administer');
    p workcell.identity_policy;
BEGIN
    IF p_changes IS NULL OR jsonb_typeof(p_changes) <> 'object' OR p_changes = '{}'::jsonb
       OR p_changes ?| ARRAY['id', 'version'] THEN
        RAISE EXCEPTION 'Give the policy settings to change as a JSON object' USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_object_keys(p_changes) k
                WHERE k NOT IN (SELECT attname FROM pg_attribute
                                 WHERE attrelid = 'workcell.identity_policy'::regclass AND attnum > 0
                                   AND NOT attisdropped)) THEN
        RAISE EXCEPTION 'Unknown policy setting in %', p_changes USING ERRCODE = '22023';
    END IF;
    PERFORM auth.fresh_credentials(a, p_challenge_id, p_proof, 'identity policy change');
    PERFORM auth.require_reason(p_reason);
    SELECT * INTO p FROM workcell.identity_policy WHERE id = 1 FOR UPDATE;
    p := jsonb_populate_record(p, p_changes);
    UPDATE workcell.identity_policy SET
        max_failed_attempts = p.max_failed_attempts, failure_window_s = p.failure_window_s,
        station_failure_limit = p.station_failure_limit, station_lookup_limit = p.station_lookup_limit,
        station_window_s = p.station_window_s, pin_expiry_days = p.pin_expiry_days,
        pin_history = p.pin_history, session_idle_s = p.session_idle_s,
        challenge_ttl_s = p.challenge_ttl_s, argon2_memory_kib = p.argon2_memory_kib,
        argon2_time_cost = p.argon2_time_cost, argon2_parallelism = p.argon2_parallelism,
        signature_policy_version = p.signature_policy_version, version = version + 1
     WHERE id = 1;
END $$;

-- A station reports its own clock drifting (a security event for a supervisor's look).
CREATE FUNCTION workcell.report_clock_skew(p_station_time timestamptz, p_limit_s integer)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = 'system'
AS $$
DECLARE
    v_skew numeric := extract(epoch FROM (p_station_time - clock_timestamp()));
BEGIN
    IF p_station_time IS NULL OR abs(v_skew) <= greatest(coalesce(p_limit_s, 0), 1) THEN
        RETURN false;
    END IF;
    PERFORM set_config('workcell.reason', 'station clock skew', true);
    INSERT INTO workcell.security_event (kind, user_id, method, detail)
    VALUES ('clock_skew', NULL, NULL,
            format('station %s clock is %s s %s the server''s', session_user,
                   round(abs(v_skew), 1), CASE WHEN v_skew > 0 THEN 'ahead of' ELSE 'behind' END));
    RETURN true;
END $$;

-- The sealer's pass over the counters: movement with no committed refusal becomes a
-- security event naming the station (per station: refusals the counters recorded; per person:
-- refusals of that person, naming the stations that challenged them); a person over the
-- limit is locked.
CREATE FUNCTION workcell.reconcile_counters() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = 'system'
AS $$
DECLARE
    c auth.counter;
    w auth.counter_watermark;
    p workcell.identity_policy;
    v_now bigint;
    v_logged bigint;
    v_epoch text := auth.epoch();
    v_events integer := 0;
    v_role text;
    v_user bigint;
BEGIN
    PERFORM 1 FROM auth.reconcile_lock WHERE id = 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN 0;  -- another sealer is reconciling (only sealers can hold this lock)
    END IF;
    SELECT * INTO p FROM workcell.identity_policy WHERE id = 1;
    PERFORM set_config('workcell.reason', 'counter reconciliation', true);
    FOR c IN SELECT * FROM auth.counter LOOP
        v_now := auth.counter_value(c.failures);
        SELECT * INTO w FROM auth.counter_watermark WHERE subject = c.subject;
        IF w.subject IS NULL THEN  -- counters and refusals both start at zero
            w := ROW(c.subject, 0, 0, v_epoch)::auth.counter_watermark;
        END IF;
        IF w.value = v_now AND w.epoch = v_epoch THEN
            CONTINUE;
        END IF;
        IF c.subject LIKE 'station:%' THEN
            v_role := substr(c.subject, 9);
            SELECT count(*) INTO v_logged FROM workcell.access_log
             WHERE station = v_role AND outcome = 'refused' AND counted;
            IF w.epoch = v_epoch AND (v_now - w.value) > (v_logged - w.logged) THEN
                INSERT INTO workcell.security_event (kind, user_id, method, detail)
                VALUES ('unrecorded_failures', NULL, NULL,
                        format('station %s: %s failed PIN attempts with no committed record (rolled back)',
                               v_role, (v_now - w.value) - (v_logged - w.logged)));
                v_events := v_events + 1;
            END IF;
            IF auth.station_failures(v_role) >= p.station_failure_limit
               AND w.value < v_now THEN
                INSERT INTO workcell.security_event (kind, user_id, method, detail)
                VALUES ('station_blocked', NULL, NULL,
                        format('station %s: %s or more failed PIN attempts in %s minutes (against anyone)',
                               v_role, p.station_failure_limit, p.station_window_s / 60));
                v_events := v_events + 1;
            END IF;
        ELSE
            v_user := substr(c.subject, 6)::bigint;
            SELECT count(*) INTO v_logged FROM workcell.access_log
             WHERE user_id = v_user AND outcome = 'refused' AND counted;
            IF w.epoch = v_epoch AND (v_now - w.value) > (v_logged - w.logged) THEN
                INSERT INTO workcell.security_event (kind, user_id, method, detail)
                VALUES ('unrecorded_failures', v_user, NULL,
                        format('%s failed PIN attempts with no committed record (rolled back); challenged at %s',
                               (v_now - w.value) - (v_logged - w.logged),
                               coalesce((SELECT string_agg(DISTINCT ch.station, ', ') FROM auth.challenge ch
                                          WHERE ch.user_id = v_user AND ch.fail_seen >= w.value), 'unknown')));
                v_events := v_events + 1;
            END IF;
            IF auth.user_failures(v_user) >= p.max_failed_attempts
               AND EXISTS (SELECT 1 FROM workcell.users WHERE id = v_user AND status = 'active') THEN
                PERFORM auth.lock_out(v_user, 'failed PIN attempts found by the sealer');
                v_events := v_events + 1;
            END IF;
        END IF;
        INSERT INTO auth.counter_watermark AS m VALUES (c.subject, v_now, v_logged, v_epoch)
        ON CONFLICT (subject) DO UPDATE SET value = EXCLUDED.value, logged = EXCLUDED.logged, epoch = EXCLUDED.epoch;
    END LOOP;
    RETURN v_events;
END $$;

-- What an administrator or supervisor sees of the stations: registration, open sessions,
-- failed PIN attempts in the station window and whether its challenges are blocked.
CREATE FUNCTION workcell.station_overview()
RETURNS TABLE (name text, login_role text, site text, zone text, methods text[],
               concurrent_sessions boolean, enabled boolean, open_sessions bigint,
               failures bigint, blocked boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_limit integer := (SELECT station_failure_limit FROM workcell.identity_policy WHERE id = 1);
BEGIN
    PERFORM auth.require_permission('security.view');
    RETURN QUERY
    SELECT st.name, st.login_role, st.site, st.zone, st.methods, st.concurrent_sessions, st.enabled,
           (SELECT count(*) FROM auth.session s WHERE s.station = st.login_role
               AND s.ended_at IS NULL AND s.tx_only IS NULL
               AND s.last_seen + make_interval(secs => s.idle_s) > now()),
           f.n, f.n >= v_limit
      FROM workcell.station st
      CROSS JOIN LATERAL (SELECT auth.station_failures(st.login_role) AS n) AS f
     ORDER BY st.name;
END $$;
