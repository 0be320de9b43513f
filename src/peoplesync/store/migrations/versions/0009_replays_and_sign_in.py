"""Merge webhook receipts (replays are not acted on twice); logins unique per account; the
sign-in brake counts failures per client address and per login tried

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:30:00

Built after 0008 (person search terms).
`logins.failed_logins` and `locked_until` (0005) give way to `sign_in_failures`. Downgrading
needs every login address to be unique across accounts again (it fails where one is not).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
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
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(
        "ix_sign_in_failures_client", "sign_in_failures", ["kind", "client", "failed_at"]
    )
    op.create_index("ix_sign_in_failures_target", "sign_in_failures", ["target", "failed_at"])
    with op.batch_alter_table("logins", schema=None) as batch_op:
        batch_op.drop_constraint("uq_logins_email_key", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_logins_account_id_email_key"), ["account_id", "email_key"]
        )
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("logins", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint("uq_logins_account_id_email_key", type_="unique")
        batch_op.create_unique_constraint("uq_logins_email_key", ["email_key"])
    op.drop_index("ix_sign_in_failures_target", table_name="sign_in_failures")
    op.drop_index("ix_sign_in_failures_client", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    op.drop_index(
        op.f("ix_merge_webhook_receipts_received_at"), table_name="merge_webhook_receipts"
    )
    op.drop_table("merge_webhook_receipts")
