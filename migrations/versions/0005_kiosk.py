"""Kiosk: drafts, the unsaved input a person left on a station when someone else signed in.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

A draft is parked (by the person whose sign-in displaced its owner), then either resumed or
discarded by its owner at their next sign-in on that station. Every step is a row change
in the audit trail; drafts are never deleted, and what was typed can never be edited.
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DRAFTS = """
CREATE TABLE workcell.kiosk_draft (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_kiosk_draft PRIMARY KEY,
    owner_id   bigint NOT NULL CONSTRAINT fk_kiosk_draft_owner_id REFERENCES workcell.users (id),
    station    text NOT NULL CONSTRAINT ck_kiosk_draft_station CHECK (btrim(station) <> ''),
    screen     text NOT NULL CONSTRAINT ck_kiosk_draft_screen CHECK (btrim(screen) <> ''),
    summary    text NOT NULL,
    payload    jsonb NOT NULL CONSTRAINT ck_kiosk_draft_payload CHECK (jsonb_typeof(payload) = 'object'),
    status     text NOT NULL DEFAULT 'parked'
               CONSTRAINT ck_kiosk_draft_status CHECK (status IN ('parked', 'resumed', 'discarded')),
    parked_at  timestamptz NOT NULL DEFAULT now(),
    -- who was signing in when the owner's input was parked (the transaction's actor)
    parked_by  bigint NOT NULL DEFAULT workcell.current_actor_id()
               CONSTRAINT fk_kiosk_draft_parked_by REFERENCES workcell.users (id),
    closed_at  timestamptz,
    version    integer NOT NULL DEFAULT 1,
    CONSTRAINT ck_kiosk_draft_closed CHECK ((status = 'parked') = (closed_at IS NULL))
);
COMMENT ON TABLE workcell.kiosk_draft IS
    'Unsaved kiosk input parked for its owner on one station; resumed or discarded, never deleted.';
CREATE INDEX ix_kiosk_draft_owner_station ON workcell.kiosk_draft (owner_id, station)
    WHERE status = 'parked';

SELECT audit.attach('workcell.kiosk_draft');
CREATE TRIGGER kiosk_draft_immutable BEFORE UPDATE ON workcell.kiosk_draft
    FOR EACH ROW EXECUTE FUNCTION audit.refuse_immutable_change(
        'owner_id', 'station', 'screen', 'summary', 'payload', 'parked_at', 'parked_by');
ALTER TABLE workcell.kiosk_draft ENABLE ALWAYS TRIGGER kiosk_draft_immutable;

GRANT SELECT, INSERT, UPDATE ON workcell.kiosk_draft TO workcell_app;
GRANT SELECT ON workcell.kiosk_draft TO workcell_auditor;
"""


def upgrade() -> None:
    op.execute(DRAFTS)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
