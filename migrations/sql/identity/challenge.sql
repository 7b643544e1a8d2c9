-- Challenge and response. The database hands out the salt and argon2id cost of the
-- person's current PIN with a single-use nonce; the station derives the argon2id output
-- and answers with a SCRAM client proof over the auth message. An unknown badge or
-- username (or a revoked badge, or a person with no PIN) gets a salt derived from the
-- pepper, with the policy's cost: the answer has the same shape and costs the same.
CREATE FUNCTION auth.auth_message(c auth.challenge) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('workcell-v1,c=%s,n=%s,s=%s,p=%s,m=%s', c.id, encode(c.nonce, 'hex'),
                  c.station, c.purpose, c.method)
$$;

CREATE FUNCTION auth.pepper() RETURNS bytea
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT pepper FROM workcell.installation_secret WHERE id = 1 $$;

CREATE FUNCTION auth.fake_salt(p_label text) RETURNS bytea
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT substr(auth.hmac_sha256(auth.pepper(), convert_to('fake-salt:' || p_label, 'UTF8')), 1, 16) $$;

-- The argon2id cost of every person's current PIN, numbered.
CREATE FUNCTION auth.current_costs()
RETURNS TABLE (n bigint, memory_kib integer, time_cost integer, parallelism integer)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT row_number() OVER (ORDER BY cur.user_id), v.memory_kib, v.time_cost, v.parallelism
      FROM (SELECT DISTINCT ON (user_id) user_id, id FROM workcell.user_pin
             ORDER BY user_id, id DESC) AS cur
      JOIN auth.pin_verifier v ON v.pin_id = cur.id
$$;

CREATE FUNCTION auth.registered_station() RETURNS workcell.station
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    st workcell.station;
BEGIN
    SELECT * INTO st FROM workcell.station WHERE login_role = session_user;
    IF st.id IS NULL THEN
        RAISE EXCEPTION 'This database login (%) is not a registered station', session_user
            USING ERRCODE = 'WC030', HINT = 'An administrator registers it: workcell station add.';
    END IF;
    IF NOT st.enabled THEN
        RAISE EXCEPTION 'Station % is disabled', st.name
            USING ERRCODE = 'WC030', HINT = 'An administrator must enable it again.';
    END IF;
    RETURN st;
END $$;

CREATE FUNCTION workcell.auth_challenge(p_method text, p_identifier text, p_purpose text)
RETURNS TABLE (challenge_id bigint, auth_message text, salt text, memory_kib integer,
               time_cost integer, parallelism integer, history jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    st workcell.station := auth.registered_station();
    p workcell.identity_policy;
    sc auth.counter := auth.ensure_counter('station:' || session_user);
    uc auth.counter;
    c auth.challenge;
    v_id text := btrim(coalesce(p_identifier, ''));
    v_lookup bigint;
    v_base bigint;
    v_history jsonb := '[]'::jsonb;
BEGIN
    IF p_method IS NULL OR p_method NOT IN ('badge+pin', 'username+pin') THEN
        RAISE EXCEPTION 'Unknown sign-in method %', p_method USING ERRCODE = '22023';
    END IF;
    IF NOT (p_method = ANY (st.methods)) THEN
        RAISE EXCEPTION 'Station % accepts % only', st.name, array_to_string(st.methods, ' or ')
            USING ERRCODE = 'WC030', HINT = 'Tap your badge.';
    END IF;
    IF p_purpose IS NULL OR p_purpose NOT IN ('sign_in', 'sign', 'pin_change') THEN
        RAISE EXCEPTION 'Unknown purpose %', p_purpose USING ERRCODE = '22023';
    END IF;
    IF v_id = '' OR length(v_id) > 128 THEN
        RAISE EXCEPTION 'No badge or username was given' USING ERRCODE = '22023',
            HINT = 'Tap your badge (or enter your username) first.';
    END IF;
    SELECT * INTO p FROM workcell.identity_policy WHERE id = 1;
    -- every look-up counts against the station, committed or not
    v_lookup := nextval(sc.attempts);
    SELECT min(ch.station_lookup_seen) INTO v_base FROM auth.challenge ch
     WHERE ch.station = session_user AND ch.epoch = auth.epoch()
       AND ch.issued_at >= clock_timestamp() - make_interval(secs => p.station_window_s);
    IF v_lookup - coalesce(v_base, v_lookup - 1) > p.station_lookup_limit THEN
        RAISE EXCEPTION 'Station % made more than % sign-in look-ups in % minutes', st.name,
            p.station_lookup_limit, p.station_window_s / 60
            USING ERRCODE = 'WC033', HINT = 'Wait a few minutes, or ask a supervisor to check the station.';
    END IF;
    IF auth.station_failures(session_user) >= p.station_failure_limit THEN
        RAISE EXCEPTION 'Station % is blocked: % failed PIN attempts in % minutes', st.name,
            p.station_failure_limit, p.station_window_s / 60
            USING ERRCODE = 'WC033', HINT = 'A supervisor reviews the security events; an administrator can clear the station.';
    END IF;

    c.nonce := sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8'));
    c.station := session_user;
    c.purpose := p_purpose;
    c.method := p_method;
    IF p_method = 'badge+pin' THEN
        SELECT b.id, CASE WHEN b.revoked_at IS NULL THEN b.user_id END INTO c.badge_id, c.user_id
          FROM workcell.badge b WHERE b.badge_hash = workcell.badge_digest(v_id);
    ELSE
        SELECT u.id INTO c.user_id FROM workcell.users u
         WHERE u.username = lower(v_id) AND u.kind = 'person';
    END IF;
    IF c.user_id IS NOT NULL THEN
        SELECT up.id, v.salt, v.memory_kib, v.time_cost, v.parallelism
          INTO c.pin_id, c.salt, c.memory_kib, c.time_cost, c.parallelism
          FROM workcell.user_pin up JOIN auth.pin_verifier v ON v.pin_id = up.id
         WHERE up.user_id = c.user_id ORDER BY up.id DESC LIMIT 1;
        IF c.pin_id IS NULL THEN
            c.user_id := NULL;  -- nobody can answer: no PIN yet
        END IF;
    END IF;
    IF c.user_id IS NULL THEN
        c.salt := auth.fake_salt(p_method || ':' || upper(v_id));
        -- the cost of some person's current PIN, chosen by the pepper: after a policy cost
        -- change, old and new costs both occur, for known and unknown identifiers alike
        SELECT v.memory_kib, v.time_cost, v.parallelism INTO c.memory_kib, c.time_cost, c.parallelism
          FROM auth.current_costs() v
         ORDER BY v.n
        OFFSET (SELECT CASE WHEN count(*) = 0 THEN 0 ELSE
                    ('x' || encode(substr(auth.fake_salt('cost:' || p_method || ':' || upper(v_id)), 1, 4), 'hex'))::bit(32)::bigint % count(*) END
                  FROM auth.current_costs())
         LIMIT 1;
        c.memory_kib := coalesce(c.memory_kib, p.argon2_memory_kib);
        c.time_cost := coalesce(c.time_cost, p.argon2_time_cost);
        c.parallelism := coalesce(c.parallelism, p.argon2_parallelism);
        c.attempt_seen := 0;
        c.fail_seen := 0;
    ELSE
        uc := auth.ensure_counter('user:' || c.user_id);
        c.attempt_seen := auth.counter_value(uc.attempts);
        c.fail_seen := auth.counter_value(uc.failures);
    END IF;
    IF p_purpose = 'pin_change' THEN
        -- the salts of the last PINs, so the station can show the database the new PIN is
        -- none of them (always pin_history entries: the shape reveals nothing)
        SELECT coalesce(jsonb_agg(jsonb_build_object('salt', encode(h.salt, 'hex'),
                   'memory_kib', h.memory_kib, 'time_cost', h.time_cost, 'parallelism', h.parallelism)
                   ORDER BY h.n), '[]'::jsonb)
          INTO v_history
          FROM (SELECT n, coalesce(r.salt, auth.fake_salt(format('history:%s:%s:%s', p_method, upper(v_id), n))) AS salt,
                       coalesce(r.memory_kib, p.argon2_memory_kib) AS memory_kib,
                       coalesce(r.time_cost, p.argon2_time_cost) AS time_cost,
                       coalesce(r.parallelism, p.argon2_parallelism) AS parallelism
                  FROM generate_series(1, p.pin_history) AS n
                  LEFT JOIN (SELECT row_number() OVER (ORDER BY up.id DESC) AS k, v.*
                               FROM workcell.user_pin up JOIN auth.pin_verifier v ON v.pin_id = up.id
                              WHERE up.user_id = c.user_id) AS r ON r.k = n) AS h;
    END IF;
    c.station_fail_seen := auth.counter_value(sc.failures);
    c.station_lookup_seen := v_lookup - 1;
    c.epoch := auth.epoch();
    c.issued_at := clock_timestamp();
    c.expires_at := c.issued_at + make_interval(secs => p.challenge_ttl_s);
    c.issued_tx := pg_current_xact_id();
    c.id := nextval(pg_get_serial_sequence('auth.challenge', 'id'));
    INSERT INTO auth.challenge OVERRIDING SYSTEM VALUE VALUES (c.*);
    RETURN QUERY SELECT c.id, auth.auth_message(c), encode(c.salt, 'hex'), c.memory_kib,
                        c.time_cost, c.parallelism, v_history;
END $$;

-- Verify the station's answer to a committed challenge of this station and purpose.
-- Every attempt and failure moves a sequence first, so a rolled-back guess still counts.
-- Raises on every refusal; returns the challenge (with the person) on success.
CREATE FUNCTION auth.verify_challenge(p_challenge_id bigint, p_proof text, p_purpose text)
RETURNS auth.challenge
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c auth.challenge;
    p workcell.identity_policy;
    u workcell.users;
    sc auth.counter := auth.ensure_counter('station:' || session_user);
    uc auth.counter;
    v_key bytea;
    v_proof bytea;
    v_left bigint;
    v_what text;
BEGIN
    SELECT * INTO c FROM auth.challenge WHERE id = p_challenge_id FOR UPDATE;
    IF c.id IS NULL OR c.station <> session_user OR c.purpose <> p_purpose THEN
        RAISE EXCEPTION 'This PIN prompt is not valid here' USING ERRCODE = 'WC031',
            HINT = 'Tap your badge (or enter your username) again.';
    END IF;
    IF pg_xact_status(c.issued_tx) IS DISTINCT FROM 'committed' THEN
        RAISE EXCEPTION 'A challenge must be committed before it is answered' USING ERRCODE = 'WC031';
    END IF;
    IF c.used_at IS NOT NULL OR c.expires_at < clock_timestamp() THEN
        RAISE EXCEPTION 'This PIN prompt has expired or was already used' USING ERRCODE = 'WC031',
            HINT = 'Tap your badge (or enter your username) again.';
    END IF;
    SELECT * INTO p FROM workcell.identity_policy WHERE id = 1;
    v_what := CASE c.method WHEN 'badge+pin' THEN 'Badge' ELSE 'Username' END;
    IF p_proof IS NULL OR p_proof !~ '^[0-9a-f]{64}$' THEN
        v_proof := NULL;
    ELSE
        v_proof := decode(p_proof, 'hex');
    END IF;
    IF c.user_id IS NULL THEN
        PERFORM nextval(sc.failures);
        IF c.badge_id IS NOT NULL THEN
            RAISE EXCEPTION 'This badge was revoked' USING ERRCODE = 'WC037',
                HINT = 'Use your replacement badge, or see an administrator.';
        END IF;
        RAISE EXCEPTION '% or PIN not recognised', v_what USING ERRCODE = 'WC032',
            HINT = 'Try again or ask a supervisor.';
    END IF;
    uc := auth.ensure_counter('user:' || c.user_id);
    IF nextval(uc.attempts) <> c.attempt_seen + 1 THEN
        RAISE EXCEPTION 'This PIN prompt was overtaken by another attempt for the same person'
            USING ERRCODE = 'WC031', HINT = 'Tap your badge (or enter your username) again.';
    END IF;
    SELECT * INTO u FROM workcell.users WHERE id = c.user_id;
    IF u.status = 'disabled' THEN
        RAISE EXCEPTION '%''s account is disabled', u.printed_name USING ERRCODE = 'WC036',
            HINT = 'See an administrator.';
    END IF;
    IF u.status = 'locked' OR auth.user_failures(u.id) >= p.max_failed_attempts THEN
        RAISE EXCEPTION '%''s account is locked', u.printed_name USING ERRCODE = 'WC034',
            HINT = 'An administrator must unlock it.';
    END IF;
    SELECT v.stored_key INTO v_key FROM auth.pin_verifier v WHERE v.pin_id = c.pin_id;
    IF NOT auth.proof_is_valid(v_key, auth.auth_message(c), v_proof) THEN
        PERFORM nextval(uc.failures);
        PERFORM nextval(sc.failures);
        v_left := p.max_failed_attempts - auth.user_failures(u.id);
        IF v_left <= 0 THEN
            RAISE EXCEPTION 'Wrong PIN. %''s account is now locked after % failed attempts',
                u.printed_name, p.max_failed_attempts USING ERRCODE = 'WC034',
                HINT = 'An administrator must unlock it.';
        END IF;
        RAISE EXCEPTION 'Wrong PIN. % % left before the account locks', v_left,
            CASE WHEN v_left = 1 THEN 'attempt' ELSE 'attempts' END USING ERRCODE = 'WC032';
    END IF;
    IF c.pin_id <> (SELECT max(id) FROM workcell.user_pin WHERE user_id = u.id) THEN
        RAISE EXCEPTION 'The PIN changed since this prompt' USING ERRCODE = 'WC031',
            HINT = 'Tap your badge (or enter your username) again.';
    END IF;
    UPDATE auth.challenge SET used_at = clock_timestamp() WHERE id = c.id;
    RETURN c;
END $$;

-- A temporary (administrator-set) or expired PIN only serves to choose a new PIN.
CREATE FUNCTION auth.require_usable_pin(c auth.challenge) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    up workcell.user_pin;
    v_days integer := (SELECT pin_expiry_days FROM workcell.identity_policy WHERE id = 1);
    v_name text := (SELECT printed_name FROM workcell.users WHERE id = c.user_id);
BEGIN
    SELECT * INTO up FROM workcell.user_pin WHERE id = c.pin_id;
    IF up.temporary THEN
        RAISE EXCEPTION '%, your PIN was set by an administrator', v_name USING ERRCODE = 'WC035',
            HINT = 'Choose your own PIN before you sign in or sign.';
    END IF;
    IF v_days > 0 AND up.set_at < now() - make_interval(days => v_days) THEN
        RAISE EXCEPTION '%, your PIN has expired', v_name USING ERRCODE = 'WC038',
            HINT = 'Choose a new PIN.';
    END IF;
END $$;

CREATE FUNCTION auth.new_token() RETURNS text
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')), 'hex') $$;

-- Sign-in: verify, open a session for this station (ending the previous person's, unless
-- the station serves concurrent sessions) and name it for the rest of this transaction.
CREATE FUNCTION workcell.sign_in(p_challenge_id bigint, p_proof text)
RETURNS TABLE (token text, user_id bigint, username text, printed_name text, idle_s integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    st workcell.station := auth.registered_station();
    c auth.challenge := auth.verify_challenge(p_challenge_id, p_proof, 'sign_in');
    u workcell.users;
    v_token text := auth.new_token();
    v_idle integer := (SELECT session_idle_s FROM workcell.identity_policy WHERE id = 1);
BEGIN
    PERFORM auth.require_usable_pin(c);
    SELECT * INTO u FROM workcell.users WHERE id = c.user_id;
    IF NOT st.concurrent_sessions THEN
        UPDATE auth.session s SET ended_at = clock_timestamp(), end_reason = 'another sign-in at this station'
         WHERE s.station = session_user AND s.ended_at IS NULL AND s.tx_only IS NULL;
    END IF;
    INSERT INTO auth.session (token_hash, user_id, station, method, idle_s)
    VALUES (sha256(convert_to(v_token, 'UTF8')), u.id, session_user, c.method, v_idle);
    PERFORM set_config('workcell.session', v_token, true);
    INSERT INTO workcell.access_log (user_id, method, purpose, outcome, challenge_id)
    VALUES (u.id, c.method, 'sign_in', 'success', c.id);
    RETURN QUERY SELECT v_token, u.id, u.username, u.printed_name, v_idle;
END $$;

-- After a refused attempt an honest station commits this in its own transaction: the
-- access-log line and the security event, and the lockout when the counters reached the
-- limit. A station that rolls back instead is caught by workcell.reconcile_counters() (sealer).
CREATE FUNCTION workcell.record_refusal(p_challenge_id bigint, p_detail text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = 'system'
AS $$
DECLARE
    c auth.challenge;
    u workcell.users;
    p workcell.identity_policy;
    v_kind text;
    v_detail text := left(coalesce(p_detail, ''), 200);
BEGIN
    SELECT * INTO c FROM auth.challenge WHERE id = p_challenge_id AND station = session_user;
    IF c.id IS NULL OR c.used_at IS NOT NULL
       OR EXISTS (SELECT 1 FROM workcell.access_log a WHERE a.challenge_id = c.id) THEN
        RETURN;
    END IF;
    SELECT * INTO p FROM workcell.identity_policy WHERE id = 1;
    SELECT * INTO u FROM workcell.users WHERE id = c.user_id;
    v_kind := CASE
        WHEN c.user_id IS NULL AND c.badge_id IS NOT NULL THEN 'revoked_badge_attempt'
        WHEN c.user_id IS NULL AND c.method = 'badge+pin' THEN 'unknown_badge'
        WHEN c.user_id IS NULL THEN 'unknown_username'
        WHEN u.status = 'disabled' THEN 'disabled_account_attempt'
        WHEN u.status = 'locked' THEN 'locked_account_attempt'
        ELSE 'auth_failed' END;
    INSERT INTO workcell.access_log (user_id, method, purpose, outcome, detail, challenge_id, counted)
    VALUES (c.user_id, c.method, c.purpose, 'refused', v_kind || coalesce(': ' || nullif(v_detail, ''), ''), c.id,
            CASE WHEN c.user_id IS NULL
                 THEN auth.counter_value((auth.ensure_counter('station:' || session_user)).failures) > c.station_fail_seen
                 ELSE auth.counter_value((auth.ensure_counter('user:' || c.user_id)).attempts) > c.attempt_seen
                  AND auth.counter_value((auth.ensure_counter('user:' || c.user_id)).failures) > c.fail_seen END);
    PERFORM set_config('workcell.reason', format('refused %s at %s', c.purpose, session_user), true);
    INSERT INTO workcell.security_event (kind, user_id, method, detail)
    VALUES (v_kind, coalesce(c.user_id, (SELECT b.user_id FROM workcell.badge b WHERE b.id = c.badge_id)),
            c.method, format('%s at %s%s', c.purpose, session_user, coalesce(' (' || nullif(v_detail, '') || ')', '')));
    IF u.id IS NOT NULL AND u.status = 'active'
       AND auth.user_failures(u.id) >= p.max_failed_attempts THEN
        PERFORM auth.lock_out(u.id, format('%s failed PIN attempts (%s at %s)',
                                           p.max_failed_attempts, c.purpose, session_user));
    END IF;
END $$;

-- Lock a person after failures: status, their sessions, a security event (system work).
CREATE FUNCTION auth.lock_out(p_user_id bigint, p_detail text) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM set_config('workcell.reason', 'automatic lockout: ' || p_detail, true);
    UPDATE workcell.users SET status = 'locked', version = version + 1
     WHERE id = p_user_id AND status = 'active';
    IF FOUND THEN
        UPDATE auth.session SET ended_at = clock_timestamp(), end_reason = 'account locked'
         WHERE user_id = p_user_id AND ended_at IS NULL;
        INSERT INTO workcell.security_event (kind, user_id, method, detail)
        VALUES ('account_locked', p_user_id, NULL, 'locked after ' || p_detail);
    END IF;
END $$;
