"""Admin edits of one person: change the email, deactivate. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from peoplesync.accounts.service import create_account
from peoplesync.errors import ConflictError, InputError, NotFoundError, StalePlanError
from peoplesync.people.service import change_email, deactivate_person, person_history
from peoplesync.runs import service as runs
from peoplesync.store.models import Account, ChangeLog
from peoplesync.store.models import Person as PersonRow
from tests.people.directory import at, log_count, people, plan, rec, snap, sync, version
from tests.support import NOW

ADMIN = "admin@acme.example"


@pytest.fixture
def staff(session: Session, account: Account) -> dict[str, PersonRow]:
    sync(session, account, snap(rec(1), rec(2), rec(3)))
    return people(session, account)


def test_change_email_logs_the_change_and_bumps_the_version(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    person = staff["src-2"]
    before = version(session, account.id)
    changed = change_email(
        session, account.id, person.id, " Pat.Two@Acme.example ", actor=ADMIN, now=at(15)
    )
    assert changed.id == person.id
    assert (changed.email, changed.email_key) == ("Pat.Two@Acme.example", "pat.two@acme.example")
    assert changed.updated_at == at(15)
    assert version(session, account.id) == before + 1
    [entry] = person_history(session, account.id, person.id)[:1]
    assert (entry.field, entry.before, entry.after) == (
        "email",
        "person2@acme.example",
        "Pat.Two@Acme.example",
    )
    assert (entry.actor, entry.run_id, entry.changed_at) == (ADMIN, None, at(15))
    stored = session.scalar(
        select(PersonRow.email_key)
        .where(PersonRow.id == person.id)
        .execution_options(populate_existing=True)
    )
    assert stored == "pat.two@acme.example"


def test_unchanged_email_writes_nothing(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    before, logged = version(session, account.id), log_count(session, account.id)
    person = change_email(
        session, account.id, staff["src-2"].id, "person2@acme.example", actor=ADMIN, now=at(15)
    )
    assert person.updated_at == NOW
    assert version(session, account.id) == before
    assert log_count(session, account.id) == logged


def test_changing_only_the_case_of_ones_own_email_is_allowed(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    before = version(session, account.id)
    person = change_email(
        session, account.id, staff["src-2"].id, "Person2@acme.example", actor=ADMIN, now=at(15)
    )
    assert (person.email, person.email_key) == ("Person2@acme.example", "person2@acme.example")
    assert version(session, account.id) == before + 1


def test_a_plan_made_before_an_email_change_is_refused(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    run = plan(session, account, snap(rec(1), rec(2, name="Renamed"), rec(3)))
    assert run.state == "awaiting_review"
    change_email(session, account.id, staff["src-2"].id, "pat@acme.example", actor=ADMIN, now=NOW)
    with pytest.raises(StalePlanError, match="changed since"), session.begin_nested():
        runs.apply_run(session, account, run, now=NOW, confirm=True)
    session.expire_all()
    after = people(session, account)["src-2"]
    assert (after.name, after.email) == ("Person 2", "pat@acme.example")


def test_an_email_another_person_has_is_refused_whatever_its_case(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    before, logged = version(session, account.id), log_count(session, account.id)
    with pytest.raises(ConflictError, match=r"Person 3 <person3@acme\.example>") as caught:
        change_email(
            session, account.id, staff["src-2"].id, "PERSON3@acme.example", actor=ADMIN, now=NOW
        )
    assert caught.value.hint
    assert caught.value.context["field"] == "email"
    assert caught.value.context["person_id"] == staff["src-3"].id
    session.expire_all()
    assert people(session, account)["src-2"].email == "person2@acme.example"
    assert version(session, account.id) == before
    assert log_count(session, account.id) == logged


def test_the_same_email_in_another_account_is_fine(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    other = create_account(session, "Other Co", now=NOW)
    session.flush()
    sync(session, other, snap(rec(7, manager_source_id=None)))
    person = change_email(
        session, account.id, staff["src-2"].id, "person7@acme.example", actor=ADMIN, now=NOW
    )
    assert person.email == "person7@acme.example"


@pytest.mark.parametrize("bad", ["not-an-email", "two@@acme.example", "", "pat@"])
def test_a_malformed_email_is_refused(
    session: Session, account: Account, staff: dict[str, PersonRow], bad: str
) -> None:
    before, logged = version(session, account.id), log_count(session, account.id)
    with pytest.raises(InputError) as caught:
        change_email(session, account.id, staff["src-2"].id, bad, actor=ADMIN, now=NOW)
    assert caught.value.context["field"] == "email"
    assert caught.value.hint
    assert staff["src-2"].email == "person2@acme.example"
    assert version(session, account.id) == before
    assert log_count(session, account.id) == logged


def test_another_accounts_person_is_not_found(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    other = create_account(session, "Other Co", now=NOW)
    session.flush()
    target = staff["src-2"].id
    with pytest.raises(NotFoundError):
        change_email(session, other.id, target, "pat@acme.example", actor=ADMIN, now=NOW)
    with pytest.raises(NotFoundError):
        deactivate_person(session, other.id, target, actor=ADMIN, now=NOW)
    session.expire_all()
    person = people(session, account)["src-2"]
    assert (person.email, person.status) == ("person2@acme.example", "active")
    assert version(session, other.id) == 0


def test_deactivate_sets_the_status_logs_it_and_bumps_the_version(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    before = version(session, account.id)
    person = deactivate_person(session, account.id, staff["src-3"].id, actor=ADMIN, now=at(16))
    assert (person.status, person.updated_at, person.end_date) == ("deactivated", at(16), None)
    assert version(session, account.id) == before + 1
    entries = session.scalars(
        select(ChangeLog).where(ChangeLog.person_id == person.id, ChangeLog.run_id.is_(None))
    ).all()
    assert [(e.field, e.before, e.after, e.actor) for e in entries] == [
        ("status", "active", "deactivated", ADMIN)
    ]
    assert people(session, account)["src-2"].status == "active"


def test_deactivating_twice_changes_nothing_the_second_time(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    deactivate_person(session, account.id, staff["src-3"].id, actor=ADMIN, now=at(16))
    before, logged = version(session, account.id), log_count(session, account.id)
    person = deactivate_person(session, account.id, staff["src-3"].id, actor=ADMIN, now=at(17))
    assert (person.status, person.updated_at) == ("deactivated", at(16))
    assert version(session, account.id) == before
    assert log_count(session, account.id) == logged
