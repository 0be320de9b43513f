"""Partial imports: a run says whether it was one (a file of only some people: nobody leaves)

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02 02:45:00

(Chained after 0010 on merge.)
Every run before this one was a full import.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("partial", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_column("partial")
