"""Merge webhook receipts (replays are not acted on twice)

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01 22:30:00

Built on 0007; a parallel 0008 exists on another branch, and the two are chained on merge.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merge_webhook_receipts",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_merge_webhook_receipts")),
    )
    op.create_index(
        op.f("ix_merge_webhook_receipts_received_at"),
        "merge_webhook_receipts",
        ["received_at"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_merge_webhook_receipts_received_at"), table_name="merge_webhook_receipts"
    )
    op.drop_table("merge_webhook_receipts")
