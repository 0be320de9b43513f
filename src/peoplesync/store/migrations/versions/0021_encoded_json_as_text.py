"""The stored plan's changes and the mirror's records as text on PostgreSQL

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 21:20:00

Both hold JSON that peoplesync encodes itself and never reads inside in SQL on PostgreSQL
(models.base.EncodedJSON); the json type parsed every value again to check it as it was
written: a first import's 100,000 plan items, COPY into a bare table, took 0.30-0.45 s as json
and 0.16-0.23 s as text (issue 16). SQLite keeps JSON as text already: nothing changes there.
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

COLUMNS = (("plan_items", "changes"), ("source_records", "record"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE text USING {column}::text")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE json USING {column}::json")
