-- Who is acting. A person only through a session token the database issued to this
-- station (workcell.session, set per transaction); a system actor only when the current
-- role is the owner and the value comes from a SECURITY DEFINER function's own SET clause
-- (every writing SECURITY DEFINER function declares workcell.system_actor, so a value a
-- station sets is overridden there) or from the owner's own connection (migrations, demo
-- seed). Nothing resolved is cached where a station could write it.
CREATE OR REPLACE FUNCTION workcell.current_actor_id() RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_system text;
BEGIN
    IF current_user = 'workcell_owner' THEN
        v_system := current_setting('workcell.system_actor', true);
        IF v_system IS NOT NULL AND v_system <> '' THEN
            RETURN workcell.system_actor_id(v_system);
        END IF;
    END IF;
    RETURN workcell.session_actor(current_setting('workcell.session', true));
END $$;

CREATE FUNCTION workcell.system_actor_id(p_name text) RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    SELECT id INTO v_id FROM workcell.users WHERE username = p_name AND kind = 'system';
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'Unknown system actor "%"', p_name USING ERRCODE = 'WC002';
    END IF;
    -- The bootstrap actor may only create the first people; after that it is refused.
    IF p_name = 'bootstrap'
       AND EXISTS (SELECT 1 FROM workcell.users WHERE kind = 'person'
                   AND xmin::text::bigint <> pg_current_xact_id()::text::bigint % 4294967296) THEN
        RAISE EXCEPTION 'The bootstrap actor is closed once a person exists; act as an administrator'
            USING ERRCODE = 'WC002';
    END IF;
    RETURN v_id;
END $$;

-- The person behind a session token: issued to this station (session_user), not ended,
-- not idle past its expiry, person active, station registered and enabled; a signature's
-- one-transaction session only inside that transaction.
CREATE FUNCTION workcell.session_actor(p_token text) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_user bigint;
BEGIN
    IF p_token IS NULL OR p_token = '' THEN
        RAISE EXCEPTION 'Nobody is signed in for this change'
            USING ERRCODE = 'WC001',
                  HINT = 'Sign in with badge and PIN; every transaction names its session.';
    END IF;
    SELECT s.user_id INTO v_user
      FROM auth.session s
      JOIN workcell.users u ON u.id = s.user_id AND u.status = 'active'
      JOIN workcell.station st ON st.login_role = s.station AND st.enabled
     WHERE s.token_hash = sha256(convert_to(p_token, 'UTF8'))
       AND s.station = session_user
       AND s.ended_at IS NULL
       AND s.last_seen + make_interval(secs => s.idle_s) > now()
       AND (s.tx_only IS NULL OR s.tx_only = pg_current_xact_id_if_assigned());
    IF v_user IS NULL THEN
        RAISE EXCEPTION 'This sign-in is no longer valid (signed out, timed out, ended by another sign-in, '
                        'not issued to this station, or the person or station is no longer active)'
            USING ERRCODE = 'WC002', HINT = 'Sign in again with badge and PIN.';
    END IF;
    RETURN v_user;
END $$;

-- Called at the start of each transaction: refuses an invalid session early, and moves
-- "last seen" on at most every tenth of the idle time. Returns true when it did, so the
-- caller commits that at once (a read-only unit of work rolls back, and would lose it).
CREATE FUNCTION workcell.touch_session() RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_token text := current_setting('workcell.session', true);
    v_user bigint := workcell.session_actor(v_token);
BEGIN
    UPDATE auth.session s SET last_seen = now()
     WHERE s.token_hash = sha256(convert_to(v_token, 'UTF8')) AND s.tx_only IS NULL
       AND s.user_id = v_user
       AND s.last_seen < now() - make_interval(secs => s.idle_s / 10.0);
    RETURN FOUND;
END $$;

-- Sign-out, lock and idle lock end the session named by this transaction's token.
CREATE FUNCTION workcell.end_session(p_reason text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
BEGIN
    UPDATE auth.session s SET ended_at = clock_timestamp(),
           end_reason = left(coalesce(nullif(btrim(p_reason), ''), 'signed out'), 200)
     WHERE s.token_hash = sha256(convert_to(coalesce(current_setting('workcell.session', true), ''), 'UTF8'))
       AND s.station = session_user AND s.ended_at IS NULL;
END $$;
