"""The change log without a foreign key to its account

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-03 17:30:00

A first import writes a change-log row per person; on PostgreSQL each row's foreign-key check
cost as much as the row's own write (issue 16). The log's person and run are plain indexed
columns already, for the same reason; its account now is too. Nothing deletes an account.
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_constraint("fk_change_log_account_id_accounts", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_change_log_account_id_accounts",
            "accounts",
            ["account_id"],
            ["id"],
            ondelete="CASCADE",
        )
