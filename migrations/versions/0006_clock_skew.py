"""Security events: station clock skew.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

Records never take their time from a station (the database's clock is the only one), but a
station whose own clock has drifted is a symptom worth a supervisor's look: it shows wrong
times to people before it syncs, and it hints at an unmanaged machine. The kiosk records a
'clock_skew' security event when its clock and the server's differ by more than the limit.

The kind is added to whatever list 0003 defines (read back from the catalogue), so this
migration does not have to repeat — and cannot silently drop — kinds added there.
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = r"""
DO $$
DECLARE
    v_def text;
BEGIN
    SELECT pg_get_constraintdef(oid) INTO v_def FROM pg_constraint
     WHERE conname = 'ck_security_event_kind'
       AND conrelid = 'workcell.security_event'::regclass;
    IF v_def IS NULL OR position('''clock_skew''' IN v_def) > 0 THEN
        RETURN;
    END IF;
    IF position('::text])' IN v_def) = 0 THEN
        RAISE EXCEPTION 'unexpected form of ck_security_event_kind: %', v_def;
    END IF;
    EXECUTE 'ALTER TABLE workcell.security_event DROP CONSTRAINT ck_security_event_kind';
    EXECUTE 'ALTER TABLE workcell.security_event ADD CONSTRAINT ck_security_event_kind '
         || replace(v_def, '::text])', '::text, ''clock_skew''::text])');
END $$;
"""

DOWNGRADE = r"""
DO $$
DECLARE
    v_def text;
BEGIN
    SELECT pg_get_constraintdef(oid) INTO v_def FROM pg_constraint
     WHERE conname = 'ck_security_event_kind'
       AND conrelid = 'workcell.security_event'::regclass;
    EXECUTE 'ALTER TABLE workcell.security_event DROP CONSTRAINT ck_security_event_kind';
    EXECUTE 'ALTER TABLE workcell.security_event ADD CONSTRAINT ck_security_event_kind '
         || replace(v_def, ', ''clock_skew''::text', '');
END $$;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
