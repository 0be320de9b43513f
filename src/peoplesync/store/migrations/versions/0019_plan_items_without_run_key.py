"""Plan items without a foreign key to their run

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 18:00:00

A first import stores a plan item per person; on PostgreSQL each item's check of its run cost
a third of storing the plan (100,000 items: 0.92-0.97 s -> 0.58-0.63 s, 3 interleaved pairs;
issue 16). The plan is written only by store/plans.py, for the run in hand, and read by its
run; nothing deletes a run.
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.drop_constraint("fk_plan_items_run_id_sync_runs", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_plan_items_run_id_sync_runs",
            "sync_runs",
            ["run_id"],
            ["id"],
            ondelete="CASCADE",
        )
