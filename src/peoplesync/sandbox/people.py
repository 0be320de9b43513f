"""The HR facts of one person and one job, and the pure rules that pick them.

These are what the HRIS knows; `peoplesync.sandbox.records` turns them into Merge JSON. HR
changes made through the control API replace fields of a `Person` (`dataclasses.replace`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from peoplesync.sandbox.orgchart import Department

_TYPES = ("FULL_TIME", "PART_TIME", "CONTRACTOR", "INTERN", "FREELANCE")
_TYPE_WEIGHTS = (86, 5, 5, 3, 1)
_SALARY_BY_DEPTH = {0: 320_000, 1: 245_000, 2: 195_000}


@dataclass(frozen=True)
class TeamFacts:
    name: str
    parent: int | None  # team slot


@dataclass(frozen=True)
class Person:
    index: int
    remote_id: str
    first_name: str
    last_name: str
    preferred_name: str | None
    work_email: str
    personal_email: str | None
    mobile_phone: str | None
    employee_number: str | None
    gender: str | None
    date_of_birth: date | None
    hire_date: date | None
    start_date: date | None
    termination_date: date | None
    employment_status: str  # ACTIVE | PENDING | INACTIVE
    manager: int | None  # employee slot
    team: int  # team slot
    group: int  # group slot (the department)
    work_location: int | None  # location slot
    home_location: int | None  # location slot
    pay_group: int | None
    ssn: str | None
    employments: tuple[int, ...]  # employment slots, current first
    pronouns: str | None
    cost_center: str
    remote_created_at: datetime

    @property
    def display_full_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Job:
    employee: int  # employee slot
    job_title: str
    employment_type: str
    pay_rate: float
    pay_period: str
    pay_frequency: str
    pay_currency: str
    flsa_status: str | None
    effective_date: date
    pay_group: int | None


@dataclass(frozen=True)
class StatusFacts:
    hire_date: date
    start_date: date
    termination_date: date | None
    employment_status: str
    rehired: bool


def pick_status(rng: random.Random, start: date, as_of: date, leaf: bool) -> StatusFacts:
    """Leaves of the tree (never managers) may be gone, pending, leaving soon or rehired."""
    roll = rng.random() if leaf else 1.0
    tenure = (as_of - start).days
    if roll < 0.07 and tenure > 90:
        end = start + timedelta(days=rng.randint(60, tenure - 1))
        return StatusFacts(start, start, end, "INACTIVE", rehired=False)
    if roll < 0.08:
        future = as_of + timedelta(days=rng.randint(7, 60))
        return StatusFacts(future, future, None, "PENDING", rehired=False)
    if roll < 0.09:
        leaving = as_of + timedelta(days=rng.randint(5, 45))
        return StatusFacts(start, start, leaving, "ACTIVE", rehired=False)
    if roll < 0.12 and tenure > 400:
        first_hire = start - timedelta(days=rng.randint(365, 4 * 365))
        return StatusFacts(first_hire, start, None, "ACTIVE", rehired=True)
    return StatusFacts(start, start, None, "ACTIVE", rehired=False)


def title_for(
    rng: random.Random, *, depth: int, leaf: bool, dept: Department | None, team: str, kind: str
) -> str:
    if dept is None:
        return "Chief Executive Officer"
    if depth == 1:
        return f"VP, {dept.name}"
    if depth == 2:
        return f"Director, {team}"
    if not leaf:
        return rng.choice((f"{team} Manager", f"Senior Manager, {team}", f"{team} Lead"))
    if kind == "INTERN":
        return f"{dept.name} Intern"
    level = rng.choices(("", "Senior ", "Staff ", "Associate "), (50, 30, 8, 12))[0]
    return level + rng.choice(dept.titles)


def job_for(
    rng: random.Random,
    *,
    index: int,
    depth: int,
    leaf: bool,
    dept: Department | None,
    team: str,
    person: Person,
) -> Job:
    kind = rng.choices(_TYPES, _TYPE_WEIGHTS)[0] if leaf else "FULL_TIME"
    salaried = kind == "FULL_TIME"
    if salaried:
        rate = float(_SALARY_BY_DEPTH.get(depth, rng.randrange(62_000, 175_000, 500)))
    else:
        rate = float(
            rng.randint(18, 45) if kind in {"PART_TIME", "INTERN"} else rng.randint(50, 150)
        )
    contractor = kind in {"CONTRACTOR", "FREELANCE"}
    return Job(
        employee=index,
        job_title=title_for(rng, depth=depth, leaf=leaf, dept=dept, team=team, kind=kind),
        employment_type=kind,
        pay_rate=rate,
        pay_period="YEAR" if salaried else "HOUR",
        pay_frequency="SEMIMONTHLY" if person.pay_group == 0 else "MONTHLY",
        pay_currency="USD",
        flsa_status=None if contractor else ("EXEMPT" if salaried else "NONEXEMPT"),
        effective_date=person.start_date or person.remote_created_at.date(),
        pay_group=person.pay_group,
    )
