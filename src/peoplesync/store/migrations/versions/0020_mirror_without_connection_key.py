"""The mirror without a foreign key to its connection

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 21:20:00

A first fetch writes a mirror row per employee; on PostgreSQL each row's check of its
connection cost a fifth to a quarter of the mirror's write (100,000 employees: 1.19-1.51 s ->
0.87-1.14 s, 3 interleaved pairs; issue 16). Nothing deletes a connection: switching or
disconnecting one deletes its mirror rows itself. The pending rows keep their key: only an
incremental sync writes them, a few at a time.
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.drop_constraint("fk_source_records_connection_id_connections", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_source_records_connection_id_connections",
            "connections",
            ["connection_id"],
            ["id"],
            ondelete="CASCADE",
        )
