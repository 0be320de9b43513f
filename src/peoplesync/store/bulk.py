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
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

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
    for batch in _batches(rows, BATCH_ROWS):
        connection.exec_driver_sql(sql, batch)


BATCH_ROWS = 20_000  # bounded memory for SQLite's executemany, whatever the import size


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
        rows = _for_sqlite(table, columns, rows)
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


def _converted(row: Row, convert: Sequence[tuple[int, Callable[[Any], Any]]]) -> tuple[Any, ...]:
    out = list(row)
    for i, f in convert:
        out[i] = f(out[i])
    return tuple(out)


def _sqlite_converter(table: Table, column: str) -> Callable[[Any], Any] | None:
    kind = table.c[column].type
    if isinstance(kind, DateTime) or isinstance(getattr(kind, "impl", None), DateTime):
        return _sqlite_datetime
    if isinstance(kind, Date):
        return _sqlite_date
    return None


@functools.lru_cache(maxsize=64)  # a bulk write stamps most rows with the same instant
def _sqlite_datetime(value: object) -> object:
    # SQLAlchemy's SQLite DATETIME storage format, in UTC (see models.UTCDateTime).
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _sqlite_date(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value  # ISO text passes as it is


def _copy(connection: Any, table: Table, columns: Sequence[str], rows: Iterable[Row]) -> None:
    raw = connection.connection.driver_connection  # the psycopg connection of this transaction
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    dbapi = connection.dialect.dbapi
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi.Error as err:
        # The same exception SQLAlchemy raises for its own statements (IntegrityError, ...).
        raise DBAPIError.instance(statement, None, err, dbapi.Error) from err


LOOKUP_CHUNK = 500  # values per IN (...) look-up


def chunks(values: Collection[str]) -> Iterator[list[str]]:
    """`values`, sorted, in lists of at most LOOKUP_CHUNK (for IN (...) look-ups)."""
    ordered = sorted(values)
    for i in range(0, len(ordered), LOOKUP_CHUNK):
        yield ordered[i : i + LOOKUP_CHUNK]
