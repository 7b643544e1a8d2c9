"""Challenge ids survive a crash (issue 17, found by the fault tests): the identity sequence
of the unlogged auth.challenge is made logged, so an immediate shutdown, a crash or a failover
no longer restarts challenge ids at 1 under workcell.access_log's unique index (which refused
every sign-in and signature after a crash until the sequence caught up).

Revision ID: 0027
Revises: 0022
Create Date: 2026-12-02

SQL in migrations/sql/identity/challenge_sequence.sql. No new error codes.
"""

from alembic import op

from migrations.area import sql_file

revision = "0027"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file("identity", "challenge_sequence.sql"))


def downgrade() -> None:
    op.execute(
        "DO $$ BEGIN EXECUTE format('ALTER SEQUENCE %s SET UNLOGGED',"
        " pg_get_serial_sequence('auth.challenge', 'id')); END $$"
    )
