"""The directory as admins see it: list and search people, read one, their history, edit them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peoplesync.accounts.service import bump_version
from peoplesync.core.emails import email_problem
from peoplesync.core.employee import PersonStatus, fold
from peoplesync.errors import ConflictError, InputError, NotFoundError
from peoplesync.store import search_terms
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
    """A page of the account's people in the Users order (by folded name), filtered, and
    searched by every word of `search` (any word of a name, the email or the Employee Id,
    ignoring case and accents: store/search_terms.py)."""
    query = select(PersonRow).where(PersonRow.account_id == account_id)
    if status:
        query = query.where(PersonRow.status == _status(status))
    if source:
        query = query.where(PersonRow.source_kind == source)
    words = search_terms.query_words(search or "")
    if words:
        dialect = session.get_bind().dialect.name
        query = query.where(search_terms.matches(account_id, words, dialect))
    if words and not (status or source):
        # The terms alone know how many match: no look-up of the thousands a short word finds.
        total = search_terms.count_matches(session, account_id, words)
    else:
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
    searched = [person.id, person.name, person.preferred_name, before, person.employee_id]
    person.email, person.email_key, person.updated_at = email, key, now
    _record_edit(session, person, "email", before, email, actor=actor, now=now)
    moved = [*searched[:3], email, searched[4]]
    search_terms.move_terms(session, account_id, [(searched, moved)])
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
