"""A big import on PostgreSQL refreshes the planner's statistics after its commit, in a thread of
its own, not inside the import's transaction (store/db.py `refresh_statistics`); an import that
rolls back leaves nothing to run."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, func, select, text

from peoplesync.accounts.service import create_account
from peoplesync.runs import service as runs
from peoplesync.store import db as store_db
from peoplesync.store.db import migrate, session_factory, unit_of_work
from peoplesync.store.models import Person as PersonRow
from tests.store.test_apply import rec, snap
from tests.support import NOW, postgres_schema

ESTIMATE = "SELECT reltuples FROM pg_class WHERE oid = 'people'::regclass"


@pytest.fixture
def engine() -> Iterator[Engine]:
    """A schema of its own: the imports here commit."""
    with postgres_schema("peoplesync_stats") as made:
        migrate(made)
        try:
            yield made
        finally:
            store_db.wait_for_upkeep(timeout=60)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> list[Callable[[], object]]:
    """The work left to run after a commit, held here instead of started."""
    works: list[Callable[[], object]] = []
    monkeypatch.setattr(store_db, "_after_commit", lambda work, name: works.append(work))
    monkeypatch.setattr(runs, "BIG_CHANGE", 10)
    return works


def first_import(engine: Engine, people: int, *, fail: bool = False) -> None:
    with unit_of_work(session_factory(engine)) as session:
        account = create_account(session, f"Acme {secrets.token_hex(3)}", now=NOW)
        session.flush()
        run = runs.start_run(session, account, trigger="manual", source_kind="merge", now=NOW)
        company = snap(*[rec(n) for n in range(1, people + 1)])
        runs.plan_run(session, account, run, company, today=NOW.date(), now=NOW)
        runs.apply_run(session, account, run, now=NOW, confirm=True)
        if fail:
            raise RuntimeError("the import fails after its writes")


def estimate(engine: Engine) -> float:
    with engine.connect() as db:
        return float(db.scalar(text(ESTIMATE)) or 0)


def counted(engine: Engine) -> int:
    with engine.connect() as db:
        return int(db.scalar(select(func.count()).select_from(PersonRow)) or 0)


def test_statistics_are_refreshed_after_the_commit_not_in_the_import(
    engine: Engine, held: list[Callable[[], object]]
) -> None:
    first_import(engine, 200)

    assert counted(engine) == 200  # committed
    assert estimate(engine) != 200  # the import itself did not analyse (a new table: -1)
    assert len(held) == 1
    held.pop()()
    assert estimate(engine) == 200


def test_an_import_that_rolls_back_leaves_no_statistics_to_refresh(
    engine: Engine, held: list[Callable[[], object]]
) -> None:
    with pytest.raises(RuntimeError, match="fails after its writes"):
        first_import(engine, 200, fail=True)

    assert counted(engine) == 0
    assert held == []


def test_the_refresh_runs_in_a_thread_that_wait_for_upkeep_waits_for(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs, "BIG_CHANGE", 10)
    first_import(engine, 300)
    store_db.wait_for_upkeep(timeout=60)
    assert estimate(engine) == 300
