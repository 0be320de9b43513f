"""A first import's creates, written by SQLite itself from the stored plan (issue 16).

Written the Python way (store/directory.py `write_plan`), each create's stored changes are read
back, decoded, made into a people row and its demographic values, and sent back. Here one
`INSERT ... SELECT` a table reads the values out of the plan's JSON where they lie
(`json_extract`, `json_each`), so none of them passes through Python. At 100,000 creates, 3
interleaved pairs of bench.first: apply 3.39-3.62 -> 2.63-3.01 s.

What the database cannot do stays in Python, computed once: the folded name and email of a
people row (`str.casefold`, which SQLite's lower() does not match past ASCII) are stored with
each create (`CreatedChanges.stored`, its `keys`), and the search terms are made from the new
rows, read back a chunk at a time, as `write_plan` makes them. A plan stored without the keys
(before they were) is written the Python way, as is an undo (`write_stored_plan(keep=True)`,
which needs the rows).

PostgreSQL keeps the Python way, by measurement: there the same statements on a JSONB column
(a JSON one reparses its text for every field read: 3.5 s for the people rows) applied no
faster than COPY (4.0-4.6 s against 4.1-4.9 s, 3 pairs), index upkeep and the log being what
it waits on, and JSONB made storing the plan 0.2-0.3 s slower.
The search terms are made here, on the writer's thread, by measurement. Made on a thread of
their own while the statements ran (SQLite runs them without the interpreter lock), they saved
a median 0.09 s of an apply of 3.3-4.3 s (7 interleaved pairs, 100,000 people of a Merge
company): the writer's statements ran a fifth slower beside them on this 2-core machine, and
reading the plan through a second connection instead made them half as slow again (the
people insert 0.56 -> 1.17 s). Not worth a thread.
tests/store/test_creates_in_sql.py applies one plan both ways and compares.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, text
from sqlalchemy.orm import Session

from peoplesync.store.bulk import sqlite_datetime
from peoplesync.store.directory import (
    COLUMN_OF,
    CREATED,
    LOG_COLUMNS,
    PEOPLE_INSERT_COLUMNS,
    ensure_demographics,
)
from peoplesync.store.hierarchy import WHOLE_CHECK
from peoplesync.store.search_terms import SEARCHED, add_terms

# Creates from which a plan's are written here: as many as make `check_managers` check the
# whole account anyway, so that the managers they name need not be collected.
SQL_CREATES = WHOLE_CHECK
TERMS_CHUNK = 20_000  # people whose search terms are made at a time

_WHERE = "WHERE i.run_id = :r AND i.kind = 'create'"
_CREATES = f"FROM plan_items i {_WHERE}"
_FIELD_OF = {column: field for field, column in COLUMN_OF.items()}


def writes_creates(session: Session, run_id: int) -> bool:
    """Can the database write this run's creates: SQLite, and a plan whose (first) create is
    stored with the keys its people row needs?"""
    if session.get_bind().dialect.name != "sqlite":
        return False
    sql = f"SELECT json_extract(i.changes, '$.keys') {_CREATES} ORDER BY i.seq LIMIT 1"
    return session.execute(text(sql), {"r": run_id}).scalar() is not None


def write_creates(
    session: Session,
    *,
    account_id: int,
    run_id: int,
    source_kind: str,
    actor: str | None,
    now: datetime,
) -> tuple[int, int]:
    """Write every create of run `run_id`'s stored plan into the directory and the change log,
    in the caller's transaction (`writes_creates` says when it can): (people created,
    change-log rows). The managers they name are for the caller to check
    (`check_managers(whole=True)`)."""
    stamp = sqlite_datetime(now)
    params = {"r": run_id, "a": account_id, "kind": source_kind, "now": stamp, "actor": actor}
    # SQLite numbers new rows past the highest rowid: the new people are those above it.
    before = session.execute(text("SELECT coalesce(max(rowid), 0) FROM people")).scalar_one()
    created = _rows(session.execute(text(_PEOPLE), params))
    _write_demographics(session, account_id, run_id, now)
    columns = ", ".join(LOG_COLUMNS)
    logged = _rows(
        session.execute(
            text(
                f"INSERT INTO change_log ({columns}) SELECT :a, :r, i.person_id, '{CREATED}', "
                f"NULL, i.label, :actor, :now {_CREATES} ORDER BY i.seq"
            ),
            params,
        )
    )
    _add_terms(session, account_id, before)
    return created, logged


def _people_sql() -> str:
    """INSERT the people rows of the run's creates, each column read from its stored form."""
    made = {
        "id": "i.person_id",
        "account_id": ":a",
        "status": "json_extract(i.changes, '$.status')",
        "name_key": "json_extract(i.changes, '$.keys.name')",
        "email_key": "json_extract(i.changes, '$.keys.email')",
        "source_kind": ":kind",
        "created_at": ":now",
        "updated_at": ":now",
    }
    values = [  # dates as the ISO text they are stored in, as SQLite keeps them
        made.get(column) or f"json_extract(i.changes, '$.values.{_FIELD_OF[column]}')"
        for column in PEOPLE_INSERT_COLUMNS
    ]
    return (
        f"INSERT INTO people ({', '.join(PEOPLE_INSERT_COLUMNS)}) "
        f"SELECT {', '.join(values)} {_CREATES} ORDER BY i.seq"
    )


_PEOPLE = _people_sql()


def _write_demographics(session: Session, account_id: int, run_id: int, now: datetime) -> None:
    """The demographics the creates name (made if new), then every value, in one statement
    (each name's id given by a CASE: a join on the demographics cost a third more)."""
    pairs = f"plan_items i, json_each(i.changes, '$.demographics') j {_WHERE}"
    found = session.execute(text(f"SELECT DISTINCT j.key FROM {pairs}"), {"r": run_id})  # noqa: S608 - our own text
    names = found.scalars().all()
    if not names:
        return
    ids = ensure_demographics(session, account_id, names, now)
    marks = {f"n{k}": name for k, name in enumerate(names)}
    case = " ".join(f"WHEN :{mark} THEN {int(ids[name])}" for mark, name in marks.items())
    session.execute(
        text(
            "INSERT INTO person_demographics (person_id, demographic_id, value) "  # noqa: S608 - our own text
            f"SELECT i.person_id, CASE j.key {case} END, j.value FROM {pairs}"
        ),
        {"r": run_id, **marks},
    )


def _add_terms(session: Session, account_id: int, before: int) -> None:
    """The search terms of the people above rowid `before`, a chunk at a time."""
    query = text(
        f"SELECT rowid, id, {', '.join(SEARCHED)} FROM people "  # noqa: S608 - our own text
        "WHERE rowid > :after ORDER BY rowid LIMIT :n"
    )
    after = before
    while rows := session.execute(query, {"after": after, "n": TERMS_CHUNK}).all():
        add_terms(session, account_id, [row[1:] for row in rows])
        after = rows[-1][0]


def _rows(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount
