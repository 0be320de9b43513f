"""The directory read as plain snapshots for the planner: everyone of an account, or the people
a few keys find, each with their demographics (store/directory.py writes it).

Hot paths use plain SQL and one fetch a query, never per-row ORM loading.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from peoplesync.core.employee import Person, PersonStatus, fold
from peoplesync.core.fields import VALUE_FIELDS, VALUE_INDEX, Kind
from peoplesync.core.perf import gc_paused
from peoplesync.store.bulk import chunks
from peoplesync.store.models import Demographic

_VALUE_COLUMNS = tuple(f.column for f in VALUE_FIELDS)
_DATE_AT = tuple(i for i, f in enumerate(VALUE_FIELDS) if f.kind is Kind.DATE)
_EMAIL_AT = 3 + VALUE_INDEX["email"]  # in a row of _PEOPLE_SQL


def load_directory(session: Session, account_id: int) -> list[Person]:
    """Every person of the account, with demographics, as immutable snapshots."""
    with gc_paused():
        return _load_directory(session, account_id)


def _load_directory(session: Session, account_id: int) -> list[Person]:
    names = {v: k for k, v in demographic_ids(session, account_id).items()}
    values: dict[str, dict[str, str]] = defaultdict(dict)
    # Plain SQL on the hot path: 100,000 people and their values, without per-value processing.
    rows = session.execute(
        text(
            "SELECT v.person_id, v.demographic_id, v.value FROM person_demographics v "
            "JOIN people p ON p.id = v.person_id WHERE p.account_id = :a"
        ),
        {"a": account_id},
    ).all()  # one fetchall: row-by-row fetching costs more than the query
    for person_id, demographic_id, value in rows:
        values[person_id][names[demographic_id]] = value
    result = session.execute(text(_PEOPLE_SQL), {"a": account_id}).all()
    return _as_people(result, values)


_PEOPLE_SQL = (
    f"SELECT id, status, source_id, {', '.join(_VALUE_COLUMNS)}, manager_id "  # noqa: S608
    "FROM people WHERE account_id = :a"  # (the schema's own column names)
)


def load_people(
    session: Session,
    account_id: int,
    *,
    source_ids: Collection[str] = (),
    email_keys: Collection[str] = (),
    employee_ids: Collection[str] = (),
) -> list[Person]:
    """The people with these source IDs, folded emails or Employee Ids, with their demographics
    (indexed look-ups, for planning only what changed). Emails are looked up only where the
    people found by source ID do not already hold them."""
    found = _people_where(session, account_id, "source_id", source_ids)
    held = {fold(r[_EMAIL_AT]) for r in found.values() if r[_EMAIL_AT]}
    wanted = [k for k in email_keys if k not in held]
    found.update(_people_where(session, account_id, "email_key", wanted))
    if employee_ids:  # every holder: Employee Ids are not unique (core.identity ranks them)
        found.update(_people_where(session, account_id, "employee_id", employee_ids))
    names = {v: k for k, v in demographic_ids(session, account_id).items()}
    values: dict[str, dict[str, str]] = defaultdict(dict)
    for chunk in chunks(found):
        rows = session.execute(
            text(
                "SELECT person_id, demographic_id, value FROM person_demographics "
                "WHERE person_id IN :p"
            ).bindparams(bindparam("p", expanding=True)),
            {"p": chunk},
        ).all()
        for person_id, demographic_id, value in rows:
            values[person_id][names[demographic_id]] = value
    return _as_people(list(found.values()), values)


def _people_where(
    session: Session, account_id: int, column: str, wanted: Collection[str]
) -> dict[str, Any]:
    """People rows (by id) whose `column` is one of `wanted`."""
    found: dict[str, Any] = {}
    query = text(f"{_PEOPLE_SQL} AND {column} IN :v").bindparams(bindparam("v", expanding=True))
    for chunk in chunks(wanted):
        rows = session.execute(query, {"a": account_id, "v": chunk}).all()  # one fetch
        found.update((r[0], r) for r in rows)
    return found


def _as_people(rows: Sequence[Any], values: Mapping[str, Mapping[str, str]]) -> list[Person]:
    statuses = {s.value: s for s in PersonStatus}
    empty: dict[str, str] = {}
    end = 3 + len(_VALUE_COLUMNS)
    people = []
    for r in rows:
        core = r[3:end]
        if any(isinstance(core[i], str) for i in _DATE_AT):  # SQLite: dates as ISO text
            core = _with_dates(core)
        people.append(
            Person(r[0], statuses[r[1]], r[2], tuple(core), r[end], values.get(r[0], empty))
        )
    return people


def _with_dates(core: Sequence[Any]) -> list[Any]:
    converted = list(core)
    for i in _DATE_AT:
        if isinstance(value := converted[i], str):
            converted[i] = date.fromisoformat(value)
    return converted


def demographic_ids(session: Session, account_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Demographic.name, Demographic.id).where(Demographic.account_id == account_id)
    )
    return dict(rows.all())
