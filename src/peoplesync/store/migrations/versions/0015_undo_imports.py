"""Undo an import: a run says which run it undoes

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-02 05:45:00

An undo (issue 17) is a run of its own, planned from the change log of the run it undoes; the
undone run is found from it ("undone by sync N"). Every run before this one undoes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("undoes_run_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_sync_runs_undoes", ["undoes_run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_runs_undoes")
        batch_op.drop_column("undoes_run_id")
