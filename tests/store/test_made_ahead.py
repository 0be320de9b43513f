"""A big import's creates on PostgreSQL are made into rows on a thread, a chunk ahead of the
writes (store/plans.py `made_ahead`): the directory is the same as written chunk by chunk on
one thread; a plan the thread cannot see (not committed) is made on the caller's thread; an
error on the thread is raised to the caller; the thread never outlives the import."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from peoplesync.accounts.service import create_account
from peoplesync.store import plans
from peoplesync.store.db import unit_of_work
from peoplesync.store.directory import NewPeople, PlanRow, new_people
from peoplesync.store.models import Account, SyncRun
from tests.conftest import rolled_back
from tests.jobs.world import Database, database
from tests.store.test_apply import rec
from tests.store.test_creates_in_sql import plan_for, records, state, write
from tests.support import NOW

SIZE = 30  # creates: the records of test_creates_in_sql and plain ones, all reporting to src-2


def company() -> list[Any]:
    return [*records(), *(rec(n, manager_source_id="src-2") for n in range(12, SIZE + 1))]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A PostgreSQL schema of its own, committed to: the thread reads through a connection of
    its own, so it sees only what is committed."""
    with database("postgres", tmp_path) as found:
        yield found


def planned(db: Database, name: str) -> tuple[Account, SyncRun]:
    """An account and its committed plan of SIZE creates."""
    with unit_of_work(db.factory) as session:
        account = create_account(session, name, now=NOW)
        session.flush()
        run = plan_for(session, account, company())
    return account, run


def threads_ahead() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.endswith("-ahead")]


def test_the_creates_made_ahead_write_the_directory_as_one_thread_does(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    made_on: list[str] = []
    real = new_people

    def spied(*args: Any, **kwargs: Any) -> NewPeople:
        made_on.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(plans, "new_people", spied)
    one_thread, ahead = planned(db, "Acme one thread"), planned(db, "Acme ahead")
    written = {}
    for (account, run), big in ((one_thread, False), (ahead, True)):
        with unit_of_work(db.factory) as session:
            written[big] = write(session, account, run, in_sql=big)  # from 0 creates: ahead
    assert made_on == [f"plan-{ahead[1].id}-ahead"]  # one chunk, made on the thread
    assert written[True] == written[False] == (SIZE, SIZE)
    with unit_of_work(db.factory) as session:
        expected, found = state(session, one_thread[0]), state(session, ahead[0])
    assert found == expected
    assert len(found["people"]) == SIZE
    assert {t for s, t in found["terms"] if s == "src-1"} >= {"aero-okafor", "okafor"}
    assert {v for v in found["values"] if v[0] == "src-4"} == {
        ("src-4", "Department", "Sales"),
        ("src-4", "Site", "Ørsted"),
    }
    assert not threads_ahead()


def chunks_of(session: Session, run: SyncRun, size: int) -> list[list[str]]:
    """The person ids of each chunk `made_ahead` yields, made by a plain `make`."""

    def make(chunk: list[PlanRow]) -> NewPeople:
        return NewPeople([[row.person_id] for row in chunk], [], [], [])

    made = plans.made_ahead(session, run.id, SIZE, make, size=size)
    return [[row[0] for row in new.people] for new in made]


def test_every_create_comes_once_in_plan_order_in_growing_chunks(db: Database) -> None:
    _, run = planned(db, "Acme")
    with unit_of_work(db.factory) as session:
        found = chunks_of(session, run, size=32)
        in_order = [r.person_id for r in plans.load_plan(session, run.id)]
    # From a sixteenth of the size, doubling up to it: the first chunk is ready soon.
    assert [len(chunk) for chunk in found] == [2, 4, 8, 16]
    assert [pid for chunk in found for pid in chunk] == in_order
    assert not threads_ahead()


def test_a_plan_not_committed_is_made_on_the_callers_thread(db: Database) -> None:
    """Stored in the caller's own transaction (a release of held changes applies so), the plan
    is out of the thread's sight: it is read through the caller's session, every create kept."""
    with rolled_back(db.engine) as session:
        account = create_account(session, "Acme", now=NOW)
        session.flush()
        run = plan_for(session, account, company())
        found = chunks_of(session, run, size=8)
        assert sum(len(chunk) for chunk in found) == SIZE
        assert write(session, account, run, in_sql=True) == (SIZE, SIZE)
        assert len(state(session, account)["people"]) == SIZE
    assert not threads_ahead()


def test_an_error_on_the_thread_is_raised_to_the_caller_and_nothing_is_kept(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, run = planned(db, "Acme")
    calls: list[int] = []

    def failing(*args: Any, **kwargs: Any) -> NewPeople:
        calls.append(1)
        raise ValueError("a record the rows cannot be made of")

    monkeypatch.setattr(plans, "new_people", failing)
    with (
        pytest.raises(ValueError, match="cannot be made of"),
        unit_of_work(db.factory) as session,
    ):
        write(session, account, run, in_sql=True)
    assert calls == [1]
    assert not threads_ahead()
    with unit_of_work(db.factory) as session:
        assert state(session, account)["people"] == []


def test_a_caller_that_stops_early_stops_the_thread(db: Database) -> None:
    _, run = planned(db, "Acme")

    def make(chunk: list[PlanRow]) -> NewPeople:
        return NewPeople([[row.person_id] for row in chunk], [], [], [])

    with unit_of_work(db.factory) as session:
        made = plans.made_ahead(session, run.id, SIZE, make, size=48)
        with closing(made):
            first = next(made)
            assert len(first.people) == 3  # a sixteenth of 48
            assert threads_ahead()  # making the next chunks, or waiting to hand one over
        assert not threads_ahead()
