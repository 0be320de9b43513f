"""People found by their email through people.email_key, not a search term of its own

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 13:30:00

A search word is also a range on the people's unique (account, email_key) index, so the email
needs no row in person_search_terms: a first import of 100,000 writes 100,000 rows fewer (a third
of its terms; issue 16). An email whose accent-free form differs from its key keeps its term.
On PostgreSQL the key takes the "C" collation, as the terms have, so that the range holds exactly
the emails that start with the word. The terms are computed again for everyone, as 0008 first
filled them, with the function the directory's writes use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

import sqlalchemy as sa
from alembic import op

from peoplesync.store.search_terms import TERM_LENGTH, fold_text, search_terms, term_rows

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BATCH = 5_000


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "people",
            "email_key",
            type_=sa.String(length=320, collation="C"),
            existing_type=sa.String(length=320),
            existing_nullable=True,
        )
    _recompute_terms()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "people",
            "email_key",
            type_=sa.String(length=320),
            existing_type=sa.String(length=320, collation="C"),
            existing_nullable=True,
        )
    # The terms as 0016's code computed them: these, and the whole email of everyone.
    _insert(_email_terms())


_TERMS = sa.table(
    "person_search_terms", sa.column("account_id"), sa.column("term"), sa.column("person_id")
)
_PEOPLE = sa.text(
    "SELECT account_id, id, name, preferred_name, email, employee_id FROM people "
    "ORDER BY account_id"
)


def _recompute_terms() -> None:
    op.get_bind().execute(sa.delete(_TERMS))
    _insert(
        row
        for account_id, *values in op.get_bind().execute(_PEOPLE)
        for row in term_rows(account_id, [values])
    )


def _email_terms() -> Iterator[tuple[int, str, str]]:
    """Each person's email as a term, where the terms of this revision leave it out."""
    for account_id, person_id, name, preferred, email, employee_id in op.get_bind().execute(
        _PEOPLE
    ):
        term = fold_text(email).strip()[:TERM_LENGTH] if email else ""
        if term and term not in search_terms(name, preferred, email, employee_id):
            yield account_id, term, person_id


def _insert(rows: Iterable[tuple[int, str, str]]) -> None:
    rows = iter(rows)
    while batch := list(islice(rows, BATCH)):
        op.get_bind().execute(
            sa.insert(_TERMS), [{"account_id": a, "term": t, "person_id": p} for a, t, p in batch]
        )
