"""A first import's creates, written by the database itself from the stored plan (issue 16).

Written the Python way (store/directory.py `write_plan`), each create's stored changes are read
back, decoded, made into a people row and its demographic values, and sent back: at 100,000
creates on SQLite 1.3-1.8 s of a 2.8 s apply. Here one `INSERT ... SELECT` a table reads the
values out of the plan's JSON where they lie (SQLite's `json_extract`, PostgreSQL's JSONB
operators), so none of them passes through Python: 0.28-0.33 s for the people rows on either
database. The plan is the same durable artifact as before; only the copy is gone.

What a database cannot do stays in Python, computed once: the folded name and email of a
people row (`str.casefold`, which neither database's lower() matches) are stored with each
create (`CreatedChanges.stored`, its `keys`), and the search terms are made from the values
read back a chunk at a time, as `write_plan` makes them. A plan stored without the keys (before
they were) is written the Python way, as is an undo (`write_stored_plan(keep=True)`, which
needs the rows). tests/store/test_creates_in_sql.py applies one plan both ways and compares.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, text
from sqlalchemy.orm import Session

from peoplesync.core.fields import DATE_FIELDS
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

# Creates above which a plan's are written here: as many as make `check_managers` check the
# whole account anyway, so that the managers they name need not be collected.
SQL_CREATES = WHOLE_CHECK
TERMS_CHUNK = 20_000  # people whose search terms are made at a time

_CREATES = "FROM plan_items i WHERE i.run_id = :r AND i.kind = 'create'"
_FIELD_OF = {column: field for field, column in COLUMN_OF.items()}


def stored_with_keys(session: Session, run_id: int) -> bool:
    """Is the run's first create stored with the keys its people row needs (`keys`)?"""
    sql = f"SELECT {_json(session, ('keys',), text_value=False)} {_CREATES} ORDER BY i.seq LIMIT 1"
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
    in the caller's transaction: (people created, change-log rows). The managers they name
    are for the caller to check (`check_managers(whole=True)`)."""
    stamp: Any = sqlite_datetime(now) if _dialect(session) == "sqlite" else now
    params = {"r": run_id, "a": account_id, "kind": source_kind, "now": stamp, "actor": actor}
    created = _rows(session.execute(text(_people_sql(session)), params))
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
    _add_terms(session, account_id, run_id)
    return created, logged


def _people_sql(session: Session) -> str:
    """INSERT the people rows of the run's creates, each column read from its stored form."""
    made = {
        "id": "i.person_id",
        "account_id": ":a",
        "status": _json(session, ("status",)),
        "name_key": _json(session, ("keys", "name")),
        "email_key": _json(session, ("keys", "email")),
        "source_kind": ":kind",
        "created_at": ":now",
        "updated_at": ":now",
    }
    values = []
    for column in PEOPLE_INSERT_COLUMNS:
        if column in made:
            values.append(made[column])
            continue
        field = _FIELD_OF[column]
        value = _json(session, ("values", field))
        if field in DATE_FIELDS and _dialect(session) == "postgresql":
            value = f"CAST({value} AS DATE)"
        values.append(value)
    return (
        f"INSERT INTO people ({', '.join(PEOPLE_INSERT_COLUMNS)}) "
        f"SELECT {', '.join(values)} {_CREATES} ORDER BY i.seq"
    )


def _write_demographics(session: Session, account_id: int, run_id: int, now: datetime) -> None:
    """The demographics the creates name (made if new), then every value, in one statement."""
    if _dialect(session) == "sqlite":
        pairs = "plan_items i, json_each(i.changes, '$.demographics') j"
        names = f"SELECT DISTINCT j.key FROM {pairs} WHERE i.run_id = :r AND i.kind = 'create'"  # noqa: S608 - our own text
    else:
        pairs = "plan_items i CROSS JOIN LATERAL jsonb_each_text(i.changes -> 'demographics') j"
        names = f"SELECT DISTINCT jsonb_object_keys(i.changes -> 'demographics') {_CREATES}"
    found = session.execute(text(names), {"r": run_id}).scalars().all()
    if not found:
        return
    ensure_demographics(session, account_id, found, now)
    session.execute(
        text(
            "INSERT INTO person_demographics (person_id, demographic_id, value) "  # noqa: S608 - our own text
            f"SELECT i.person_id, d.id, j.value FROM {pairs} "
            "JOIN demographics d ON d.account_id = :a AND d.name = j.key "
            "WHERE i.run_id = :r AND i.kind = 'create'"
        ),
        {"a": account_id, "r": run_id},
    )


def _add_terms(session: Session, account_id: int, run_id: int) -> None:
    """The creates' search terms, from their stored values a chunk at a time."""
    searched = ", ".join(_json(session, ("values", field)) for field in SEARCHED)
    query = text(
        f"SELECT i.seq, i.person_id, {searched} {_CREATES} AND i.seq > :after "
        "ORDER BY i.seq LIMIT :n"
    )
    after = -1
    while rows := session.execute(query, {"r": run_id, "after": after, "n": TERMS_CHUNK}).all():
        add_terms(session, account_id, [row[1:] for row in rows])
        after = rows[-1][0]


def _json(session: Session, path: Sequence[str], *, text_value: bool = True) -> str:
    """The SQL that reads `path` of a plan item's stored changes (as text, if `text_value`)."""
    if _dialect(session) == "sqlite":
        return f"json_extract(i.changes, '$.{'.'.join(path)}')"
    *steps, last = [f"'{step}'" for step in path]
    return " -> ".join(["i.changes", *steps]) + (" ->> " if text_value else " -> ") + last


def _rows(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name
