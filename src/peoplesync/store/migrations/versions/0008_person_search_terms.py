"""people found by any word of a name, their email or Employee Id (person_search_terms)

The terms of the people already stored are computed here, with the same function the
directory's writes use (peoplesync.store.search_terms).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from itertools import islice

import sqlalchemy as sa
from alembic import op

from peoplesync.store.search_terms import term_rows

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 5_000


def upgrade() -> None:
    op.create_table(
        "person_search_terms",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "term",
            sa.String(length=100).with_variant(sa.String(length=100, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id", "term", "person_id", name=op.f("pk_person_search_terms")
        ),
        sqlite_with_rowid=False,
    )
    _backfill()


def _backfill() -> None:
    db = op.get_bind()
    table = sa.table(
        "person_search_terms",
        sa.column("account_id"),
        sa.column("term"),
        sa.column("person_id"),
    )
    people = db.execute(
        sa.text(
            "SELECT account_id, id, name, preferred_name, email, employee_id FROM people "
            "ORDER BY account_id"
        )
    ).all()
    rows = (row for account_id, *values in people for row in term_rows(account_id, [values]))
    while batch := list(islice(rows, BATCH)):
        db.execute(
            sa.insert(table), [{"account_id": a, "term": t, "person_id": p} for a, t, p in batch]
        )


def downgrade() -> None:
    op.drop_table("person_search_terms")
