"""A first import builds the secondary indexes of the tables it fills after the load, on SQLite,
and leaves the schema as the migrations made it (store/bulk.py `loading`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from peoplesync.store import bulk, directory
from peoplesync.store.db import make_engine, migrate
from peoplesync.store.models import Account, ChangeLog
from peoplesync.store.plans import LOADED_TABLES
from tests.conftest import rolled_back
from tests.store.test_apply import people, rec, snap, sync
from tests.support import NOW


@pytest.fixture(params=["sqlite", "postgres"])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    """A session in a transaction rolled back after the test, on a database of its own for
    SQLite: whether indexes move depends on how many rows the tables hold, and other tests'
    SQLite sessions may have committed some to the shared one."""
    if request.param == "sqlite":
        engine: Engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        migrate(engine)
    else:
        engine = request.getfixturevalue("postgres_engine")
    try:
        with rolled_back(engine) as db:
            yield db
    finally:
        if request.param == "sqlite":
            engine.dispose()


def indexes(session: Session) -> list[tuple[str, str]]:
    """(name, definition) of every index of the loaded tables, constraints' own included."""
    if session.get_bind().dialect.name == "sqlite":
        query = (
            "SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name IN ('people', 'person_demographics', 'change_log') ORDER BY name"
        )
    else:
        query = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename IN ('people', 'person_demographics', 'change_log') ORDER BY indexname"
        )
    return [(name, sql) for name, sql in session.execute(text(query))]


SECONDARY = {
    "ix_people_account_status",
    "ix_people_account_name",
    "ix_people_account_employee",
    "ix_person_demographics_value",
    "ix_change_log_person",
    "ix_change_log_run",
}


def test_a_first_import_loads_without_the_secondary_indexes_then_builds_them(
    session: Session, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "BULK_LOAD_ROWS", 5)
    before = indexes(session)
    assert {name for name, _ in before} >= SECONDARY
    seen_while_writing: list[set[str]] = []
    write = directory.write_plan

    def watched(session: Session, **kw: Any) -> directory.Written:
        seen_while_writing.append({name for name, _ in indexes(session)})
        return write(session, **kw)

    monkeypatch.setattr("peoplesync.store.plans.write_plan", watched)
    sync(session, account, snap(*(rec(n) for n in range(1, 10))))

    assert seen_while_writing
    if session.get_bind().dialect.name == "sqlite":
        assert all(not (names & SECONDARY) for names in seen_while_writing)
        assert all("sqlite_autoindex_people_2" in names for names in seen_while_writing)
    else:  # PostgreSQL keeps them: dropping one would lock out every other account
        assert all(names >= SECONDARY for names in seen_while_writing)
    assert indexes(session) == before
    found = people(session, account)
    assert len(found) == 9
    assert found["src-2"].manager_id == found["src-1"].id
    # The rebuilt index answers: the Users order walks ix_people_account_name.
    named = session.execute(
        text("SELECT name FROM people WHERE account_id = :a ORDER BY name_key, id"),
        {"a": account.id},
    ).scalars()
    assert list(named) == sorted(f"Person {n}" for n in range(1, 10))


def test_a_table_holding_more_rows_than_are_coming_keeps_its_indexes(
    session: Session, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "BULK_LOAD_ROWS", 5)
    sync(session, account, snap(*(rec(n) for n in range(1, 10))))  # 9 people, 9+ log rows
    with bulk.loading(session, LOADED_TABLES, 9):
        kept = {name for name, _ in indexes(session)}
    assert kept >= SECONDARY
    with bulk.loading(session, LOADED_TABLES, 4):  # below the threshold: nothing moves
        assert {name for name, _ in indexes(session)} >= SECONDARY


def test_a_failed_load_rolls_the_indexes_back_with_its_rows(
    session: Session, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "BULK_LOAD_ROWS", 5)
    before = indexes(session)
    row = {"account_id": account.id, "person_id": "p", "field": "name", "changed_at": NOW}
    with (  # noqa: PT012 - the block is the load
        pytest.raises(RuntimeError, match="the load failed"),
        session.begin_nested(),
        bulk.loading(session, ["change_log"], 10),
    ):
        session.execute(insert(ChangeLog), [row] * 3)
        raise RuntimeError("the load failed")
    assert indexes(session) == before
    logged = session.execute(
        text("SELECT count(*) FROM change_log WHERE account_id = :a"), {"a": account.id}
    ).scalar_one()
    assert logged == 0


def test_a_caller_going_on_after_a_failed_load_finds_the_indexes(
    session: Session, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "BULK_LOAD_ROWS", 5)
    before = indexes(session)
    dropped: list[bool] = []
    with (  # noqa: PT012 - the block is the load
        pytest.raises(RuntimeError, match="the load failed"),
        bulk.loading(session, LOADED_TABLES, 10),
    ):
        dropped.append(indexes(session) != before)
        raise RuntimeError("the load failed")
    assert dropped == [session.get_bind().dialect.name == "sqlite"]
    assert indexes(session) == before
