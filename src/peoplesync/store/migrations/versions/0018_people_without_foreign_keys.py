"""People without foreign keys to their account and their manager

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 17:40:00

A first import writes a row per person; on PostgreSQL each row's two foreign-key checks (its
account, its manager) cost about a second each at 100,000 people (issue 16). The directory
module checks the managers an import names once it is written (`check_managers`), and the
account is the one the import runs for; nothing deletes an account. The downgrade adds the keys
back, which fails, saying which row, if a person reports to someone who is not there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_constraint("fk_people_manager_id_people", type_="foreignkey")
        batch_op.drop_constraint("fk_people_account_id_accounts", type_="foreignkey")


def downgrade() -> None:
    # SQLite copies the table into a new one that refers to the old (by name) and drops the old:
    # that drop would break every manager reference, counted against the commit. So the
    # managers are set aside and written back into the new table, each checked as it comes.
    bind = op.get_bind()
    managers = []
    if bind.dialect.name == "sqlite":
        managed = "SELECT id, manager_id FROM people WHERE manager_id IS NOT NULL"
        found = bind.execute(sa.text(managed))
        managers = [{"i": i, "m": m} for i, m in found]
        op.execute("UPDATE people SET manager_id = NULL")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_people_account_id_accounts",
            "accounts",
            ["account_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            "fk_people_manager_id_people",
            "people",
            ["manager_id"],
            ["id"],
            deferrable=True,
            initially="DEFERRED",
        )
    if managers:
        bind.execute(sa.text("UPDATE people SET manager_id = :m WHERE id = :i"), managers)
