-- The watchdog: ends station transactions that hold a transaction id or a lock past the
-- limit (docs/admin.md#station-limits). Everything it decides is read from the server
-- (pg_stat_activity, pg_locks) and the policy row; it takes no argument a station could
-- bend. It needs the owner to be a member of pg_signal_backend (to end another role's
-- backend) and pg_read_all_stats (to see another role's transaction start and state):
-- `workcell db init-roles`, run by a superuser, grants both.

-- Fails clearly when the owner lacks the two memberships (a watchdog that silently sees
-- nothing would be worse than none).
CREATE FUNCTION auth.require_watchdog_rights() RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT (pg_has_role(current_user, 'pg_signal_backend', 'USAGE')
            AND pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')) THEN
        RAISE EXCEPTION 'The station watchdog cannot see or end station transactions: % lacks pg_signal_backend or pg_read_all_stats', current_user
            USING ERRCODE = 'WC051',
                  HINT = 'A superuser runs `workcell db init-roles` once on this server.';
    END IF;
END $$;

-- Every station backend of THIS database and what its transaction holds. A station is a
-- login that is a member of workcell_app (never the owner, never a superuser).
CREATE FUNCTION auth.station_holds()
RETURNS TABLE (pid integer, station text, state text, xact_start timestamptz,
               state_change timestamptz, backend_start timestamptz, has_xid boolean,
               advisory boolean, strong boolean, seal_lock boolean, holding text)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH db AS (SELECT oid FROM pg_database WHERE datname = current_database()),
    st AS (
        SELECT a.pid, a.usename::text AS station, a.state, a.xact_start, a.state_change,
               a.backend_start, a.backend_xid
          FROM pg_stat_activity a
          JOIN pg_roles r ON r.oid = a.usesysid
         WHERE a.datid = (SELECT oid FROM db) AND a.pid <> pg_backend_pid()
           AND a.backend_type = 'client backend'
           AND NOT r.rolsuper AND r.rolname <> 'workcell_owner'
           AND pg_has_role(a.usesysid, 'workcell_app', 'MEMBER')),
    lk AS (
        SELECT l.pid,
               bool_or(l.locktype = 'advisory') AS advisory,
               bool_or(l.locktype NOT IN ('virtualxid', 'transactionid', 'advisory')
                       AND l.mode <> 'AccessShareLock') AS strong,
               bool_or(l.locktype = 'advisory' AND l.classid = 0 AND l.objid = 1464030021
                       AND l.objsubid = 1) AS seal_lock,
               string_agg(DISTINCT CASE
                   WHEN l.locktype = 'relation' THEN l.mode || ' on ' || l.relation::regclass::text
                   WHEN l.locktype = 'tuple' THEN 'row lock on ' || l.relation::regclass::text
                   WHEN l.locktype = 'advisory' AND l.classid = 0 AND l.objid = 1464030021
                        AND l.objsubid = 1 THEN 'the sealer''s advisory lock'
                   WHEN l.locktype = 'advisory' THEN 'advisory lock ' || l.mode || ' ('
                        || l.classid || ',' || l.objid || ',' || l.objsubid || ')'
                   ELSE l.locktype || ' ' || l.mode END, ', ') AS held
          FROM pg_locks l
         WHERE l.granted AND l.pid IN (SELECT st.pid FROM st)
           AND l.locktype NOT IN ('virtualxid', 'transactionid')
           AND (l.database IS NULL OR l.database IN (0, (SELECT oid FROM db)))
         GROUP BY l.pid)
    SELECT st.pid, st.station, st.state, st.xact_start, st.state_change, st.backend_start,
           st.backend_xid IS NOT NULL, coalesce(lk.advisory, false), coalesce(lk.strong, false),
           coalesce(lk.seal_lock, false),
           left(concat_ws('; ', CASE WHEN st.backend_xid IS NOT NULL
                                     THEN 'transaction id ' || st.backend_xid END, lk.held), 1000)
      FROM st LEFT JOIN lk ON lk.pid = st.pid
$$;

CREATE FUNCTION workcell.end_stuck_station_transactions()
RETURNS TABLE (backend_pid integer, login text, was text, held_s integer, holding text, rule text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = 'system'
-- the watchdog itself never queues behind anyone for long
SET lock_timeout = '5s'
AS $$
DECLARE
    l workcell.station_limits;
    h record;
    v_now timestamptz;
    v_since timestamptz;
    v_limit integer;
    v_user bigint;
BEGIN
    PERFORM auth.require_watchdog_rights();
    SELECT * INTO l FROM workcell.station_limits WHERE id = 1;
    PERFORM pg_stat_clear_snapshot();  -- never judge by a cached copy of backend states
    -- Remember who holds an advisory lock, and since when we first saw it: such a lock can be
    -- taken at session level and kept across any number of short transactions.
    DELETE FROM auth.watchdog_sighting s
     WHERE NOT EXISTS (SELECT 1 FROM auth.station_holds() w
                        WHERE w.pid = s.pid AND w.backend_start = s.backend_start AND w.advisory);
    INSERT INTO auth.watchdog_sighting (pid, backend_start)
    SELECT w.pid, w.backend_start FROM auth.station_holds() w WHERE w.advisory
    ON CONFLICT DO NOTHING;
    v_now := clock_timestamp();

    FOR h IN SELECT w.*, s.first_seen FROM auth.station_holds() w
               LEFT JOIN auth.watchdog_sighting s
                      ON s.pid = w.pid AND s.backend_start = w.backend_start
              ORDER BY w.pid LOOP
        IF h.state LIKE 'idle in transaction%' AND v_now - h.state_change > make_interval(secs => l.idle_limit_s) THEN
            v_since := h.state_change; v_limit := l.idle_limit_s;
            rule := 'idle in transaction';
        ELSIF h.has_xid OR h.strong OR h.advisory THEN
            -- since its transaction began (outside one: since it went idle), and for an
            -- advisory lock since the watchdog first saw it
            v_since := coalesce(h.xact_start, h.state_change, h.backend_start);
            IF h.advisory THEN
                v_since := least(v_since, h.first_seen);
            END IF;
            v_limit := l.transaction_limit_s;
            rule := 'holds a transaction id or lock';
        ELSIF h.xact_start IS NOT NULL THEN
            -- read-only: no transaction id, no lock above ACCESS SHARE, no advisory lock
            v_since := h.xact_start; v_limit := l.report_limit_s;
            rule := 'read-only transaction';
        ELSE
            CONTINUE;  -- idle, holding nothing
        END IF;
        IF v_since IS NULL OR v_now - v_since <= make_interval(secs => v_limit) THEN
            CONTINUE;
        END IF;
        -- Terminate, not cancel: a cancel leaves an idle transaction (and every session-level
        -- lock) in place, and PL/pgSQL can catch query_canceled and carry on.
        IF NOT pg_terminate_backend(h.pid) THEN
            CONTINUE;  -- gone already
        END IF;
        backend_pid := h.pid; login := h.station; was := h.state;
        held_s := floor(extract(epoch FROM v_now - v_since))::integer;
        holding := coalesce(nullif(h.holding, ''), 'a snapshot only');
        rule := rule || format(' (limit %s s)', v_limit);
        SELECT min(s.user_id) INTO v_user FROM auth.session s
         WHERE s.station = h.station AND s.ended_at IS NULL AND s.tx_only IS NULL
        HAVING count(*) = 1;
        PERFORM set_config('workcell.reason', 'station transaction over its time limit', true);
        INSERT INTO workcell.security_event (kind, user_id, station, method, detail)
        VALUES ('station_transaction_ended', v_user, h.station, NULL,
                format('ended station %s (pid %s): %s for %s s, %s; held %s',
                       h.station, h.pid, coalesce(h.state, '?'), held_s, rule, holding));
        DELETE FROM auth.watchdog_sighting s WHERE s.pid = h.pid AND s.backend_start = h.backend_start;
        RETURN NEXT;
    END LOOP;
END $$;

-- Who holds the sealer's lock now (not the caller), and since when.
CREATE FUNCTION auth.seal_lock_holder()
RETURNS TABLE (pid integer, station text, since timestamptz)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT l.pid, a.usename::text,
           least(coalesce(a.xact_start, a.state_change, a.backend_start),
                 (SELECT s.first_seen FROM auth.watchdog_sighting s
                   WHERE s.pid = l.pid AND s.backend_start = a.backend_start))
      FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = 1464030021
       AND l.objsubid = 1 AND l.pid <> pg_backend_pid()
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     LIMIT 1
$$;

-- A sealer that did not get the lock says so: the holder, and for how long. Held past the
-- policy's seal_alarm_s, it becomes a 'sealing_blocked' security event (once per holder's
-- transaction or session).
CREATE FUNCTION audit.report_seal_blocked()
RETURNS TABLE (holder_pid integer, holder_station text, held_s integer, alarm boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = 'system'
SET lock_timeout = '5s'
AS $$
DECLARE
    v_alarm integer := (SELECT seal_alarm_s FROM workcell.station_limits WHERE id = 1);
    v_since timestamptz;
    v_detail text;
BEGIN
    PERFORM pg_stat_clear_snapshot();
    SELECT h.pid, h.station, h.since INTO holder_pid, holder_station, v_since
      FROM auth.seal_lock_holder() h;
    IF holder_pid IS NULL THEN
        held_s := 0; alarm := false;  -- released meanwhile
        RETURN NEXT;
        RETURN;
    END IF;
    held_s := greatest(0, floor(extract(epoch FROM clock_timestamp() - v_since)))::integer;
    alarm := held_s >= v_alarm;
    IF alarm THEN
        v_detail := format('sealing blocked: the sealer''s lock is held by %s (pid %s) since %s',
                           coalesce(holder_station, 'an unknown login'), holder_pid,
                           to_char(v_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
        IF NOT EXISTS (SELECT 1 FROM workcell.security_event e
                        WHERE e.kind = 'sealing_blocked' AND e.at >= v_since AND e.detail = v_detail) THEN
            PERFORM set_config('workcell.reason', 'sealing blocked', true);
            INSERT INTO workcell.security_event (kind, user_id, method, detail)
            VALUES ('sealing_blocked', NULL, NULL, v_detail);
        END IF;
    END IF;
    RETURN NEXT;
END $$;

-- The alarm state for the integrity screen and `workcell audit verify`: who holds the
-- sealer's lock now and for how long, blocked-sealing and watchdog events of the last day,
-- and whether the watchdog has the rights it needs.
CREATE FUNCTION audit.sealing_alarm(
    OUT holder_pid integer, OUT holder_station text, OUT held_s integer, OUT alarm_s integer,
    OUT blocked_events bigint, OUT last_blocked_at timestamptz, OUT last_blocked text,
    OUT ended_events bigint, OUT watchdog_ready boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = 'system'
AS $$
DECLARE
    v_since timestamptz;
BEGIN
    SELECT h.pid, h.station, h.since INTO holder_pid, holder_station, v_since
      FROM auth.seal_lock_holder() h;
    held_s := CASE WHEN v_since IS NULL THEN 0
                   ELSE greatest(0, floor(extract(epoch FROM clock_timestamp() - v_since)))::integer END;
    alarm_s := (SELECT seal_alarm_s FROM workcell.station_limits WHERE id = 1);
    SELECT count(*), max(e.at) INTO blocked_events, last_blocked_at FROM workcell.security_event e
     WHERE e.kind = 'sealing_blocked' AND e.at > now() - interval '24 hours';
    SELECT e.detail INTO last_blocked FROM workcell.security_event e
     WHERE e.kind = 'sealing_blocked' ORDER BY e.id DESC LIMIT 1;
    SELECT count(*) INTO ended_events FROM workcell.security_event e
     WHERE e.kind = 'station_transaction_ended' AND e.at > now() - interval '24 hours';
    watchdog_ready := pg_has_role(current_user, 'pg_signal_backend', 'USAGE')
                      AND pg_has_role(current_user, 'pg_read_all_stats', 'USAGE');
END $$;

-- An administrator changes the limits: permission, fresh credentials, a reason; audited.
CREATE FUNCTION workcell.set_station_limits(p_changes jsonb, p_reason text,
                                            p_challenge_id bigint, p_proof text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('user.administer');
    p workcell.station_limits;
BEGIN
    IF p_changes IS NULL OR jsonb_typeof(p_changes) <> 'object' OR p_changes = '{}'::jsonb
       OR p_changes ?| ARRAY['id', 'version'] THEN
        RAISE EXCEPTION 'Give the limits to change as a JSON object' USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_object_keys(p_changes) k
                WHERE k NOT IN ('transaction_limit_s', 'idle_limit_s', 'report_limit_s', 'seal_alarm_s')) THEN
        RAISE EXCEPTION 'Unknown station limit in %', p_changes USING ERRCODE = '22023';
    END IF;
    PERFORM auth.fresh_credentials(a, p_challenge_id, p_proof, 'station limits change');
    PERFORM auth.require_reason(p_reason);
    SELECT * INTO p FROM workcell.station_limits WHERE id = 1 FOR UPDATE;
    p := jsonb_populate_record(p, p_changes);
    UPDATE workcell.station_limits SET
        transaction_limit_s = p.transaction_limit_s, idle_limit_s = p.idle_limit_s,
        report_limit_s = p.report_limit_s, seal_alarm_s = p.seal_alarm_s, version = version + 1
     WHERE id = 1;
END $$;

REVOKE ALL ON FUNCTION auth.require_watchdog_rights(), auth.station_holds(),
    auth.seal_lock_holder() FROM PUBLIC;
REVOKE ALL ON FUNCTION workcell.end_stuck_station_transactions(), audit.report_seal_blocked(),
    audit.sealing_alarm(), workcell.set_station_limits(jsonb, text, bigint, text) FROM PUBLIC;
-- Stations run the sealer loop (kiosk/sealer.py), so they run the watchdog: it only ever
-- ends what the policy says must end, whoever calls it.
GRANT EXECUTE ON FUNCTION workcell.end_stuck_station_transactions(), audit.report_seal_blocked(),
    audit.sealing_alarm(), workcell.set_station_limits(jsonb, text, bigint, text) TO workcell_app;
GRANT EXECUTE ON FUNCTION audit.sealing_alarm() TO workcell_auditor;
