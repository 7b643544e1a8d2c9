-- Rollback-proof counters. Ordinary rows roll back with the transaction that wrote them;
-- sequences do not (nextval survives ROLLBACK), so every attempt and failure is counted
-- on sequences, one pair per person ('user:<id>': attempts, failures) and per station
-- ('station:<login role>': look-ups, failures). Counts in a window are the counter now
-- minus its value when the oldest committed challenge of the window was issued.
CREATE TABLE auth.counter (
    subject   text PRIMARY KEY,
    attempts  regclass NOT NULL,
    failures  regclass NOT NULL
);
CREATE SEQUENCE auth.counter_number_seq;

CREATE FUNCTION auth.ensure_counter(p_subject text) RETURNS auth.counter
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    c auth.counter;
    n bigint;
BEGIN
    SELECT * INTO c FROM auth.counter WHERE subject = p_subject;
    IF FOUND THEN
        RETURN c;
    END IF;
    n := nextval('auth.counter_number_seq');
    EXECUTE format('CREATE SEQUENCE auth.c%s_attempts', n);
    EXECUTE format('CREATE SEQUENCE auth.c%s_failures', n);
    INSERT INTO auth.counter VALUES (p_subject, format('auth.c%s_attempts', n)::regclass,
                                     format('auth.c%s_failures', n)::regclass)
    RETURNING * INTO c;
    RETURN c;
END $$;

CREATE FUNCTION auth.counter_value(p_seq regclass) RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce(pg_sequence_last_value(p_seq), 0) $$;

-- Counters are rebased after a restart or a promotion (a sequence may jump ahead by up to
-- 32 after a crash): only challenges issued in the current epoch count.
CREATE FUNCTION auth.epoch() RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_postmaster_start_time()::text || '/'
        || CASE WHEN pg_is_in_recovery() THEN 'standby'
                ELSE substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8) END
$$;

-- Failures counted since the oldest committed challenge of the window (its counter value,
-- p_window_base), or since an administrator's rebase if that came later; none without one.
CREATE FUNCTION auth.failures_since(c auth.counter, p_window_base bigint) RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT auth.counter_value(c.failures) - coalesce(
        greatest(p_window_base, (SELECT max(b.value) FROM auth.counter_base b
                                  WHERE b.subject = c.subject)),
        auth.counter_value(c.failures))
$$;

-- Failures of a person in the policy's rolling window; a success does not clear them.
CREATE FUNCTION auth.user_failures(p_user_id bigint) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c auth.counter := auth.ensure_counter('user:' || p_user_id);
    p workcell.identity_policy;
    v_base bigint;
BEGIN
    SELECT * INTO p FROM workcell.identity_policy WHERE id = 1;
    SELECT min(ch.fail_seen) INTO v_base FROM auth.challenge ch
     WHERE ch.user_id = p_user_id AND ch.epoch = auth.epoch()
       AND ch.issued_at >= clock_timestamp() - make_interval(secs => p.failure_window_s);
    RETURN auth.failures_since(c, v_base);
END $$;

-- Failures from one station in the station window, against anyone (a burst against many
-- people is an attack on the floor, not a forgotten PIN).
CREATE FUNCTION auth.station_failures(p_station text) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c auth.counter := auth.ensure_counter('station:' || p_station);
    p workcell.identity_policy;
    v_base bigint;
BEGIN
    SELECT * INTO p FROM workcell.identity_policy WHERE id = 1;
    SELECT min(ch.station_fail_seen) INTO v_base FROM auth.challenge ch
     WHERE ch.station = p_station AND ch.epoch = auth.epoch()
       AND ch.issued_at >= clock_timestamp() - make_interval(secs => p.station_window_s);
    RETURN auth.failures_since(c, v_base);
END $$;

-- Every person and every registered station gets its counters when its row is committed.
CREATE FUNCTION auth.counters_for_new_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM auth.ensure_counter('user:' || NEW.id);
    ELSE
        PERFORM auth.ensure_counter('station:' || NEW.login_role);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER counters_for_new_row AFTER INSERT ON workcell.users
    FOR EACH ROW EXECUTE FUNCTION auth.counters_for_new_row();
ALTER TABLE workcell.users ENABLE ALWAYS TRIGGER counters_for_new_row;
CREATE TRIGGER counters_for_new_row AFTER INSERT ON workcell.station
    FOR EACH ROW EXECUTE FUNCTION auth.counters_for_new_row();
ALTER TABLE workcell.station ENABLE ALWAYS TRIGGER counters_for_new_row;
