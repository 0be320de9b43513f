"""An account's demographics: usage counts, and deleting one. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peoplesync.accounts.history import list_events
from peoplesync.accounts.service import create_account
from peoplesync.errors import NotFoundError
from peoplesync.people.demographics import (
    DemographicUsage,
    delete_demographic,
    list_demographics,
)
from peoplesync.people.service import person_demographics
from peoplesync.store.models import Account, ChangeLog, Demographic, PersonDemographic, PlanItem
from peoplesync.store.models import Person as PersonRow
from peoplesync.store.plans import decode_changes
from tests.people.directory import people, rec, snap, sync, version
from tests.support import NOW

ADMIN = "admin@acme.example"


@pytest.fixture
def staff(session: Session, account: Account) -> dict[str, PersonRow]:
    """Four people: all have a Department, two a Team; Level is known but nobody has one."""
    sync(
        session,
        account,
        snap(
            rec(1, demographics={"Department": "Engineering", "Team": "Core"}),
            rec(2, demographics={"Department": "Sales", "Team": "North"}),
            rec(3),
            rec(4),
        ),
    )
    session.add(Demographic(account_id=account.id, name="Level", created_at=NOW))
    session.flush()
    return people(session, account)


def ids_by_name(session: Session, account_id: int) -> dict[str, int]:
    return {d.name: d.id for d in list_demographics(session, account_id)}


def values_of(session: Session, demographic_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(PersonDemographic)
            .where(PersonDemographic.demographic_id == demographic_id)
        )
        or 0
    )


def test_each_demographic_with_how_many_people_carry_it(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    other = create_account(session, "Other Co", now=NOW)
    session.flush()
    sync(session, other, snap(rec(7, manager_source_id=None, demographics={"Office": "Paris"})))
    found = list_demographics(session, account.id)
    assert [(d.name, d.people) for d in found] == [("Department", 4), ("Level", 0), ("Team", 2)]
    assert all(isinstance(d, DemographicUsage) for d in found)
    assert [(d.name, d.people) for d in list_demographics(session, other.id)] == [("Office", 1)]


def test_an_account_without_demographics_lists_none(session: Session, account: Account) -> None:
    assert list_demographics(session, account.id) == []


def test_delete_removes_the_values_but_keeps_the_import_history(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    kept = rec(1, demographics={"Department": "Engineering", "Team": "Core"})
    moved = rec(2, demographics={"Department": "Sales", "Team": "South"})
    run = sync(session, account, snap(kept, moved, rec(3), rec(4)))
    team = ids_by_name(session, account.id)["Team"]
    history = session.execute(
        select(ChangeLog.person_id, ChangeLog.field, ChangeLog.after).order_by(ChangeLog.id)
    ).all()
    planned = session.execute(select(PlanItem.run_id, PlanItem.seq, PlanItem.changes)).all()
    assert ("Team", "South") in {(field, after) for _, field, after in history}
    assert any(
        c.field == "Team"
        for (run_id, _, changes) in planned
        if run_id == run.id
        for c in decode_changes(changes)
    )
    before = version(session, account.id)

    removed = delete_demographic(session, account.id, team, actor=ADMIN, now=NOW)

    assert removed == 2
    assert values_of(session, team) == 0
    assert person_demographics(session, staff["src-2"].id) == {"Department": "Sales"}
    assert [d.name for d in list_demographics(session, account.id)] == ["Department", "Level"]
    assert version(session, account.id) == before + 1
    [event] = list_events(session, account.id, limit=1)
    assert (event.event, event.actor, event.detail) == (
        "demographic.deleted",
        ADMIN,
        {"name": "Team", "values_removed": 2},
    )
    assert (
        session.execute(
            select(ChangeLog.person_id, ChangeLog.field, ChangeLog.after).order_by(ChangeLog.id)
        ).all()
        == history
    )
    assert session.execute(select(PlanItem.run_id, PlanItem.seq, PlanItem.changes)).all() == (
        planned
    )


def test_deleting_an_unused_demographic_removes_no_values(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    level = ids_by_name(session, account.id)["Level"]
    assert delete_demographic(session, account.id, level, actor=ADMIN, now=NOW) == 0
    assert "Level" not in ids_by_name(session, account.id)
    assert values_of(session, ids_by_name(session, account.id)["Department"]) == 4


def test_another_accounts_demographic_is_not_found(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    other = create_account(session, "Other Co", now=NOW)
    session.flush()
    department = ids_by_name(session, account.id)["Department"]
    with pytest.raises(NotFoundError, match="no such demographic"):
        delete_demographic(session, other.id, department, actor=ADMIN, now=NOW)
    assert values_of(session, department) == 4
    assert ids_by_name(session, account.id)["Department"] == department
    assert list_events(session, other.id) == []
    assert version(session, other.id) == 0


def test_a_deleted_demographic_cannot_be_deleted_again(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    team = ids_by_name(session, account.id)["Team"]
    delete_demographic(session, account.id, team, actor=ADMIN, now=NOW)
    with pytest.raises(NotFoundError):
        delete_demographic(session, account.id, team, actor=ADMIN, now=NOW)
