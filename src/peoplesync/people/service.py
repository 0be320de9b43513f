"""The directory as admins see it: list and search people, read one, their history, edit them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from peoplesync.accounts.service import bump_version
from peoplesync.core.emails import email_problem
from peoplesync.core.employee import PersonStatus, fold
from peoplesync.errors import ConflictError, InputError, NotFoundError
from peoplesync.store.models import ChangeLog, Demographic, PersonDemographic
from peoplesync.store.models import Person as PersonRow


@dataclass(frozen=True, slots=True)
class PeoplePage:
    people: list[PersonRow]
    total: int
    offset: int
    limit: int


def list_people(
    session: Session,
    account_id: int,
    *,
    search: str | None = None,
    status: str | None = None,
    source: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> PeoplePage:
    query = select(PersonRow).where(PersonRow.account_id == account_id)
    if status:
        query = query.where(PersonRow.status == _status(status))
    if source:
        query = query.where(PersonRow.source_kind == source)
    if search and search.strip():
        query = _search(query, search)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(PersonRow.name_key, PersonRow.id).offset(max(offset, 0)).limit(limit)
    )
    return PeoplePage(list(rows), total, offset, limit)


def _status(value: str) -> str:
    try:
        return PersonStatus(value).value
    except ValueError:
        raise InputError(
            f"'{value}' is not a status.", hint="Use active, former or deactivated."
        ) from None


def _search(query: Select[PersonRow], text: str) -> Select[PersonRow]:
    """Prefix search on the folded name or email, and exact employee ID.

    Each prefix is a range on its index (fast on SQLite, where LIKE cannot use one, and on
    PostgreSQL); the LIKE beside it keeps the match exact under any collation.
    """
    key = fold(text)
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    upper = key + "\U0010ffff"

    def prefix(column: InstrumentedAttribute[str | None]) -> ColumnElement[bool]:
        return and_(column >= key, column < upper, column.like(f"{escaped}%", escape="\\"))

    return query.where(
        or_(
            prefix(PersonRow.name_key),
            prefix(PersonRow.email_key),
            PersonRow.employee_id == text.strip(),
        )
    )


def get_person(session: Session, account_id: int, person_id: str) -> PersonRow:
    person = session.scalar(
        select(PersonRow).where(PersonRow.id == person_id, PersonRow.account_id == account_id)
    )
    if person is None:
        raise NotFoundError("There is no such person in this account.")
    return person


def person_demographics(session: Session, person_id: str) -> dict[str, str]:
    rows = session.execute(
        select(Demographic.name, PersonDemographic.value)
        .join(PersonDemographic, PersonDemographic.demographic_id == Demographic.id)
        .where(PersonDemographic.person_id == person_id)
        .order_by(Demographic.name)
    )
    return dict(rows.all())


def person_history(session: Session, account_id: int, person_id: str) -> list[ChangeLog]:
    return list(
        session.scalars(
            select(ChangeLog)
            .where(ChangeLog.account_id == account_id, ChangeLog.person_id == person_id)
            .order_by(ChangeLog.id.desc())
        )
    )


def labels(session: Session, account_id: int, person_ids: set[str]) -> dict[str, str]:
    """'Name <email>' for each id (for showing managers in reviews and pages)."""
    if not person_ids:
        return {}
    rows = session.execute(
        select(PersonRow.id, PersonRow.name, PersonRow.email).where(
            PersonRow.account_id == account_id, PersonRow.id.in_(person_ids)
        )
    )
    return {
        pid: f"{name or '(no name)'} <{email}>" if email else (name or pid)
        for pid, name, email in rows
    }


# --- Admin edits: each one logs the change and bumps the directory version ------------------
# The bump makes any plan reviewed before the edit stale, so an import never undoes an edit it
# did not see. An edit that changes nothing writes nothing and bumps nothing.


def change_email(
    session: Session, account_id: int, person_id: str, email: str, *, actor: str, now: datetime
) -> PersonRow:
    person = get_person(session, account_id, person_id)
    email = email.strip()
    if email == person.email:
        return person
    if problem := email_problem(email):
        raise InputError(
            f"'{email}' is not a valid email: {problem}",
            hint="Correct the address and save again.",
            field="email",
        )
    key = fold(email)
    _refuse_taken_email(session, account_id, person.id, key)
    before = person.email
    person.email, person.email_key, person.updated_at = email, key, now
    _record_edit(session, person, "email", before, email, actor=actor, now=now)
    return person


def _refuse_taken_email(session: Session, account_id: int, person_id: str, key: str) -> None:
    owner = session.scalar(
        select(PersonRow).where(
            PersonRow.account_id == account_id,
            PersonRow.email_key == key,
            PersonRow.id != person_id,
        )
    )
    if owner is not None:
        raise ConflictError(
            f"{owner.name or '(no name)'} <{owner.email}> already has this email.",
            hint="Change or remove their email first, or use another address.",
            field="email",
            person_id=owner.id,
        )


def deactivate_person(
    session: Session, account_id: int, person_id: str, *, actor: str, now: datetime
) -> PersonRow:
    person = get_person(session, account_id, person_id)
    if person.status == PersonStatus.DEACTIVATED:
        return person
    before = person.status
    person.status, person.updated_at = PersonStatus.DEACTIVATED, now
    _record_edit(session, person, "status", before, person.status, actor=actor, now=now)
    return person


def _record_edit(
    session: Session,
    person: PersonRow,
    field: str,
    before: str | None,
    after: str | None,
    *,
    actor: str,
    now: datetime,
) -> None:
    session.add(
        ChangeLog(
            account_id=person.account_id,
            run_id=None,
            person_id=person.id,
            field=field,
            before=before,
            after=after,
            actor=actor,
            changed_at=now,
        )
    )
    session.flush()
    bump_version(session, person.account_id)
