"""Part 11 account controls (issue 17 item 6): the periodic account review, dormant accounts
disabled by an administrator's signed decision, lost badges revoked everywhere at once, and
the periodic test of badge readers and cards with an overdue report (11.300(e)).

Revision ID: 0029
Revises: 0031
Create Date: 2026-12-02

SQL in migrations/sql/accounts/ (tables, functions). See docs/admin.md ("Account controls").

- ``workcell.account_policy`` (one row): the dormancy period and the reader-test interval,
  changed by ``set_account_policy`` only (``user.administer``, a reason, fresh credentials).
- ``account_review()`` (``security.view``): every person, roles, state, last sign-in, last
  use, badges, identity check, dormant or not.
- ``disable_dormant_accounts(usernames, reason, challenge, proof)`` (``user.administer``
  and fresh credentials): one decision (``workcell.dormancy_decision``, append-only)
  disabling every listed account, each of which must be dormant (WC170).
- ``revoke_badge`` now also voids the badge's outstanding challenges (a prompt issued
  before the revocation can no longer be answered); ``report_badge_lost`` revokes and ends
  the holder's badge sessions at every station.
- ``record_reader_test`` (``reader.test``, granted to admin and supervisor; fresh proof):
  ``workcell.reader_test`` (append-only); a pass is the tester's card read at the station
  tested. ``reader_test_status()`` (``security.view``): last test, last pass, due, overdue.

Error codes (domain/errors.py):
  WC170 an account in a dormancy decision is not dormant (or is disabled already)
  WC171 a dormancy decision's list is empty, too long, or names an account twice
  WC172 a reader test refused (result, reader, a pass not read at its own station by badge)
  WC174 an account-policy change that changes nothing
"""

from migrations.area import Area, add_caps, install

revision = "0029"
down_revision = "0031"
branch_labels = None
depends_on = None

FILES = ("tables.sql", "functions.sql")
TABLES = ("account_policy", "dormancy_decision", "reader_test")
APPEND_ONLY = ("dormancy_decision", "reader_test")

STATION_FUNCTIONS = (
    "workcell.account_review()",
    "workcell.disable_dormant_accounts(text[], text, bigint, text)",
    "workcell.report_badge_lost(bigint, text)",
    "workcell.set_account_policy(integer, integer, text, bigint, text)",
    "workcell.record_reader_test(text, text, text, text, bigint, text)",
    "workcell.reader_test_status()",
)
INTERNAL_FUNCTIONS = (
    "auth.last_activity(bigint)",
    "auth.is_dormant(workcell.users, integer)",
)

AREA = Area(
    sql_dir="accounts",
    files=FILES,
    tables=TABLES,
    append_only=APPEND_ONLY,
    station_functions=STATION_FUNCTIONS,
    internal_functions=INTERNAL_FUNCTIONS,
)


def upgrade() -> None:
    install(AREA)
    add_caps(
        [
            ("dormancy_decision", "usernames", "Dormancy decision accounts", 40000),
            ("dormancy_decision", "reason", "Dormancy decision reason", 500),
            ("dormancy_decision", "station", "Dormancy decision station", 63),
            ("reader_test", "reader", "Badge reader", 120),
            ("reader_test", "result", "Reader test result", 4),
            ("reader_test", "detail", "Reader test note", 500),
            ("reader_test", "recorded_at", "Reader test recorded at", 63),
        ]
    )


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
