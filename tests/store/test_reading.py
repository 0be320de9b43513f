"""A unit of work that only reads takes no write lock (SQLite): a writer beside it goes on at
once, the reader keeps its snapshot, and what it read stays readable after it ends."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select

from peoplesync.accounts.service import create_account
from peoplesync.store.db import make_engine, migrate, reading, session_factory, unit_of_work
from peoplesync.store.models import Account
from tests.support import NOW


def busy_after(engine: Engine, *, milliseconds: int) -> Engine:
    """A shorter busy timeout than the service's 30 s, so that waiting on a lock shows."""

    @event.listens_for(engine, "connect")
    def _busy(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA busy_timeout={milliseconds}")

    return engine


def test_a_reader_never_keeps_a_writer_waiting(tmp_path: Path) -> None:
    engine = busy_after(make_engine(f"sqlite:///{tmp_path / 'r.db'}"), milliseconds=1000)
    migrate(engine)
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        create_account(session, "First", now=NOW)
    wrote = threading.Event()

    def writer() -> None:
        with unit_of_work(factory) as session:
            create_account(session, "Second", now=NOW)
        wrote.set()

    with reading(factory) as session:
        before = session.scalars(select(Account).order_by(Account.id)).all()
        thread = threading.Thread(target=writer)
        thread.start()
        assert wrote.wait(5), "the writer waited on the reader"  # a 1 s busy timeout would fail
        thread.join()
        assert [a.name for a in session.scalars(select(Account))] == ["First"]  # its snapshot
    assert [a.name for a in before] == ["First"]  # still readable once the reader ended
    with reading(factory) as session:
        assert len(session.scalars(select(Account)).all()) == 2
    engine.dispose()


def test_a_writer_holds_its_lock_while_another_writer_waits(tmp_path: Path) -> None:
    """The contrast: two writers queue up (BEGIN IMMEDIATE), so the reader's freedom is real."""
    engine = busy_after(make_engine(f"sqlite:///{tmp_path / 'w.db'}"), milliseconds=200)
    migrate(engine)
    factory = session_factory(engine)
    failed: list[BaseException] = []

    def writer() -> None:
        try:
            with unit_of_work(factory) as session:
                create_account(session, "Second", now=NOW)
        except Exception as err:
            failed.append(err)

    with unit_of_work(factory) as session:
        create_account(session, "First", now=NOW)
        session.flush()
        thread = threading.Thread(target=writer)
        thread.start()
        thread.join()
    assert failed, "a second writer got in beside the first"
    engine.dispose()
