"""Engines, sessions and migrations. Engines are built at start-up, never at import.

The caller owns the transaction: `unit_of_work(engine)` opens one session, commits on success,
rolls back on any exception. Services and repositories never commit.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`. SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE.
    A failed statement's error never carries its parameters (employee data): hide_parameters."""
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs.pop("pool_size", None)  # SQLite: a file, not a server's connection budget
        kwargs.pop("max_overflow", None)
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg"))
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA page_size={PAGE_SIZE}")  # a new file's; must precede WAL mode
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        _autocheckpoint(dbapi_conn)
        cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: bulk imports touch many index pages
        cur.close()

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn: Any, record: Any) -> None:
        if record.info.pop(_DEFERRED, False):  # its transaction is over: commit or rollback
            if dbapi_conn is not None:  # None: invalidated, and its settings gone with it
                _autocheckpoint(dbapi_conn)
            _copy_in_background(engine)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")  # a reader: a snapshot, and no lock on writers
            return
        # Writers queue up at BEGIN instead of failing later on a lock upgrade.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


READ_ONLY = "peoplesync_read_only"  # an execution option: this transaction only reads


# A commit copies the write-ahead log into the database file (and waits for the disk) once the
# log holds this many bytes: 40 MiB, more than an incremental sync and its import write
# together, so that their copy happens while the next sync waits on its HRIS
# (`checkpoint_meanwhile`) instead of inside their commits. SQLite's default is 1,000 pages.
WAL_CHECKPOINT_BYTES = 40 * 1024 * 1024

# The page size of a new database file (an existing file keeps its own: WAL mode fixes it).
# SQLite's default is 4 KiB. With 16 KiB pages a first import's B-trees are shallower and its
# log holds a quarter of the frames: a first import of 100,000 people took 5.16-6.24 s against
# 6.05-7.35 s (apply 2.53-3.20 s against 3.13-3.71 s, 5 interleaved pairs), of 1,000,000 the
# apply 30.0-30.8 s against 39.3-40.9 s (2 pairs). 32 KiB was no faster at 100,000 and made an
# incremental import slower (1% of 100,000 changed: 0.16-0.25 s against 0.12-0.19 s), its commit
# writing whole pages; at 16 KiB that import is as before (issue 16).
PAGE_SIZE = 16 * 1024


def _autocheckpoint(dbapi_conn: Any) -> None:
    """Copy the log inside a commit only past WAL_CHECKPOINT_BYTES, in this file's pages."""
    page = dbapi_conn.execute("PRAGMA page_size").fetchone()[0]
    dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={max(1, WAL_CHECKPOINT_BYTES // page)}")


_DEFERRED = "peoplesync_checkpoint_deferred"  # in a pooled connection's info
_upkeep: set[threading.Thread] = set()  # the threads `_after_commit` started, still running
_upkeep_lock = threading.Lock()


def checkpoint_after_commit(session: Session) -> None:
    """A bulk write's transaction (a first import, its stored plan) commits without copying
    the write-ahead log into the database file: the copy then runs in a thread once the
    connection goes back to its pool, off the import's path. A 100,000-person import's commit
    took 1.15 s with the copy and 0.25 s without; the copy after it 0.7-1.0 s (2 pairs). The
    data is in the log at the commit, readable by every connection; only the file's copy waits.
    Nothing to do on PostgreSQL."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
    connection.connection.info[_DEFERRED] = True


def _copy_in_background(engine: Engine) -> None:
    _after_commit(lambda: _checkpoint(engine), "wal-checkpoint-after")


def _after_commit(work: Callable[[], object], name: str) -> None:
    """Run `work` in a thread of its own, off a committed import's path (`wait_for_upkeep`)."""

    def run() -> None:
        try:
            work()
        finally:
            with _upkeep_lock:
                _upkeep.discard(thread)

    thread = threading.Thread(target=run, name=name, daemon=True)
    with _upkeep_lock:
        _upkeep.add(thread)
    thread.start()


def wait_for_upkeep(timeout: float | None = None) -> None:
    """Wait for the upkeep a big import left to run after its commit: SQLite's log copy
    (`checkpoint_after_commit`), PostgreSQL's statistics (`refresh_statistics`); for a
    benchmark's figure, a test's check, or a command about to exit."""
    with _upkeep_lock:
        running = list(_upkeep)
    for thread in running:
        thread.join(timeout)


@contextmanager
def checkpoint_meanwhile(
    factory: sessionmaker[Session],
) -> Iterator[Future[tuple[int, int, int] | None] | None]:
    """Copy SQLite's write-ahead log into the database file in a thread while the block runs
    (a sync does this while it waits on the network); the block's end waits for the copy. The
    future gives SQLite's (busy, log pages, pages copied), or None if the copy failed (it is only
    early: a later commit or checkpoint does it). Nothing to do on PostgreSQL, or in memory."""
    engine = factory.kw.get("bind")
    if (
        not isinstance(engine, Engine)
        or engine.dialect.name != "sqlite"
        or engine.url.database in (None, "", ":memory:")
    ):
        yield None
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="wal-checkpoint") as pool:
        yield pool.submit(_checkpoint, engine)


def _checkpoint(engine: Engine) -> tuple[int, int, int] | None:
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            busy, log_pages, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            cursor.close()
        finally:
            raw.close()
    except (DBAPIError, sqlite3.Error) as err:  # connecting raises the first, the pragma the other
        log.warning("store.checkpoint.failed", error=str(getattr(err, "orig", err)))
        return None
    return int(busy), int(log_pages), int(copied)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session, committed when the block ends, rolled back if it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that only reads, and is rolled back at the end (nothing it did stays).

    On SQLite it takes no write lock (a deferred BEGIN: a consistent snapshot of the WAL, while
    writers go on), so a long read or the work done between its queries never keeps another
    account's request waiting. Write in a `unit_of_work`."""
    session = factory()
    try:
        session.connection(execution_options={READ_ONLY: True})
        yield session
    finally:
        session.close()  # rolls the transaction back; what was read stays readable


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Create or upgrade the database to the newest schema."""
    command.upgrade(alembic_config(engine), "head")


BIG_CHANGE = 500  # rows; after an import this large the planner's statistics are refreshed


# The tables whose statistics an import moves (PostgreSQL analyses the ones it is told).
STATISTICS_TABLES = (
    "people",
    "person_demographics",
    "person_search_terms",
    "source_records",
    "source_pending",
)


def refresh_statistics(session: Session) -> None:
    """Refresh the query planner's statistics after a big import.

    SQLite keeps none by itself: without them it picks the wrong index at 100k people (e.g. a
    scan by status for 50 ids); a bounded ANALYZE takes ~10 ms, in the import's transaction.
    PostgreSQL's autovacuum would get there, but only some time after a bulk load (and not at
    all where it is off), while the next sync plans against the new rows at once: an incremental
    sync right after a 100,000-person first import took 1.7 times as long without. Analysing the
    imported tables takes 0.35-0.6 s at that size: it runs once the import has committed, in a
    thread of its own (`wait_for_upkeep`), so that the import is not kept waiting for it; the
    admin's next sync comes long after. If the import rolls back, nothing runs. A session bound
    to a connection (a transaction its caller owns, and commits when it will) analyses in it."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        session.execute(text("PRAGMA analysis_limit=400"))
        session.execute(text("ANALYZE"))
    elif bind.dialect.name == "postgresql":
        if isinstance(bind, Engine):
            _analyse_after_commit(session, bind)
        else:
            session.execute(text(ANALYSE))


ANALYSE = f"ANALYZE {', '.join(STATISTICS_TABLES)}"


def _analyse_after_commit(session: Session, engine: Engine) -> None:
    def committed(_: Session) -> None:
        event.remove(session, "after_rollback", rolled_back)
        _after_commit(lambda: _analyse(engine), "analyse-after")

    def rolled_back(_: Session) -> None:
        event.remove(session, "after_commit", committed)

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", rolled_back, once=True)


def _analyse(engine: Engine) -> None:
    try:
        with engine.begin() as db:
            db.execute(text(ANALYSE))
    except DBAPIError as err:  # only late: autovacuum, or the next big import, gets there
        log.warning("store.analyse.failed", error=str(err.orig))
