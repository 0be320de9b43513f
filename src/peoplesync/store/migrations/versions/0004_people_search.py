"""people search indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 13:33:28.355366
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_account_name"))
        batch_op.create_index(
            "ix_people_account_name", ["account_id", "name_key", "id"], unique=False
        )
        batch_op.create_index(
            "ix_people_account_employee", ["account_id", "employee_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index("ix_people_account_employee")
        batch_op.drop_index("ix_people_account_name")
        batch_op.create_index(
            batch_op.f("ix_people_account_name"), ["account_id", "name_key"], unique=False
        )
