"""Anchors per installation: each database gets an id when it is created, kept in the
database (and by a restore), and every anchor line names it, so one machine that serves a
test and a production database (or two demo runs) keeps their anchors apart. Verify checks
the anchors of its own installation and ignores the others'. See docs/audit.md ("Anchors").

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INSTALLATION = """
CREATE TABLE audit.installation (
    id          uuid NOT NULL DEFAULT gen_random_uuid() CONSTRAINT pk_installation PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    one_row     boolean NOT NULL DEFAULT true CONSTRAINT uq_installation_one UNIQUE
                CONSTRAINT ck_installation_one CHECK (one_row)
);
COMMENT ON TABLE audit.installation IS
    'This installation''s id, created with the database; every anchor names it. Append-only.';
INSERT INTO audit.installation DEFAULT VALUES;
SELECT audit.make_append_only('audit.installation');
GRANT SELECT ON audit.installation TO workcell_app, workcell_auditor;
"""


def upgrade() -> None:
    op.execute(INSTALLATION)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
