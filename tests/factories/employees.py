"""Small typed factories for the core's records: source employees, directory persons, snapshots.

`source_employee(n)` and `person(n)` describe the same employee: planning the one against the
other is UNCHANGED, so a test states only the field it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TypedDict, Unpack

from peoplesync.core.employee import Person, PersonStatus, SourceEmployee, SourceSnapshot
from peoplesync.core.fields import CORE_FIELDS

TODAY = date(2026, 11, 25)
ALL_FIELDS: frozenset[str] = frozenset(CORE_FIELDS)


class EmployeeFields(TypedDict, total=False):
    location: str
    source_id: str | None
    employee_id: str | None
    name: str | None
    preferred_name: str | None
    email: str | None
    birth_date: date | None
    start_date: date | None
    end_date: date | None
    manager_source_id: str | None
    manager_email: str | None
    demographics: Mapping[str, str]


class PersonFields(TypedDict, total=False):
    id: str
    status: PersonStatus
    source_id: str | None
    employee_id: str | None
    name: str | None
    preferred_name: str | None
    email: str | None
    birth_date: date | None
    start_date: date | None
    end_date: date | None
    manager_id: str | None
    demographics: Mapping[str, str]


def email_of(n: int) -> str:
    return f"person{n}@acme.example"


def person_id(n: int) -> str:
    return f"p-{n}"


def source_employee(n: int = 1, **overrides: Unpack[EmployeeFields]) -> SourceEmployee:
    """Employee `n` as a source states them: CSV row n + 1, source ID `src-n`, no manager."""
    base = SourceEmployee.of(
        f"row {n + 1}",
        source_id=f"src-{n}",
        employee_id=f"E{n:04d}",
        name=f"Person {n}",
        preferred_name=None,
        email=email_of(n),
        birth_date=date(1990, 1, 1),
        start_date=date(2020, 1, 6),
        end_date=None,
    )
    return base.changed(**overrides)


def person(n: int = 1, **overrides: Unpack[PersonFields]) -> Person:
    """Employee `n` as the directory holds them: the same values as `source_employee(n)`."""
    base = Person.of(
        person_id(n),
        PersonStatus.ACTIVE,
        source_id=f"src-{n}",
        employee_id=f"E{n:04d}",
        name=f"Person {n}",
        preferred_name=None,
        email=email_of(n),
        birth_date=date(1990, 1, 1),
        start_date=date(2020, 1, 6),
        end_date=None,
    )
    return base.changed(**overrides)


def snapshot(
    records: Iterable[SourceEmployee],
    provided: frozenset[str] = ALL_FIELDS,
    *,
    demographic_names: Iterable[str] | None = None,
    complete: bool = True,
    kind: str = "merge",
) -> SourceSnapshot:
    """A snapshot of `records`; demographic names default to those the records carry."""
    recs = tuple(records)
    if demographic_names is None:
        demographic_names = {name for r in recs for name in r.demographics}
    return SourceSnapshot(
        records=recs,
        provided=provided,
        demographic_names=frozenset(demographic_names),
        complete=complete,
        kind=kind,
    )


def reporting_to(manager: int, *members: int) -> list[SourceEmployee]:
    """Employees `members`, each with `manager` as their manager (by source ID)."""
    return [source_employee(n, manager_source_id=f"src-{manager}") for n in members]
