"""incremental planning: the mirror's look-up columns and pending rows, the connection's step

The mirror is emptied and the next sync of every connection fetches everything: the new columns
are filled as records are written, and a full fetch rebuilds them all.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_LOOKUPS = (
    ("ix_source_records_email", "email_key"),
    ("ix_source_records_employee", "employee_key"),
    ("ix_source_records_manager", "manager_source_id"),
    ("ix_source_records_end_date", "end_date"),
    ("ix_source_records_pending", "pending_run"),
)


def upgrade() -> None:
    op.execute("DELETE FROM source_records")
    op.execute("UPDATE connections SET last_fetch_started_at = NULL")
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.alter_column("record", existing_type=sa.JSON(), nullable=True)
        batch_op.add_column(sa.Column("email_key", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("employee_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("manager_source_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("end_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("pending_run", sa.Integer(), nullable=True))
        for name, column in _LOOKUPS:
            batch_op.create_index(name, ["connection_id", column], unique=False)
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_step", sa.JSON(), nullable=True))
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mirror_basis", sa.String(length=64), nullable=True))
    with op.batch_alter_table("person_demographics", schema=None) as batch_op:
        batch_op.drop_index("ix_person_demographics_demographic")
        batch_op.create_index(
            "ix_person_demographics_value", ["demographic_id", "value"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("person_demographics", schema=None) as batch_op:
        batch_op.drop_index("ix_person_demographics_value")
        batch_op.create_index(
            "ix_person_demographics_demographic", ["demographic_id"], unique=False
        )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_column("mirror_basis")
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.drop_column("in_step")
    op.execute("DELETE FROM source_records")
    op.execute("UPDATE connections SET last_fetch_started_at = NULL")
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        for name, _ in _LOOKUPS:
            batch_op.drop_index(name)
        batch_op.drop_column("pending_run")
        batch_op.drop_column("end_date")
        batch_op.drop_column("manager_source_id")
        batch_op.drop_column("employee_key")
        batch_op.drop_column("email_key")
        batch_op.alter_column("record", existing_type=sa.JSON(), nullable=False)
