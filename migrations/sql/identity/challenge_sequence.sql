-- auth.challenge is UNLOGGED (a challenge lives a minute), and since PostgreSQL 15 the identity
-- sequence of an unlogged table is unlogged too: a crash, an immediate shutdown or a failover
-- reset it to 1 while workcell.access_log keeps the ids it has logged under a unique index.
-- Every sign-in and signature after a crash was then refused ("already in use") until the
-- sequence passed the largest logged id. The sequence is logged (WAL once per 32 values, and
-- replicated); the table stays unlogged. A server that already crashed has its ids moved past
-- every id the access log holds.
DO $$
DECLARE
    seq text := pg_get_serial_sequence('auth.challenge', 'id');
    here bigint;
    logged bigint;
BEGIN
    EXECUTE format('ALTER SEQUENCE %s SET LOGGED', seq);
    EXECUTE format('SELECT last_value FROM %s', seq) INTO here;
    SELECT greatest(coalesce(max(challenge_id), 0), (SELECT coalesce(max(id), 0) FROM auth.challenge))
      INTO logged FROM workcell.access_log;
    IF logged >= here THEN
        PERFORM setval(seq, logged);
    END IF;
END
$$;
