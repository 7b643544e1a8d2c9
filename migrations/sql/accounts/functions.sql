-- The last time a person proved themselves (a sign-in, a signature, a PIN change): the
-- access log's successes. An account nobody has used since it was created counts from then.
CREATE FUNCTION auth.last_activity(p_user_id bigint) RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT max(a.at) FROM workcell.access_log a
     WHERE a.user_id = p_user_id AND a.outcome = 'success'
$$;

-- Dormant: not disabled, and unused (no successful proof) for the policy's period.
CREATE FUNCTION auth.is_dormant(u workcell.users, p_days integer) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT u.kind = 'person' AND u.status <> 'disabled'
       AND coalesce(auth.last_activity(u.id), u.created_at) < now() - make_interval(days => p_days)
$$;

-- The periodic account review (11.10(d), 11.300(b); Annex 11 §12.1): every person, their
-- roles, state, last sign-in and last use, badges, identity check, and whether the account
-- is dormant under the policy. For whoever reviews security (security.view).
CREATE FUNCTION workcell.account_review()
RETURNS TABLE (user_id bigint, username text, printed_name text, status text, roles text,
               created_at timestamptz, last_sign_in timestamptz, last_activity timestamptz,
               active_badges integer, revoked_badges integer, identity_verified boolean,
               dormant boolean, dormant_after_days integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_days integer := (SELECT ap.dormant_after_days FROM workcell.account_policy ap WHERE ap.id = 1);
BEGIN
    PERFORM auth.require_permission('security.view');
    RETURN QUERY
    SELECT u.id, u.username, u.printed_name, u.status,
           coalesce((SELECT string_agg(ur.role, ',' ORDER BY ur.role) FROM workcell.user_role ur
                      WHERE ur.user_id = u.id), ''),
           u.created_at,
           (SELECT max(a.at) FROM workcell.access_log a
             WHERE a.user_id = u.id AND a.outcome = 'success' AND a.purpose = 'sign_in'),
           auth.last_activity(u.id),
           (SELECT count(*)::integer FROM workcell.badge b WHERE b.user_id = u.id AND b.revoked_at IS NULL),
           (SELECT count(*)::integer FROM workcell.badge b WHERE b.user_id = u.id AND b.revoked_at IS NOT NULL),
           EXISTS (SELECT 1 FROM workcell.identity_verification iv WHERE iv.user_id = u.id),
           auth.is_dormant(u, v_days), v_days
      FROM workcell.users u
     WHERE u.kind = 'person'
     ORDER BY u.username;
END $$;

-- Disable the listed dormant accounts, as one decision signed by the administrator's fresh
-- credentials (an administrator holds no signing permission: this is a re-authentication
-- recorded in the access log beside the decision, as for unlock and policy changes). Every
-- listed account must be dormant now; one that is not refuses the whole decision (WC170).
CREATE FUNCTION workcell.disable_dormant_accounts(p_usernames text[], p_reason text,
                                                  p_challenge_id bigint, p_proof text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('user.administer');
    u workcell.users;
    v_days integer := (SELECT ap.dormant_after_days FROM workcell.account_policy ap WHERE ap.id = 1);
    v_name text;
    v_ids bigint[] := '{}';
    v_names text[] := '{}';
    v_reason text;
    v_log bigint;
    v_id bigint;
BEGIN
    IF p_usernames IS NULL OR cardinality(p_usernames) = 0 OR cardinality(p_usernames) > 500 THEN
        RAISE EXCEPTION 'List the dormant accounts to disable (1 to 500)' USING ERRCODE = 'WC171';
    END IF;
    PERFORM auth.fresh_credentials(a, p_challenge_id, p_proof, 'disable dormant accounts');
    SELECT max(al.id) INTO v_log FROM workcell.access_log al WHERE al.challenge_id = p_challenge_id;
    v_reason := auth.require_reason(p_reason);
    -- the policy row is read under lock so a dormancy change cannot interleave
    PERFORM 1 FROM workcell.account_policy WHERE id = 1 FOR SHARE;
    FOREACH v_name IN ARRAY p_usernames LOOP
        u := auth.person(v_name);
        IF u.id = ANY (v_ids) THEN
            RAISE EXCEPTION '% is listed twice', u.username USING ERRCODE = 'WC171';
        END IF;
        PERFORM auth.not_self(a, u, 'Nobody disables their own account; ask another administrator.');
        -- the row is locked first: a sign-in committed meanwhile is seen by the check
        PERFORM 1 FROM workcell.users WHERE id = u.id FOR UPDATE;
        SELECT * INTO u FROM workcell.users WHERE id = u.id;
        IF u.status = 'disabled' THEN
            RAISE EXCEPTION '% is disabled already', u.username USING ERRCODE = 'WC170';
        END IF;
        IF NOT auth.is_dormant(u, v_days) THEN
            RAISE EXCEPTION '% is not dormant: used % (the dormancy period is % days)', u.username,
                to_char(coalesce(auth.last_activity(u.id), u.created_at), 'YYYY-MM-DD HH24:MI TZ'), v_days
                USING ERRCODE = 'WC170', HINT = 'Only accounts unused for the dormancy period are disabled this way.';
        END IF;
        PERFORM auth.keep_last_admin(u.id);
        UPDATE workcell.users SET status = 'disabled', version = version + 1 WHERE id = u.id;
        UPDATE auth.session SET ended_at = clock_timestamp(), end_reason = 'dormant account disabled'
         WHERE user_id = u.id AND ended_at IS NULL;
        INSERT INTO workcell.security_event (kind, user_id, method, detail)
        VALUES ('dormant_account_disabled', u.id, NULL,
                format('unused since %s (%s days or more); by %s: %s',
                       to_char(coalesce(auth.last_activity(u.id), u.created_at), 'YYYY-MM-DD'),
                       v_days, a.username, v_reason));
        v_ids := v_ids || u.id;
        v_names := v_names || u.username;
    END LOOP;
    INSERT INTO workcell.dormancy_decision (dormant_after_days, user_ids, usernames, reason, access_log_id)
    VALUES (v_days, v_ids, array_to_string(v_names, ', '), v_reason, v_log)
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

-- Every revocation, from the next statement on: a challenge issued for the badge before it
-- was revoked can no longer be answered (new challenges already refuse a revoked badge),
-- so neither a sign-in nor a signature goes through with it anywhere.
CREATE OR REPLACE FUNCTION workcell.revoke_badge(p_badge_id bigint, p_reason text) RETURNS void
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
    UPDATE auth.challenge SET used_at = clock_timestamp()
     WHERE badge_id = b.id AND used_at IS NULL;
    INSERT INTO workcell.security_event (kind, user_id, method, detail)
    VALUES ('badge_revoked', b.user_id, 'badge', v_reason);
END $$;

-- A badge reported lost: revoked (as above), and the holder's badge sessions end at every
-- station (whoever holds the card may be the one signed in); the holder signs in again with
-- a replacement. The reason says who reported it and how.
CREATE FUNCTION workcell.report_badge_lost(p_badge_id bigint, p_reason text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('user.administer');
    b workcell.badge;
    v_reason text := auth.require_reason(p_reason);
    v_ended integer;
BEGIN
    PERFORM workcell.revoke_badge(p_badge_id, CASE WHEN v_reason ILIKE 'reported lost%'
                                                   THEN v_reason
                                                   ELSE left('reported lost: ' || v_reason, 500) END);
    SELECT * INTO b FROM workcell.badge WHERE id = p_badge_id;
    SELECT count(*) INTO v_ended FROM auth.session s
     WHERE s.user_id = b.user_id AND s.method = 'badge+pin' AND s.ended_at IS NULL;
    INSERT INTO workcell.security_event (kind, user_id, method, detail)
    VALUES ('badge_reported_lost', b.user_id, 'badge',
            format('badge %s reported lost (by %s): %s; %s badge session(s) ended',
                   b.id, a.username, v_reason, v_ended));
    -- last: the reporter's own session may be one of them (their own card), and every
    -- audited write of this transaction has named them already
    UPDATE auth.session SET ended_at = clock_timestamp(), end_reason = 'badge reported lost'
     WHERE user_id = b.user_id AND method = 'badge+pin' AND ended_at IS NULL;
END $$;

-- The dormancy period and the reader-test interval: an administrator, a reason, fresh
-- credentials; NULL keeps a value.
CREATE FUNCTION workcell.set_account_policy(p_dormant_after_days integer,
                                            p_reader_test_interval_days integer, p_reason text,
                                            p_challenge_id bigint, p_proof text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('user.administer');
BEGIN
    IF p_dormant_after_days IS NULL AND p_reader_test_interval_days IS NULL THEN
        RAISE EXCEPTION 'Give the dormancy period or the reader-test interval to change'
            USING ERRCODE = 'WC174';
    END IF;
    PERFORM auth.fresh_credentials(a, p_challenge_id, p_proof, 'account policy change');
    PERFORM auth.require_reason(p_reason);
    UPDATE workcell.account_policy
       SET dormant_after_days = coalesce(p_dormant_after_days, dormant_after_days),
           reader_test_interval_days = coalesce(p_reader_test_interval_days, reader_test_interval_days),
           version = version + 1
     WHERE id = 1;
END $$;

-- Record one test of a station's badge reader (11.300(e)). The session holder has
-- reader.test and proves themselves now (a 'sign' challenge answered by them). A pass is
-- a card read by the reader of the station tested and recognised by the database: the
-- proof must come by badge + PIN from that very station (the challenge is the station's
-- own), and the card is the one read. A failure (the reader does not read, reads a wrong
-- id, a card is refused) may be recorded from any terminal, naming the station, with what
-- happened; it is also a security event for a supervisor's look. The station NULL is the
-- calling station itself.
CREATE FUNCTION workcell.record_reader_test(p_station text, p_reader text, p_result text,
                                            p_detail text, p_challenge_id bigint, p_proof text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('reader.test');
    st workcell.station;
    c auth.challenge;
    v_reader text := btrim(coalesce(p_reader, ''));
    v_detail text := btrim(coalesce(p_detail, ''));
    v_log bigint;
    v_id bigint;
BEGIN
    -- NULL: this station (the kiosk's own "test this reader")
    IF p_station IS NULL THEN
        st := auth.registered_station();
    ELSE
        st := auth.station_named(p_station);
    END IF;
    IF p_result IS NULL OR p_result NOT IN ('pass', 'fail') THEN
        RAISE EXCEPTION 'A reader test passes or fails' USING ERRCODE = 'WC172';
    END IF;
    IF v_reader = '' OR length(v_reader) > 120 THEN
        RAISE EXCEPTION 'Name the reader tested (at most 120 characters)' USING ERRCODE = 'WC172';
    END IF;
    IF length(v_detail) > 500 THEN
        RAISE EXCEPTION 'A reader test note has at most 500 characters' USING ERRCODE = '22001';
    END IF;
    IF p_result = 'fail' AND v_detail = '' THEN
        RAISE EXCEPTION 'Say what failed' USING ERRCODE = 'WC172';
    END IF;
    IF p_result = 'pass' AND st.login_role <> session_user THEN
        RAISE EXCEPTION 'A reader passes its test at its own station: tap the card on % and enter the PIN there',
            st.name USING ERRCODE = 'WC172';
    END IF;
    c := auth.verify_challenge(p_challenge_id, p_proof, 'sign');
    IF c.user_id <> a.id THEN
        RAISE EXCEPTION 'The credentials given are not those of the signed-in tester'
            USING ERRCODE = 'WC012';
    END IF;
    PERFORM auth.require_usable_pin(c);
    IF p_result = 'pass' AND (c.method <> 'badge+pin' OR c.badge_id IS NULL) THEN
        RAISE EXCEPTION 'A passed reader test is a card read by that reader: prove it with badge and PIN'
            USING ERRCODE = 'WC172';
    END IF;
    PERFORM set_config('workcell.reason', format('reader test at %s: %s', st.name, p_result), true);
    INSERT INTO workcell.access_log (user_id, method, purpose, outcome, detail, challenge_id)
    VALUES (a.id, c.method, 'sign', 'success', left(format('reader test %s %s', st.name, v_reader), 200), c.id)
    RETURNING id INTO v_log;
    INSERT INTO workcell.reader_test (station_id, reader, badge_id, result, detail, access_log_id)
    VALUES (st.id, v_reader, c.badge_id, p_result, v_detail, v_log)
    RETURNING id INTO v_id;
    IF p_result = 'fail' THEN
        INSERT INTO workcell.security_event (kind, user_id, method, detail)
        VALUES ('reader_test_failed', NULL, c.method, format('%s, reader %s: %s', st.name, v_reader, v_detail));
    END IF;
    RETURN v_id;
END $$;

-- Each enabled badge station's reader-test standing: its last test, its last passed test,
-- when the next is due and whether it is overdue (never passed counts as overdue).
CREATE FUNCTION workcell.reader_test_status()
RETURNS TABLE (station text, site text, zone text, last_tested_at timestamptz,
               last_result text, last_passed_at timestamptz, due_at timestamptz,
               overdue boolean, interval_days integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_days integer := (SELECT ap.reader_test_interval_days FROM workcell.account_policy ap WHERE ap.id = 1);
BEGIN
    PERFORM auth.require_permission('security.view');
    RETURN QUERY
    SELECT st.name, st.site, st.zone, lt.tested_at, lt.result, lp.tested_at,
           lp.tested_at + make_interval(days => v_days),
           lp.tested_at IS NULL OR lp.tested_at + make_interval(days => v_days) < now(),
           v_days
      FROM workcell.station st
      LEFT JOIN LATERAL (SELECT rt.tested_at, rt.result FROM workcell.reader_test rt
                          WHERE rt.station_id = st.id ORDER BY rt.tested_at DESC, rt.id DESC LIMIT 1) AS lt ON true
      LEFT JOIN LATERAL (SELECT max(rt.tested_at) AS tested_at FROM workcell.reader_test rt
                          WHERE rt.station_id = st.id AND rt.result = 'pass') AS lp ON true
     WHERE st.enabled AND 'badge+pin' = ANY (st.methods)
     ORDER BY st.name;
END $$;
