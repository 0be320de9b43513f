"""pending mirror rows in a table of their own (source_pending), out of the mirror's rows

Taking changes into the directory used to rewrite every changed mirror row a second time (to clear
its `pending_run`); it now deletes a few rows of a small table.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_pending",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "source_id"),
    )
    op.create_index("ix_source_pending_run", "source_pending", ["connection_id", "run_id"])
    op.execute(
        "INSERT INTO source_pending (connection_id, source_id, run_id) "
        "SELECT connection_id, source_id, pending_run FROM source_records "
        "WHERE pending_run IS NOT NULL"
    )
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.drop_index("ix_source_records_pending")
        batch_op.drop_column("pending_run")


def downgrade() -> None:
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_run", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_source_records_pending", ["connection_id", "pending_run"], unique=False
        )
    op.execute(
        "UPDATE source_records SET pending_run = ("
        "SELECT run_id FROM source_pending p WHERE p.connection_id = source_records.connection_id "
        "AND p.source_id = source_records.source_id)"
    )
    op.drop_index("ix_source_pending_run", table_name="source_pending")
    op.drop_table("source_pending")
