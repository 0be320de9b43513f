"""HR changes in the synthetic Justworks company, as Merge would see them after its next sync.

Each change replaces facts of a record in the account's overlay and stamps it with a fresh tick
of the Merge clock, so `modified_at` moves to "now" and strictly increases across changes.
Functions raise `HrChangeError` with a message for the control API's 400/404 answers.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from peoplesync.sandbox.catalog import EMPLOYEE, Catalog
from peoplesync.sandbox.company import EMPLOYMENT_SLOTS
from peoplesync.sandbox.ids import member_id
from peoplesync.sandbox.orgchart import OFFICES
from peoplesync.sandbox.people import Person
from peoplesync.sandbox.store import Entry

Tick = Callable[[], int]
EDITABLE = (
    "first_name",
    "last_name",
    "preferred_name",
    "work_email",
    "personal_email",
    "mobile_phone_number",
    "employee_number",
    "date_of_birth",
    "hire_date",
    "start_date",
    "termination_date",
    "employment_status",
    "manager_id",
)
_DATES = {"date_of_birth", "hire_date", "start_date", "termination_date"}
_REQUIRED = {"first_name", "last_name", "work_email", "employment_status"}
_FIELD = {"mobile_phone_number": "mobile_phone", "manager_id": "manager"}


class HrChangeError(Exception):
    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Hire:
    first_name: str | None = None
    last_name: str | None = None
    work_email: str | None = None
    manager_id: str | None = None
    start_date: date | None = None
    job_title: str | None = None
    employment_type: str | None = None


def employee(cat: Catalog, merge_id: str) -> Entry[Person]:
    slot = cat.slot(EMPLOYEE, merge_id)
    entry = None if slot is None else cat.employees.get(slot)
    if entry is None:
        raise HrChangeError(f"no employee with id {merge_id}", status=404)
    return entry


def _manager_slot(cat: Catalog, merge_id: str | None) -> int | None:
    """The manager's slot. Loops and self-managers are allowed: HRIS data can be that bad, and
    the sync's validation must catch it."""
    return None if merge_id is None else employee(cat, merge_id).slot


def hire(cat: Catalog, spec: Hire, tick: Tick, today: date) -> Entry[Person]:
    index = cat.next_employee
    cat.next_employee += 1
    draft, job, home = cat.company.draft_hire(index)
    manager = _manager_slot(cat, spec.manager_id)
    if manager is None:  # someone who manages people in the generated company, never a leaver
        manager = ((index - 1) // 8) % max(1, (cat.company.size - 1) // 8)
    boss = cat.employees.get(manager)
    start = spec.start_date or today
    job_slot = index * EMPLOYMENT_SLOTS
    person = replace(
        draft,
        remote_id=member_id(cat.seed, index),
        first_name=spec.first_name or draft.first_name,
        last_name=spec.last_name or draft.last_name,
        work_email=spec.work_email or draft.work_email,
        hire_date=start,
        start_date=start,
        termination_date=None,
        employment_status="PENDING" if start > today else "ACTIVE",
        manager=manager,
        team=boss.facts.team if boss else draft.team,
        group=boss.facts.group if boss else draft.group,
        employments=(job_slot,),
        home_location=len(OFFICES) + index,
    )
    job = replace(
        job,
        job_title=spec.job_title or job.job_title,
        employment_type=spec.employment_type or job.employment_type,
        effective_date=start,
    )
    cat.locations.put(len(OFFICES) + index, home, tick())
    cat.employments.put(job_slot, job, tick())
    return cat.employees.put(index, person, tick())


def terminate(cat: Catalog, merge_id: str, day: date, tick: Tick, today: date) -> Entry[Person]:
    """Past or today: INACTIVE now. A future date is a scheduled leave: still ACTIVE."""
    found = employee(cat, merge_id)
    status = "INACTIVE" if day <= today else found.facts.employment_status
    changed = replace(found.facts, termination_date=day, employment_status=status)
    return cat.employees.put(found.slot, changed, tick())


def rehire(cat: Catalog, merge_id: str, day: date, tick: Tick, today: date) -> Entry[Person]:
    """A new start (hire date kept: start_date > hire_date) and a new Employment record."""
    found = employee(cat, merge_id)
    person = found.facts
    first = found.slot * EMPLOYMENT_SLOTS
    free = [s for s in range(first, first + EMPLOYMENT_SLOTS) if s not in person.employments]
    new_slot = free[0] if free else first + EMPLOYMENT_SLOTS - 1
    current = cat.employments.get(person.employments[0]) if person.employments else None
    if current is not None:
        cat.employments.put(new_slot, replace(current.facts, effective_date=day), tick())
    jobs = (new_slot, *(s for s in person.employments if s != new_slot))
    changed = replace(
        person,
        start_date=day,
        termination_date=None,
        employment_status="PENDING" if day > today else "ACTIVE",
        employments=jobs if current is not None else person.employments,
    )
    return cat.employees.put(found.slot, changed, tick())


def update(cat: Catalog, merge_id: str, fields: Mapping[str, Any], tick: Tick) -> Entry[Person]:
    """Set Employee fields by their Merge names (see `EDITABLE`); null clears optional ones."""
    found = employee(cat, merge_id)
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise HrChangeError(f"cannot change {', '.join(unknown)}; editable: {', '.join(EDITABLE)}")
    changes: dict[str, Any] = {}
    for name, raw in fields.items():
        if raw is None and name in _REQUIRED:
            raise HrChangeError(f"{name} cannot be null")
        value = raw
        if name == "manager_id":
            value = _manager_slot(cat, raw)
        elif name in _DATES and raw is not None:
            value = _date(name, raw)
        elif name == "employment_status" and raw not in {"ACTIVE", "INACTIVE", "PENDING"}:
            raise HrChangeError("employment_status must be ACTIVE, INACTIVE or PENDING")
        changes[_FIELD.get(name, name)] = value
    return cat.employees.put(found.slot, replace(found.facts, **changes), tick())


def _date(name: str, value: object) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise HrChangeError(f"{name} must be a date like 2024-05-01") from None


def swap_emails(cat: Catalog, first_id: str, second_id: str, tick: Tick) -> list[Entry[Person]]:
    a, b = employee(cat, first_id), employee(cat, second_id)
    if a.slot == b.slot:
        raise HrChangeError("swap needs two different employees")
    return [
        cat.employees.put(a.slot, replace(a.facts, work_email=b.facts.work_email), tick()),
        cat.employees.put(b.slot, replace(b.facts, work_email=a.facts.work_email), tick()),
    ]


def delete(cat: Catalog, merge_id: str, tick: Tick) -> Entry[Person]:
    found = employee(cat, merge_id)
    return cat.employees.put(found.slot, found.facts, tick(), deleted=True)


def churn(cat: Catalog, count: int, seed: int, tick: Tick, today: date) -> list[Entry[Person]]:
    """`count` varied changes on distinct base employees (renames, preferred names, phones,
    leavers), deterministic for `seed`: what a busy month in a large company looks like."""
    size = cat.company.size
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    slots = rng.sample(range(size), min(count, size))
    changed: list[Entry[Person]] = []
    for slot in slots:
        entry = cat.employees.get(slot)
        if entry is None:
            continue
        changed.append(cat.employees.put(slot, _churned(rng, entry.facts, today), tick()))
    return changed


def _churned(rng: random.Random, person: Person, today: date) -> Person:
    roll = rng.random()
    if roll < 0.4:
        return replace(person, last_name=f"{person.last_name}-{rng.choice(('Lee', 'Diaz', 'Kim'))}")
    if roll < 0.6:
        return replace(person, preferred_name=rng.choice(("Sam", "Alex", "Jo", "Max")))
    if roll < 0.8 or person.employment_status != "ACTIVE":
        return replace(
            person, mobile_phone=f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        )
    return replace(person, termination_date=today, employment_status="INACTIVE")
