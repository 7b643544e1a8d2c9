"""What an NCR's disposition does to the work order its step inspection came from (issue 16
item 4): scrap or return to supplier stops the work order at that step, which never goes
on; before this the work order could neither complete (a step not done) nor be cancelled
(it has entries) and stayed in progress for ever. It is now completed short: every step
before the stopped one done, the completion opens a deviation naming the inspection and the
NCR (QA approves it before the review, as for yield), and the record shows the steps not
done. A rework disposition is still refused, its message now true (0018 said work orders
were not available). And a risk matrix's approvals always include QA's (a CHECK: a draft
written by plain SQL cannot drop it; every installed row has it).

Revision ID: 0035
Revises: 0033
Create Date: 2026-12-03

SQL in migrations/sql/ncr_outcomes/functions.sql: workcell.work_order_stop(bigint) (new,
read by stations and auditors) and CREATE OR REPLACE of workcell.work_order_may_complete
(0013), workcell.work_order_reconcile (0013) and workcell.ncr_may_disposition (0018),
whose grants, triggers and transition rules are kept; CHECK ck_risk_matrix_approval_qa.
No new error codes.
"""

from migrations.area import Area, grant, run_files

revision = "0035"
down_revision = "0033"
branch_labels = None
depends_on = None

AREA = Area(
    sql_dir="ncr_outcomes",
    files=("functions.sql",),
    read_functions=("workcell.work_order_stop(bigint)",),
)


def upgrade() -> None:
    run_files(AREA)
    grant(AREA)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
