"""Bulk writes for the hot path: inserts by COPY on PostgreSQL and one executemany on SQLite,
updates by one executemany (and the chunks in which look-ups pass many values).

A 100,000-person import writes hundreds of thousands of rows; SQLAlchemy's per-row parameter
processing would cost more than the database itself. Rows are plain tuples of driver-native
values: `str`, `int`, `float`, `bool`, `None`, `date` and aware `datetime` (converted here for
SQLite the way SQLAlchemy stores them, so the ORM reads them back unchanged). JSON columns take
already-encoded text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, String, Table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from peoplesync.store.db import checkpoint_after_commit

Row = Sequence[Any]


def bulk_insert(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Row]
) -> None:
    """Insert `rows` (tuples in `columns` order) inside the session's transaction."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, table, columns, rows)
        return
    rows = _for_sqlite(table, columns, rows)
    names, marks = ", ".join(columns), ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608 - our own names
    _executemany(connection, sql, rows)


def _executemany(connection: Any, sql: str, rows: Iterable[Row]) -> None:
    """One executemany on the driver's own connection (this transaction's), fed the rows as
    they come. sqlite3 takes an iterator of lists or tuples, so memory holds a row, not a
    batch, and no row is copied into a tuple for SQLAlchemy's checks (that copying and
    batching cost 10-20% of a 100,000-row x 20-column insert, measured in turns)."""
    with _driver_errors(connection, sql):
        connection.connection.driver_connection.executemany(sql, rows)


@contextmanager
def _driver_errors(connection: Any, statement: str) -> Iterator[None]:
    """A driver error of a statement run on the driver's own connection, raised as the same
    exception SQLAlchemy raises for its own statements (IntegrityError, ...)."""
    dbapi = connection.dialect.dbapi
    try:
        yield
    except dbapi.Error as err:
        raise DBAPIError.instance(statement, None, err, dbapi.Error) from err


BATCH_ROWS = 20_000  # rows per executemany of an update on PostgreSQL: bounded memory


def bulk_update(
    session: Session,
    table: Table,
    columns: Sequence[str],
    keys: Sequence[str],
    rows: Iterable[Row],
) -> None:
    """Set `columns` on many rows in one executemany: each row is (*new values, *`keys` values).
    Values are driver-native, as for `bulk_insert`; a JSON column takes encoded text. Each row is
    written once, with only the columns named: PostgreSQL writes a new row version per UPDATE."""
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sets = ", ".join(f"{column} = {mark}" for column in columns)
    where = " AND ".join(f"{key} = {mark}" for key in keys)
    sql = f"UPDATE {table.name} SET {sets} WHERE {where}"  # noqa: S608 - our own names
    if connection.dialect.name == "sqlite":
        _executemany(connection, sql, _for_sqlite(table, columns, rows))
        return
    for batch in _batches(rows, BATCH_ROWS):
        connection.exec_driver_sql(sql, batch)


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row if isinstance(row, tuple) else tuple(row))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _for_sqlite(table: Table, columns: Sequence[str], rows: Iterable[Row]) -> Iterable[Row]:
    """`rows` with their dates and date-times as SQLite stores them (the rest as they are)."""
    convert = [(i, f) for i, c in enumerate(columns) if (f := _sqlite_converter(table, c))]
    return (_converted(row, convert) for row in rows) if convert else rows


def _converted(row: Row, convert: Sequence[tuple[int, Callable[[Any], Any]]]) -> list[Any]:
    out = list(row)  # both drivers take a list as a row
    for i, f in convert:
        out[i] = f(out[i])
    return out


def _sqlite_converter(table: Table, column: str) -> Callable[[Any], Any] | None:
    kind = table.c[column].type
    if isinstance(kind, DateTime) or isinstance(getattr(kind, "impl", None), DateTime):
        return sqlite_datetime
    if isinstance(kind, Date):
        return _sqlite_date
    return None


@functools.lru_cache(maxsize=64)  # a bulk write stamps most rows with the same instant
def sqlite_datetime(value: object) -> object:
    # SQLAlchemy's SQLite DATETIME storage format, in UTC (see models.UTCDateTime).
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _sqlite_date(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value  # ISO text passes as it is


def _copy(connection: Any, table: Table, columns: Sequence[str], rows: Iterable[Row]) -> None:
    """COPY in PostgreSQL's binary format where every column has a binary type here (a third
    less time than text at 100,000 rows: nothing is formatted and parsed again), text otherwise
    (a JSON column takes encoded text, which only the text format passes as it is).

    Rows are written on this thread: psycopg's QueuedLibpqWriter, which sends them from another
    while this one formats, applied a first import of 100,000 no faster (2 pairs, 5.3-5.7 s
    against 5.4-5.6 s): the server's index upkeep is what a big COPY waits on."""
    raw = connection.connection.driver_connection  # the psycopg connection of this transaction
    types = _binary_types(table, tuple(columns))
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    if types is not None:
        statement += " (FORMAT BINARY)"
        rows = _for_binary(types, rows)
    with (
        _driver_errors(connection, statement),
        raw.cursor() as cursor,
        cursor.copy(statement) as copy,
    ):
        if types is not None:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


@functools.lru_cache(maxsize=64)
def _binary_types(table: Table, columns: tuple[str, ...]) -> list[str] | None:
    """The PostgreSQL type of each column for a binary COPY, or None if one has no binary
    form here."""
    types = []
    for column in columns:
        kind = table.c[column].type
        kind = getattr(kind, "impl_instance", kind)  # a TypeDecorator: what it stores
        name = next((n for t, n in _BINARY if isinstance(kind, t)), None)
        if name is None or (name == "timestamptz" and not getattr(kind, "timezone", False)):
            return None
        types.append(name)
    return types


# Most specific first: a Date is no DateTime, but Text is a String.
_BINARY: tuple[tuple[type[Any], str], ...] = (
    (Boolean, "bool"),
    (BigInteger, "int8"),
    (Integer, "int4"),
    (DateTime, "timestamptz"),
    (Date, "date"),
    (String, "text"),
)


def _for_binary(types: Sequence[str], rows: Iterable[Row]) -> Iterable[Row]:
    """`rows` with ISO text in date columns as dates (the binary format takes no text there)."""
    convert = [(i, _iso_date) for i, t in enumerate(types) if t == "date"]
    return (_converted(row, convert) for row in rows) if convert else rows


def _iso_date(value: object) -> object:
    return date.fromisoformat(value) if isinstance(value, str) else value


# Below this, a load is written into the indexes as they stand. Measured at the edge (SQLite
# first imports, 3 runs each, apply with the rebuild and deferred copy -> without): 2,000 people
# 0.06 -> 0.07 s, 5,000 0.15 -> 0.15-0.16 s, 10,000 0.28-0.29 -> 0.30-0.31 s, 20,000 0.57-0.59 ->
# 0.60-0.80 s: the choice matters only above it.
BULK_LOAD_ROWS = 10_000


@contextmanager
def loading(session: Session, tables: Sequence[str], rows: int) -> Iterator[None]:
    """A bulk load of about `rows` rows into each of `tables`, inside the session's transaction.

    On SQLite, each of `tables` that holds fewer rows than are coming (a first import, where
    the directory is empty or small) has its secondary indexes dropped before the load and
    built again after it: one sort per index instead of a B-tree descent per row (a first import
    of 100,000 applied 10-17% faster, 3 interleaved pairs; with 90,000 people held by another
    account, no slower: 3 pairs, 8.6 s against 9.5 s on average). The unique
    indexes a table's own constraints make stay, checking every row as it comes. Both happen
    in the caller's transaction, so a failed load rolls the indexes back with the rows; readers
    see the old snapshot until the commit, as with any write. PostgreSQL keeps its indexes:
    there DROP INDEX would lock the table against every other account's reads until commit.
    A load this big commits without copying SQLite's log into the database file: the copy
    runs after the commit (`checkpoint_after_commit`)."""
    if rows >= BULK_LOAD_ROWS:
        checkpoint_after_commit(session)
    rebuilt = _indexes_to_rebuild(session, tables, rows)
    for name, _ in rebuilt:
        session.execute(text(f'DROP INDEX "{name}"'))
    try:
        yield
    except BaseException:
        # The caller should roll back, taking the drop with it; one that goes on after the
        # failure must still find the schema whole. A transaction SQLite already ended cannot
        # build them, and needs no building: the original error is the one raised.
        with suppress(DBAPIError):
            _build(session, rebuilt)
        raise
    _build(session, rebuilt)


def _build(session: Session, indexes: Sequence[tuple[str, str]]) -> None:
    for _, definition in indexes:
        session.execute(text(definition))


def _indexes_to_rebuild(
    session: Session, tables: Sequence[str], rows: int
) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the secondary indexes `loading` builds after a load."""
    if rows < BULK_LOAD_ROWS or session.get_bind().dialect.name != "sqlite":
        return []
    found: list[tuple[str, str]] = []
    for table in tables:
        held = session.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()  # noqa: S608 - our own names
        if held < rows:
            found.extend(
                (name, sql)
                for name, sql in session.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = :t AND sql IS NOT NULL ORDER BY name"
                    ),  # sql is NULL for a constraint's own index, which cannot be dropped
                    {"t": table},
                )
            )
    return found


LOOKUP_CHUNK = 500  # values per IN (...) look-up


def chunks(values: Collection[str]) -> Iterator[list[str]]:
    """`values`, sorted, in lists of at most LOOKUP_CHUNK (for IN (...) look-ups)."""
    ordered = sorted(values)
    for i in range(0, len(ordered), LOOKUP_CHUNK):
        yield ordered[i : i + LOOKUP_CHUNK]
