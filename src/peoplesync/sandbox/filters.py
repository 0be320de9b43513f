"""Filters of the list endpoints: a predicate per record plus, where the data allow it, the few
base slots that can match at all (so `remote_id`, `work_email` and `manager_id` never scan a
million generated records)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Generic, TypeVar

from starlette.datastructures import QueryParams

from peoplesync.sandbox.catalog import (
    COMPANY,
    EMPLOYEE,
    GROUP,
    LOCATION,
    PAY_GROUP,
    TEAM,
    Catalog,
)
from peoplesync.sandbox.company import EMPLOYMENT_SLOTS
from peoplesync.sandbox.ids import slot_of_member, to_micros
from peoplesync.sandbox.orgchart import Place, reports_of
from peoplesync.sandbox.people import Job, Person, TeamFacts
from peoplesync.sandbox.query import choice_param, csv_param, datetime_param, uuid_param
from peoplesync.sandbox.store import Entry

F = TypeVar("F")
Check = Callable[[F], bool]
_NUMBERED_EMAIL = re.compile(r"(\d+)@")
_STATUSES = ("ACTIVE", "INACTIVE", "PENDING")
_TYPES = ("FULL_TIME", "PART_TIME", "INTERN", "CONTRACTOR", "FREELANCE")


@dataclass(frozen=True)
class Selection(Generic[F]):
    keep: Callable[[Entry[F]], bool]
    base_slots: frozenset[int] | None  # None: any base slot may match


class _Builder(Generic[F]):
    def __init__(self, include_deleted: bool) -> None:
        self.include_deleted = include_deleted
        self.checks: list[Check[F]] = []
        self.slots: frozenset[int] | None = None

    def check(self, test: Check[F]) -> None:
        self.checks.append(test)

    def narrow(self, slots: frozenset[int]) -> None:
        self.slots = slots if self.slots is None else self.slots & slots

    def nothing(self) -> None:
        self.check(lambda _facts: False)
        self.narrow(frozenset())

    def build(self) -> Selection[F]:
        checks, include_deleted = tuple(self.checks), self.include_deleted

        def keep(entry: Entry[F]) -> bool:
            if entry.meta.deleted and not include_deleted:
                return False
            return all(test(entry.facts) for test in checks)

        return Selection(keep, self.slots)


def _ref_slot(
    cat: Catalog, params: QueryParams, name: str, model: str, b: _Builder[F]
) -> int | None:
    """The slot named by a uuid filter; None when the filter is absent or names nothing."""
    merge_id = uuid_param(params, name)
    if merge_id is None:
        return None
    slot = cat.slot(model, merge_id)
    if slot is None:
        b.nothing()
    return slot


def employee_selection(
    cat: Catalog, params: QueryParams, include_deleted: bool
) -> Selection[Person]:
    b: _Builder[Person] = _Builder(include_deleted)
    status = choice_param(params, "employment_status", _STATUSES)
    if status:
        b.check(lambda p: p.employment_status == status)
    _identity_filters(cat, params, b)
    _reference_filters(cat, params, b)
    _text_filters(params, b)
    _job_filters(cat, params, b)
    _date_filters(params, b)
    return b.build()


def _identity_filters(cat: Catalog, params: QueryParams, b: _Builder[Person]) -> None:
    email = params.get("work_email")
    if email:
        wanted = email.strip().lower()
        b.check(lambda p: p.work_email.lower() == wanted)
        found = _NUMBERED_EMAIL.search(wanted)
        b.narrow(frozenset({int(found.group(1)) - 1}) if found else frozenset())
    remote_id = params.get("remote_id")
    if remote_id:
        b.check(lambda p: p.remote_id == remote_id)
        slot = slot_of_member(cat.seed, remote_id)
        b.narrow(frozenset() if slot is None else frozenset({slot}))
    manager = _ref_slot(cat, params, "manager_id", EMPLOYEE, b)
    if manager is not None:
        b.check(lambda p: p.manager == manager)
        b.narrow(frozenset(reports_of(manager, cat.company.size)))


def _reference_filters(cat: Catalog, params: QueryParams, b: _Builder[Person]) -> None:
    team = _ref_slot(cat, params, "team_id", TEAM, b)
    if team is not None:
        b.check(lambda p: p.team == team)
    work = _ref_slot(cat, params, "work_location_id", LOCATION, b)
    if work is not None:
        b.check(lambda p: p.work_location == work)
    home = _ref_slot(cat, params, "home_location_id", LOCATION, b)
    if home is not None:
        b.check(lambda p: p.home_location == home)
    pay_group = _ref_slot(cat, params, "pay_group_id", PAY_GROUP, b)
    if pay_group is not None:
        b.check(lambda p: p.pay_group == pay_group)
    _ref_slot(cat, params, "company_id", COMPANY, b)  # one company: any valid id matches all
    groups = {cat.slot(GROUP, g) for g in csv_param(params, "groups")}
    if groups:
        b.check(lambda p: p.group in groups or cat.team_group(p) in groups)


_TEXT_FIELDS: dict[str, Callable[[Person], str | None]] = {
    "first_name": lambda p: p.first_name,
    "last_name": lambda p: p.last_name,
    "display_full_name": lambda p: p.display_full_name,
    "employee_number": lambda p: p.employee_number,
    "personal_email": lambda p: p.personal_email,
}


def _equals(read: Callable[[Person], str | None], wanted: str) -> Check[Person]:
    return lambda p: read(p) == wanted


def _text_filters(params: QueryParams, b: _Builder[Person]) -> None:
    for name, read in _TEXT_FIELDS.items():
        wanted = params.get(name)
        if wanted:
            b.check(_equals(read, wanted))


def _current_job(cat: Catalog, person: Person) -> Job | None:
    entry = cat.employments.get(person.employments[0]) if person.employments else None
    return None if entry is None else entry.facts


def _job_filters(cat: Catalog, params: QueryParams, b: _Builder[Person]) -> None:
    kind = choice_param(params, "employment_type", _TYPES)
    if kind:
        b.check(lambda p: (job := _current_job(cat, p)) is not None and job.employment_type == kind)
    title = params.get("job_title")
    if title:
        b.check(lambda p: (job := _current_job(cat, p)) is not None and job.job_title == title)


_DATE_BOUNDS: tuple[tuple[str, Callable[[Person], date | None], int], ...] = (
    ("started_after", lambda p: p.start_date, 1),
    ("started_before", lambda p: p.start_date, -1),
    ("terminated_after", lambda p: p.termination_date, 1),
    ("terminated_before", lambda p: p.termination_date, -1),
)


def _date_filters(params: QueryParams, b: _Builder[Person]) -> None:
    for name, read, sign in _DATE_BOUNDS:
        moment = datetime_param(params, name)
        if moment is not None:
            b.check(_bounded(read, to_micros(moment), sign))


def _bounded(read: Callable[[Person], date | None], limit: int, sign: int) -> Check[Person]:
    """HR dates are midnight UTC; compare that instant strictly with the bound."""

    def test(person: Person) -> bool:
        day = read(person)
        if day is None:
            return False
        value = to_micros(datetime(day.year, day.month, day.day, tzinfo=UTC))
        return value > limit if sign > 0 else value < limit

    return test


def plain_selection(include_deleted: bool) -> Selection[object]:
    return _Builder[object](include_deleted).build()


def employment_selection(
    cat: Catalog, params: QueryParams, include_deleted: bool
) -> Selection[Job]:
    b: _Builder[Job] = _Builder(include_deleted)
    employee = _ref_slot(cat, params, "employee_id", EMPLOYEE, b)
    if employee is not None:
        b.check(lambda job: job.employee == employee)
        first = employee * EMPLOYMENT_SLOTS
        b.narrow(frozenset(range(first, first + EMPLOYMENT_SLOTS)))
    return b.build()


def team_selection(
    cat: Catalog, params: QueryParams, include_deleted: bool
) -> Selection[TeamFacts]:
    b: _Builder[TeamFacts] = _Builder(include_deleted)
    parent = _ref_slot(cat, params, "parent_team_id", TEAM, b)
    if parent is not None:
        b.check(lambda team: team.parent == parent)
    return b.build()


def location_selection(params: QueryParams, include_deleted: bool) -> Selection[Place]:
    b: _Builder[Place] = _Builder(include_deleted)
    kind = choice_param(params, "location_type", ("HOME", "WORK"))
    if kind:
        b.check(lambda place: place.location_type == kind)
    return b.build()
