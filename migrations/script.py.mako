"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Rules for every WorkCell migration (see docs/architecture.md):
- never import model classes; write the schema here, explicitly;
- every table holding regulated data gets the audit trigger: SELECT audit.attach('schema.table', ...)
  (masking secret columns), and explicit grants for workcell_app and workcell_auditor;
- secrets (PIN hashes, badge hashes) get column grants so the auditor role cannot read them;
- a test proves the app role cannot bypass the trigger or the grants.
"""
from alembic import op

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
