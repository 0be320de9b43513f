"""Held changes at rest (issue 17): what redaction's purge removes from them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from peoplesync.store.models import HeldChange


def drop_field(session: Session, account_id: int, field: str, *, demographic: bool) -> None:
    """Remove one field's values from every held change of the account (redaction's purge): a
    held change keeps its other fields, as a stored plan does."""
    for row in session.scalars(select(HeldChange).where(HeldChange.account_id == account_id)):
        kept = [c for c in row.changes if not (c[0] == field and bool(c[3]) == demographic)]
        if len(kept) != len(row.changes):
            row.changes = kept
