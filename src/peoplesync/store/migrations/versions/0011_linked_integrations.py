"""HRIS connections record the integration Merge linked: its name and slug

Revision ID: 0011
Revises: 0012 (given: 0009; the lead re-chains at merge)
Create Date: 2026-12-02 02:40:00

Every Merge HRIS is served through the same API (issue 12): a connection keeps the integration's
display name ("BambooHR") and slug ("bamboohr") from the account-token exchange or
account-details. Existing connections are Justworks ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0012"  # given as 0009; chained after main's 0012 so that there is one head
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("integration_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("integration_slug", sa.String(length=100), nullable=True))
    op.execute(
        "UPDATE connections SET integration_name = 'Justworks', integration_slug = 'justworks' "
        "WHERE provider = 'justworks'"
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of `connections` would drop
    # the table, and its foreign keys would take the mirror rows with it.
    op.execute("ALTER TABLE connections DROP COLUMN integration_slug")
    op.execute("ALTER TABLE connections DROP COLUMN integration_name")
