"""Limits a station cannot lift: time-outs, watchdog, sealer try-lock, size caps (issue 11 item 4).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

- workcell.station_limits (one policy row) and workcell.set_station_limits(): the watchdog's
  limits, changed by an administrator with fresh credentials and a reason (audited).
- workcell.end_stuck_station_transactions(): the watchdog every sealer loop runs; it
  terminates station backends of this database whose transaction holds a transaction id or
  a lock past the limit (read-only transactions get the longer report limit), and records
  each as a 'station_transaction_ended' security event. Needs pg_signal_backend and
  pg_read_all_stats for the owner (`workcell db init-roles`, by a superuser).
- audit.seal() tries the sealer's advisory lock instead of waiting (WC050 when held);
  audit.report_seal_blocked() and audit.sealing_alarm() tell the sealer, the integrity
  screen and verify who holds it ('sealing_blocked' events past seal_alarm_s).
- workcell.field_cap and a CHECK constraint ck_<table>_<column>_len per text/jsonb column.
  Oversized rows written before the cap keep the constraint NOT VALID (docs/admin.md).

The station time-outs themselves (statement_timeout, lock_timeout,
idle_in_transaction_session_timeout) are per-database role settings, which only a
superuser or CREATEROLE login can make: migrations/roles.py, run by `workcell db init-roles`
and `workcell station add`.

Error codes added here (translated in domain/errors.py):
  WC050 sealing blocked: the sealer's lock is held by another session
  WC051 the watchdog lacks pg_signal_backend / pg_read_all_stats
"""

from importlib import resources

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ACTOR = """
SELECT set_config('workcell.system_actor', 'system', true),
       set_config('workcell.reason', 'migration 0010: station limits and size caps', true);
"""


def _sql(name: str) -> str:
    return resources.files("migrations").joinpath("sql", "limits", name).read_text("utf-8")


def upgrade() -> None:
    op.execute(ACTOR)
    for name in ("tables.sql", "watchdog.sql", "seal.sql", "caps.sql"):
        op.execute(_sql(name))


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
