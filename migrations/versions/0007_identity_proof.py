"""The database proves the person: challenge-and-response PIN checks (SCRAM over argon2id),
rollback-proof failure counters, database sessions behind every write, signatures that carry
their own proof, administration through functions, registered stations and an access log.
See docs/signatures.md and docs/architecture.md ("What a station login can do").

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The functions are kept whole in migrations/sql/identity/ and migrations/sql/audit/.

Error codes added here (translated in domain/errors.py):
  WC030 station not registered, disabled, or not allowed this sign-in method
  WC031 challenge not valid (expired, used, overtaken, another station's or purpose)
  WC032 badge/username or PIN not recognised, wrong PIN (attempts left in the message)
  WC033 station blocked (too many look-ups or failed attempts in its window)
  WC034 account locked            WC035 PIN set by an administrator: choose your own
  WC036 account disabled          WC037 badge revoked
  WC038 PIN expired               WC039 permission denied
  WC040 no such user/badge/station
  WC041 new PIN reuses a recent one
  WC042 card already issued
"""

from importlib import resources

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _sql(area: str, name: str) -> str:
    return resources.files("migrations").joinpath("sql", area, name).read_text("utf-8")


SCHEMA = """
CREATE SCHEMA auth;
REVOKE ALL ON SCHEMA auth FROM PUBLIC;
"""

# Existing PINs need no re-enrolment: an argon2id PHC string holds the raw output the
# SCRAM stored key is derived from. The hashes are then dropped: nothing keeps them.
MIGRATE_PINS = r"""
INSERT INTO auth.pin_verifier (pin_id, salt, memory_kib, time_cost, parallelism, stored_key)
SELECT up.id, auth.b64_nopad(parts[5]),
       substring(parts[4] from 'm=([0-9]+)')::int, substring(parts[4] from 't=([0-9]+)')::int,
       substring(parts[4] from 'p=([0-9]+)')::int, auth.stored_key(auth.b64_nopad(parts[6]))
  FROM workcell.user_pin up, LATERAL string_to_array(up.pin_hash, '$') AS parts;
ALTER TABLE workcell.user_pin DROP COLUMN pin_hash;

SELECT auth.ensure_counter('user:' || id) FROM workcell.users;
-- Station logins that have written to this database (roles are cluster-wide: a login of
-- another database on the same server is not this one's station) become registered
-- stations for badge + PIN; `workcell station add` changes what each one may use.
INSERT INTO workcell.station (name, login_role)
SELECT r.rolname, r.rolname FROM pg_roles r
 WHERE r.rolcanlogin AND pg_has_role(r.oid, 'workcell_app', 'MEMBER')
   AND NOT r.rolsuper AND r.rolname ~ '^[a-z_][a-z0-9_]{0,62}$'
   AND r.rolname IN (SELECT DISTINCT station FROM audit.entry);
"""

EVENT_KINDS = r"""
DO $$
DECLARE
    v_def text;
BEGIN
    SELECT pg_get_constraintdef(oid) INTO v_def FROM pg_constraint
     WHERE conname = 'ck_security_event_kind' AND conrelid = 'workcell.security_event'::regclass;
    IF position('''unrecorded_failures''' IN v_def) > 0 THEN
        RETURN;
    END IF;
    EXECUTE 'ALTER TABLE workcell.security_event DROP CONSTRAINT ck_security_event_kind';
    EXECUTE 'ALTER TABLE workcell.security_event ADD CONSTRAINT ck_security_event_kind '
         || replace(v_def, '::text])', '::text, ''unrecorded_failures''::text, '
                    '''station_blocked''::text, ''station_cleared''::text])');
END $$;
"""

ATTACH = """
SELECT audit.attach('workcell.identity_policy');
SELECT audit.attach('workcell.station');
CREATE TRIGGER station_immutable BEFORE UPDATE ON workcell.station
    FOR EACH ROW EXECUTE FUNCTION audit.refuse_immutable_change('login_role', 'created_at');
ALTER TABLE workcell.station ENABLE ALWAYS TRIGGER station_immutable;
SELECT audit.attach('workcell.access_log');
SELECT audit.make_append_only('workcell.access_log');
DROP TABLE workcell.auth_state;
DROP FUNCTION workcell.record_auth_failure(bigint, text, integer, text);
DROP FUNCTION workcell.reset_auth_failures(bigint);
"""

# Every SECURITY DEFINER function declares the system actor it works as ('' = a person's
# session), so a value a station sets never reaches owner-side code. Two hot-path
# functions that resolve no actor and write no audited table are the exceptions (tested).
DECLARE_SYSTEM_ACTOR = r"""
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE p.prosecdef AND n.nspname IN ('workcell', 'audit', 'auth')
                AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) c
                                 WHERE c LIKE 'workcell.system_actor=%')
                AND p.oid::regprocedure::text NOT IN (
                    'audit.append_entry(bigint,text,text,text,jsonb,jsonb,text)',
                    'workcell.session_actor(text)') LOOP
        EXECUTE format('ALTER FUNCTION %s SET workcell.system_actor = %L', f.sig, '');
    END LOOP;
END $$;
"""

GRANTS = """
-- Stations lose every direct write on identity tables, and the secrets.
REVOKE INSERT, UPDATE, DELETE ON workcell.users, workcell.user_role, workcell.user_pin,
    workcell.badge, workcell.identity_verification, workcell.policy_acknowledgement,
    workcell.security_event FROM workcell_app;
REVOKE SELECT ON workcell.badge FROM workcell_app;
GRANT SELECT (id, user_id, issued_at, issued_by, replaces_id, revoked_at, revoked_by,
              revoke_reason, version) ON workcell.badge TO workcell_app;
GRANT SELECT ON workcell.identity_policy, workcell.station, workcell.access_log
    TO workcell_app, workcell_auditor;
REVOKE ALL ON FUNCTION workcell.badge_digest(text), workcell.record_security_event(text, bigint, text, text),
    workcell.apply_signature(text, bigint, text, text, text, integer) FROM workcell_app;

DO $$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'auth' LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f.sig);
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION workcell.current_actor_id(), workcell.system_actor_id(text),
    workcell.session_actor(text), workcell.touch_session(), workcell.end_session(text),
    workcell.auth_challenge(text, text, text), workcell.sign_in(bigint, text),
    workcell.record_refusal(bigint, text), workcell.sign(bigint, text, text, jsonb, text),
    workcell.bootstrap_admin(text, text, text, integer, integer, integer, text),
    workcell.add_user(text, text), workcell.disable_user(text, text),
    workcell.grant_role(text, text), workcell.revoke_role(text, text, text),
    workcell.admin_set_pin(text, text, integer, integer, integer, text, text),
    workcell.change_pin(bigint, text, text, integer, integer, integer, text, text[]),
    workcell.issue_badge(text, text, bigint), workcell.revoke_badge(bigint, text),
    workcell.lock_user(text, text), workcell.unlock_user(text, text, bigint, text),
    workcell.verify_identity(text, text), workcell.acknowledge_policy(bigint, text),
    workcell.register_station(text, text, text, text, text[], boolean),
    workcell.set_station_enabled(text, boolean, text), workcell.clear_station(text, text),
    workcell.set_identity_policy(jsonb, text, bigint, text), workcell.report_clock_skew(timestamptz, integer),
    workcell.reconcile_counters(), workcell.station_overview()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION workcell.current_actor_id(), workcell.session_actor(text)
    TO workcell_app, workcell_auditor;
GRANT EXECUTE ON FUNCTION workcell.touch_session(), workcell.end_session(text),
    workcell.auth_challenge(text, text, text), workcell.sign_in(bigint, text),
    workcell.record_refusal(bigint, text), workcell.sign(bigint, text, text, jsonb, text),
    workcell.add_user(text, text), workcell.disable_user(text, text),
    workcell.grant_role(text, text), workcell.revoke_role(text, text, text),
    workcell.admin_set_pin(text, text, integer, integer, integer, text, text),
    workcell.change_pin(bigint, text, text, integer, integer, integer, text, text[]),
    workcell.issue_badge(text, text, bigint), workcell.revoke_badge(bigint, text),
    workcell.lock_user(text, text), workcell.unlock_user(text, text, bigint, text),
    workcell.verify_identity(text, text), workcell.acknowledge_policy(bigint, text),
    workcell.set_station_enabled(text, boolean, text), workcell.clear_station(text, text),
    workcell.set_identity_policy(jsonb, text, bigint, text), workcell.report_clock_skew(timestamptz, integer),
    workcell.reconcile_counters(), workcell.station_overview()
    TO workcell_app;
"""


def upgrade() -> None:
    op.execute(SCHEMA)
    for name in (
        "hmac.sql",
        "tables.sql",
        "counters.sql",
        "actor.sql",
        "challenge.sql",
        "sign.sql",
        "admin.sql",
    ):
        op.execute(_sql("identity", name))
    op.execute(_sql("audit", "record_change.sql"))
    op.execute(MIGRATE_PINS)
    op.execute(EVENT_KINDS)
    op.execute(ATTACH)
    op.execute(DECLARE_SYSTEM_ACTOR)
    op.execute(GRANTS)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
