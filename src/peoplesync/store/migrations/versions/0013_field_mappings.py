"""Field mappings: an account's mapping of source fields to demographics and its exclusion
rule, per source; the connection remembers which mapping its mirror was fetched with

Revision ID: 0013
Revises: 0014
Create Date: 2026-12-02 06:00:00

No row means the source's default mapping (what peoplesync always did), so existing accounts
keep their behaviour. A connection's `mirror_mapping` starts empty: the first sync under a
mapping fetches everything once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0014"  # given as 0012; chained after main's 0014 so that there is one head
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "field_mappings",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_field_mappings_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "source", name=op.f("pk_field_mappings")),
    )
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("mirror_mapping", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of `connections` would drop
    # the table, and its foreign keys would take the mirror rows with it.
    op.execute("ALTER TABLE connections DROP COLUMN mirror_mapping")
    op.drop_table("field_mappings")
