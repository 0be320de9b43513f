"""SQLite's write-ahead log is copied into the database while a sync waits on its HRIS, not
inside the commits of a sync and its import."""

from __future__ import annotations

import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from peoplesync.store import db as store_db
from peoplesync.store.db import (
    checkpoint_after_commit,
    checkpoint_meanwhile,
    make_engine,
    session_factory,
    wait_for_upkeep,
)


def wal_index(database: Path) -> tuple[int, int]:
    """(pages in the log, pages of it already copied into the database): `mxFrame` and
    `nBackfill` of the WAL-index header in the -shm file (sqlite.org/walformat.html)."""
    header = (database.parent / (database.name + "-shm")).read_bytes()[:136]
    return (
        int.from_bytes(header[16:20], sys.byteorder),
        int.from_bytes(header[96:100], sys.byteorder),
    )


def test_commits_leave_the_log_and_checkpoint_meanwhile_copies_it(tmp_path: Path) -> None:
    database = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as db:
        db.execute(text("CREATE TABLE scratch (body BLOB)"))
        # About 36 MB, under our 40 MiB: SQLite's default (1,000 pages, 32 MiB at our page
        # size) would copy the log inside this commit.
        db.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000) "
                "INSERT INTO scratch SELECT randomblob(3000) FROM n"
            )
        )
        page = db.exec_driver_sql("PRAGMA page_size").scalar_one()
    logged, copied = wal_index(database)
    assert page == store_db.PAGE_SIZE  # a new file takes our page size
    assert logged * page >= 36_000_000
    assert copied < logged  # still only in the log

    with checkpoint_meanwhile(session_factory(engine)) as done:
        assert done is not None
        result = done.result(timeout=30)

    assert result == (0, logged, logged)
    assert wal_index(database) == (logged, logged)
    engine.dispose()


def test_nothing_to_copy_on_postgresql(postgres_engine: Engine) -> None:
    with checkpoint_meanwhile(session_factory(postgres_engine)) as done:
        assert done is None


def test_nothing_to_copy_in_memory() -> None:
    engine = make_engine("sqlite://")
    with checkpoint_meanwhile(session_factory(engine)) as done:
        assert done is None


FILL = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) "
    "INSERT INTO scratch SELECT randomblob(3000) FROM n"
)  # about 900 KB


@pytest.mark.parametrize("deferred", [False, True])
def test_a_bulk_writes_commit_leaves_the_copy_to_a_thread_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deferred: bool
) -> None:
    monkeypatch.setattr(store_db, "WAL_CHECKPOINT_BYTES", 100 * 4096)  # each commit would copy
    database = tmp_path / "bulk.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as db:
        db.execute(text("CREATE TABLE scratch (body BLOB)"))
    connection = engine.connect()  # held: it goes back to the pool only when closed
    session = Session(bind=connection)
    if deferred:
        checkpoint_after_commit(session)
    session.execute(text(FILL))
    session.commit()
    logged, copied = wal_index(database)
    assert logged * store_db.PAGE_SIZE >= 900_000
    if not deferred:
        assert copied == logged  # copied inside the commit, as before
    else:
        assert copied < logged  # committed (in the log) but not yet copied
        readable = make_engine(f"sqlite:///{database}")
        with readable.connect() as other:
            assert other.execute(text("SELECT count(*) FROM scratch")).scalar_one() == 300
        readable.dispose()
        session.close()
        connection.close()  # back to the pool: the copy starts
        wait_for_upkeep(timeout=30)
        assert wal_index(database)[1] == wal_index(database)[0]
    with engine.connect() as again:  # the pooled connection copies inside its commits again
        pages = again.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    assert pages == 100 * 4096 // store_db.PAGE_SIZE
    session.close()
    connection.close()
    engine.dispose()


def test_a_bulk_write_defers_nothing_on_postgresql(postgres_engine: Engine) -> None:
    with Session(postgres_engine) as session:
        checkpoint_after_commit(session)
        assert not [k for k in session.connection().connection.info if "peoplesync" in k]


def test_an_existing_file_keeps_its_page_size_and_copies_at_the_same_bytes(
    tmp_path: Path,
) -> None:
    """A database made before the page size changed (SQLite's 4 KiB, in WAL mode) is left as it
    is: its log is copied at the same 40 MiB, counted in its own pages."""
    database = tmp_path / "old.db"
    with closing(sqlite3.connect(database)) as old:
        old.execute("PRAGMA page_size=4096")
        old.execute("PRAGMA journal_mode=WAL")
        old.execute("CREATE TABLE scratch (body BLOB)")
        old.commit()
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as db:
        page = db.exec_driver_sql("PRAGMA page_size").scalar_one()
        pages = db.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    engine.dispose()
    assert page == 4096 != store_db.PAGE_SIZE
    assert pages == store_db.WAL_CHECKPOINT_BYTES // 4096
