"""SQLite's write-ahead log is copied into the database while a sync waits on its HRIS, not
inside the commits of a sync and its import."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import Engine, text

from peoplesync.store.db import checkpoint_meanwhile, make_engine, session_factory


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
        # About 3,000 pages: SQLite's default would copy the log inside this commit.
        db.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
                "INSERT INTO scratch SELECT randomblob(3000) FROM n"
            )
        )
    logged, copied = wal_index(database)
    assert logged >= 3000
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
