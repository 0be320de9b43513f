"""Apply reads its plan in chunks: every change to people already in the directory first, then
the creates a chunk at a time (memory grows with a chunk, not with the import)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from peoplesync.accounts.service import local_today
from peoplesync.core.changes import StoredCreate, expand_created
from peoplesync.core.plan import ChangeKind
from peoplesync.runs import service as runs
from peoplesync.store.models import Account, ChangeLog, PersonDemographic, PlanItem
from peoplesync.store.plans import decode_changes, drop_field, load_plan, plan_in_chunks
from tests.store.test_apply import people, rec, snap, sync
from tests.support import NOW


def test_changes_to_people_come_first_then_creates_in_chunks(
    session: Session, account: Account
) -> None:
    sync(session, account, snap(rec(1), rec(2), rec(3)))
    # Person 2 gives up their email; a new person (4) takes it; more people join.
    moved = snap(
        rec(1),
        rec(2, email="person2.new@acme.example"),
        rec(3),
        rec(4, email="person2@acme.example"),
        *(rec(n) for n in range(5, 10)),
    )
    run = runs.start_run(session, account, trigger="manual", source_kind="merge", now=NOW)
    outcome = runs.plan_run(session, account, run, moved, today=local_today(account, NOW), now=NOW)
    assert outcome.plan is not None
    chunks = list(plan_in_chunks(session, run.id, size=2))
    first, creates = chunks[0], chunks[1:]
    assert first
    assert all(row.kind is not ChangeKind.CREATE for row in first)
    assert [len(c) for c in creates] == [2, 2, 2]
    assert all(row.kind is ChangeKind.CREATE for c in creates for row in c)
    whole = load_plan(session, run.id)
    assert sorted(r.person_id for c in chunks for r in c) == sorted(r.person_id for r in whole)

    runs.apply_run(session, account, run, now=NOW, confirm=True)
    found = people(session, account)
    assert found["src-4"].email == "person2@acme.example"
    assert found["src-2"].email == "person2.new@acme.example"
    assert len(found) == 9
    created = session.scalar(
        select(func.count())
        .select_from(ChangeLog)
        .where(ChangeLog.run_id == run.id, ChangeLog.field == "created")
    )
    assert created == 6  # a create is one row of the change log


def test_a_create_is_stored_compactly_and_a_plan_stored_per_change_still_applies(
    session: Session, account: Account
) -> None:
    """A create is stored as its values by field (not a [field, before, after] list each); a
    plan stored before that (every create per change) imports the same directory."""
    run = runs.start_run(session, account, trigger="manual", source_kind="merge", now=NOW)
    today = local_today(account, NOW)
    runs.plan_run(session, account, run, snap(rec(1), rec(2), rec(3)), today=today, now=NOW)
    stored = session.execute(
        select(PlanItem.seq, PlanItem.changes)
        .where(PlanItem.run_id == run.id)
        .order_by(PlanItem.seq)
    ).all()
    assert [set(changes) for _, changes in stored] == [
        {"values", "demographics", "status", "keys"}
    ] * 3
    assert stored[1][1]["values"]["email"] == "person2@acme.example"
    assert stored[1][1]["keys"] == {"name": "person 2", "email": "person2@acme.example"}
    assert stored[1][1]["demographics"] == {"Department": "Sales"}
    assert all(isinstance(row.changes, StoredCreate) for row in load_plan(session, run.id))

    for seq, changes in stored:  # as a plan stored by the earlier version left it
        session.execute(
            update(PlanItem)
            .where(PlanItem.run_id == run.id, PlanItem.seq == seq)
            .values(changes=expand_created(changes))
        )
    assert not any(isinstance(row.changes, StoredCreate) for row in load_plan(session, run.id))
    runs.apply_run(session, account, run, now=NOW, confirm=True)

    found = people(session, account)
    assert {p.email for p in found.values()} == {f"person{n}@acme.example" for n in (1, 2, 3)}
    assert found["src-2"].manager_id == found["src-1"].id
    assert found["src-3"].start_date == date(2020, 1, 1)
    assert found["src-2"].status == "active"
    departments = dict(
        session.execute(
            select(PersonDemographic.person_id, PersonDemographic.value).where(
                PersonDemographic.person_id.in_([p.id for p in found.values()])
            )
        ).all()
    )
    assert departments[found["src-2"].id] == "Sales"
    assert departments[found["src-3"].id] == "Engineering"


def test_redactions_purge_takes_a_field_out_of_a_compactly_stored_create(
    session: Session, account: Account
) -> None:
    run = runs.start_run(session, account, trigger="manual", source_kind="merge", now=NOW)
    today = local_today(account, NOW)
    runs.plan_run(session, account, run, snap(rec(1), rec(2)), today=today, now=NOW)

    drop_field(session, account.id, "start_date", demographic=False)
    drop_field(session, account.id, "Department", demographic=True)
    drop_field(session, account.id, "email", demographic=True)  # no such demographic: kept

    query = select(PlanItem.changes).where(PlanItem.run_id == run.id).order_by(PlanItem.seq)
    stored = session.scalars(query).all()
    fields = [[c.field for c in decode_changes(changes)] for changes in stored]
    assert fields == [
        ["source_id", "employee_id", "name", "email", "status"],
        ["source_id", "employee_id", "name", "email", "manager", "status"],
    ]
