"""Hold a person instead of the company: the account's setting and the held changes

Revision ID: 0014
Revises: 0015
Create Date: 2026-12-02 06:00:00

`accounts.hold_per_person` (on for every account, new or existing: an automated sync's
safeguard finding holds only the flagged people) and `held_changes`, the "Held for review" list.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0015"  # given after 0011; chained after main's 0015 so that there is one head
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch copy of `accounts` would drop the table, and its foreign keys
    # would take everything an account owns with it (SQLite).
    op.add_column(
        "accounts",
        sa.Column("hold_per_person", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.create_table(
        "held_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=900), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome_run_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_held_changes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["sync_runs.id"],
            name=op.f("fk_held_changes_run_id_sync_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_changes")),
    )
    op.create_index(
        "ix_held_changes_account_status", "held_changes", ["account_id", "status", "id"]
    )
    op.create_index("ix_held_changes_run", "held_changes", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_held_changes_run", table_name="held_changes")
    op.drop_index("ix_held_changes_account_status", table_name="held_changes")
    op.drop_table("held_changes")
    op.execute("ALTER TABLE accounts DROP COLUMN hold_per_person")
