"""Read a stored plan for review: by kind, searched and paged, with managers shown by name."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peoplesync.core.changes import FieldChange
from peoplesync.core.employee import fold
from peoplesync.people.service import labels
from peoplesync.store.models import PlanItem
from peoplesync.store.plans import decode_changes


@dataclass(frozen=True, slots=True)
class ReviewItem:
    kind: str
    person_id: str
    label: str
    changes: tuple[FieldChange, ...]  # manager values already turned into names


@dataclass(frozen=True, slots=True)
class ReviewPage:
    items: list[ReviewItem]
    total: int
    offset: int
    limit: int


def review_page(
    session: Session,
    account_id: int,
    run_id: int,
    *,
    kind: str | None = None,
    search: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ReviewPage:
    query = select(PlanItem).where(PlanItem.run_id == run_id)
    if kind:
        query = query.where(PlanItem.kind == kind)
    if search and search.strip():
        escaped = fold(search).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(PlanItem.label_key.like(f"%{escaped}%", escape="\\"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(PlanItem.seq).offset(max(offset, 0)).limit(limit)))
    decoded = [(row, decode_changes(row.changes)) for row in rows]
    names = _manager_names(session, account_id, run_id, decoded)
    items = [
        ReviewItem(row.kind, row.person_id, row.label, _named(changes, names))
        for row, changes in decoded
    ]
    return ReviewPage(items, total, offset, limit)


def _manager_names(
    session: Session,
    account_id: int,
    run_id: int,
    decoded: list[tuple[PlanItem, tuple[FieldChange, ...]]],
) -> dict[str, str]:
    ids = {
        v
        for _, changes in decoded
        for c in changes
        if c.field == "manager" and not c.demographic
        for v in (c.before, c.after)
        if v
    }
    names = labels(session, account_id, ids)
    missing = ids - names.keys()  # managers this very plan creates
    if missing:
        rows = session.execute(
            select(PlanItem.person_id, PlanItem.label).where(
                PlanItem.run_id == run_id, PlanItem.person_id.in_(missing)
            )
        )
        names.update(dict(rows.all()))
    return names


def _named(changes: tuple[FieldChange, ...], names: dict[str, str]) -> tuple[FieldChange, ...]:
    return tuple(
        c._replace(
            before=names.get(c.before or "", c.before), after=names.get(c.after or "", c.after)
        )
        if c.field == "manager" and not c.demographic
        else c
        for c in changes
    )


def flagged_kinds(session: Session, run_id: int, person_ids: set[str]) -> dict[str, int]:
    """How many of the people the safeguards flagged each kind of change holds (the tabs)."""
    if not person_ids:
        return {}
    rows = session.execute(
        select(PlanItem.kind, func.count())
        .where(PlanItem.run_id == run_id, PlanItem.person_id.in_(person_ids))
        .group_by(PlanItem.kind)
    )
    return {str(kind): int(n) for kind, n in rows.all()}
