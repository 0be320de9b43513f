"""Apply reads its plan in chunks: every change to people already in the directory first, then
the creates a chunk at a time (memory grows with a chunk, not with the import)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peoplesync.accounts.service import local_today
from peoplesync.core.plan import ChangeKind
from peoplesync.runs import service as runs
from peoplesync.store.models import Account, ChangeLog
from peoplesync.store.plans import load_plan, plan_in_chunks
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
