"""A synthetic Justworks company, deterministic from `(seed, size)` and generated lazily.

Employee `i` is a pure function of `(seed, i)` (plus `size`, which decides who is a leaf of the
reporting tree): nothing is stored per employee, so a company of a million people costs the same
to create as one of ten. Records that HR changes later live in the linked account's overlay
(`peoplesync.sandbox.account`), never here.

Slots: employee `i`; its employments `4i` (current) and `4i + 1` (the earlier stint of a rehired
person), `4i + 2 .. 4i + 3` for rehires made later through the control API; locations
`0 .. len(OFFICES) - 1` are offices and `len(OFFICES) + i` is employee `i`'s home.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from peoplesync.sandbox.ids import member_id
from peoplesync.sandbox.names import LOCALES, LocalePool, Name, email_slug, name_pools
from peoplesync.sandbox.orgchart import (
    COMPANY_WORDS,
    DEPARTMENTS,
    HOME_STREETS,
    OFFICE_BY_COUNTRY,
    OFFICES,
    PAY_GROUPS,
    Place,
    ancestors,
    is_leaf,
    manager_of,
)
from peoplesync.sandbox.people import Job, Person, TeamFacts, job_for, pick_status

MIN_SIZE = 10
MAX_SIZE = 1_000_000
DEFAULT_AS_OF = date(2026, 11, 1)  # "today" inside the synthetic HRIS; keeps it deterministic
EMPLOYMENT_SLOTS = 4
_LOCALE_WEIGHTS = tuple(weight for _, _, weight in LOCALES)
_GENDERS = ("FEMALE", "MALE", "NON-BINARY", "PREFER_NOT_TO_DISCLOSE", "NOT_LISTED")
_GENDER_WEIGHTS = (480, 480, 20, 15, 5)  # NOT_LISTED: an enum value Merge has not defined yet
_PRONOUNS = ("she/her", "he/him", "they/them")
_MAIL_HOSTS = ("gmail.com", "outlook.com", "yahoo.com", "proton.me")


@dataclass(frozen=True)
class CompanyFacts:
    legal_name: str
    display_name: str
    domain: str
    ein: str
    founded: date


def company_facts(seed: int, size: int) -> CompanyFacts:
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    words = [rng.choice(options) for options in COMPANY_WORDS]
    display = " ".join(words)
    years = min(30, 3 + size.bit_length())
    return CompanyFacts(
        legal_name=f"{display}, Inc.",
        display_name=display,
        domain=f"{email_slug(words[0])}{email_slug(words[1])}.example.com",
        ein=f"{rng.randint(10, 99)}-{rng.randint(1_000_000, 9_999_999)}",
        founded=date(DEFAULT_AS_OF.year - years, rng.randint(1, 12), 1),
    )


class SyntheticCompany:
    """The HRIS contents for one `(seed, size)`; immutable and safe to share between accounts."""

    def __init__(self, seed: int, size: int, *, as_of: date = DEFAULT_AS_OF) -> None:
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE}, not {size}")
        self.seed = seed
        self.size = size
        self.as_of = as_of
        self.facts = company_facts(seed, size)
        self.pools = name_pools(seed)
        self.teams = _teams()
        self._person = lru_cache(maxsize=8192)(self._make_person)
        self._job_pair = lru_cache(maxsize=8192)(self._make_jobs)
        self._home = lru_cache(maxsize=2048)(self._make_home)
        self._people: tuple[Person, ...] = ()  # all of them, once `build` has run
        self._jobs_of: tuple[tuple[Job, Job], ...] = ()

    def build(self) -> None:
        """Make every employee and job now and keep them, as Merge has its data stored: the
        pages of a first fetch are then read, not made (a 100,000-person company takes seconds
        here, and about 100 MB). Without it, each is made when asked for (a million people cost
        nothing until then). Hires past the base company are made when asked for."""
        if not self._people:
            self._people = tuple(self._person(i) for i in range(self.size))
            self._jobs_of = tuple(self._job_pair(i) for i in range(self.size))

    def person(self, index: int) -> Person:
        """Employee `index` of the company (or a hire past it); see `build`."""
        people = self._people
        return people[index] if index < len(people) else self._person(index)

    def _jobs(self, index: int) -> tuple[Job, Job]:
        jobs = self._jobs_of
        return jobs[index] if index < len(jobs) else self._job_pair(index)

    # Small collections, indexed by slot.
    @property
    def groups(self) -> tuple[str, ...]:
        return ("Executive", *(dept.name for dept in DEPARTMENTS))

    @property
    def offices(self) -> tuple[Place, ...]:
        return OFFICES

    @property
    def pay_groups(self) -> tuple[str, ...]:
        return PAY_GROUPS

    # Lazily generated collections.
    def job(self, slot: int) -> Job | None:
        """Employment `slot` as generated (None for an empty slot)."""
        index, part = divmod(slot, EMPLOYMENT_SLOTS)
        if index >= self.size or slot not in self.person(index).employments:
            return None
        return self._jobs(index)[part]

    def home(self, slot: int) -> Place | None:
        """Location `slot` as generated: an office, a home address, or None."""
        if slot < len(OFFICES):
            return OFFICES[slot]
        index = slot - len(OFFICES)
        if index >= self.size or self.person(index).home_location != slot:
            return None
        return self._home(index)

    def draft_hire(self, index: int) -> tuple[Person, Job, Place]:
        """A plausible new person at `index` (past the base company), with a job and a home."""
        return self.person(index), self._jobs(index)[0], self._home(index)

    def _rng(self, index: int, salt: int = 0) -> random.Random:
        return random.Random((self.seed << 34) ^ (index << 2) ^ salt)  # noqa: S311

    def _make_person(self, index: int) -> Person:
        rng = self._rng(index)
        pool = self.pools[rng.choices(range(len(LOCALES)), _LOCALE_WEIGHTS)[0]]
        gender = rng.choices(_GENDERS, _GENDER_WEIGHTS)[0]
        female = gender == "FEMALE" or (gender != "MALE" and rng.random() < 0.5)
        first = rng.choice(pool.female if female else pool.male)
        last = rng.choice(pool.last_female if female else pool.last_male)
        preferred = self._preferred(rng, first) if rng.random() < 0.1 else None
        chain = ancestors(index)
        dept = (chain[-2] - 1) % len(DEPARTMENTS) if index else None
        status = pick_status(rng, self._start(rng, index), self.as_of, is_leaf(index, self.size))
        has_home = rng.random() < 0.95
        return Person(
            index=index,
            remote_id=member_id(self.seed, index),
            first_name=first.native,
            last_name=last.native,
            preferred_name=preferred.native if preferred else None,
            work_email=self._work_email(index, first, last, preferred),
            personal_email=self._personal_email(rng, first, last) if rng.random() < 0.85 else None,
            mobile_phone=_phone(rng, pool.country) if rng.random() < 0.85 else None,
            employee_number=f"{index + 1:06d}" if rng.random() < 0.97 else None,
            gender=gender if rng.random() < 0.97 else None,
            date_of_birth=self._birth(rng) if rng.random() < 0.96 else None,
            hire_date=status.hire_date,
            start_date=status.start_date,
            termination_date=status.termination_date,
            employment_status=status.employment_status,
            manager=manager_of(index),
            team=self._team_slot(chain, dept),
            group=0 if dept is None else dept + 1,
            work_location=self._office(rng, pool) if rng.random() < 0.95 else None,
            home_location=len(OFFICES) + index if has_home else None,
            pay_group=0 if pool.country == "US" else 1,
            ssn=_ssn(rng) if pool.country == "US" else None,
            employments=(index * EMPLOYMENT_SLOTS,)
            + ((index * EMPLOYMENT_SLOTS + 1,) if status.rehired else ()),
            pronouns=rng.choice(_PRONOUNS) if rng.random() < 0.3 else None,
            cost_center=f"CC-{100 if dept is None else 101 + dept}",
            remote_created_at=_remote_created(rng, status.hire_date or self.facts.founded),
        )

    def _make_jobs(self, index: int) -> tuple[Job, Job]:
        person = self.person(index)
        rng = self._rng(index, salt=1)
        depth = len(ancestors(index)) - 1
        leaf = is_leaf(index, self.size)
        team = self.teams[person.team].name
        dept = DEPARTMENTS[person.group - 1] if person.group else None
        current = job_for(
            rng, index=index, depth=depth, leaf=leaf, dept=dept, team=team, person=person
        )
        if len(person.employments) < 2:  # only rehired people have an earlier stint
            return current, current
        prior_start = person.hire_date or person.start_date or self.facts.founded
        prior = replace(
            current, effective_date=prior_start, pay_rate=round(current.pay_rate * 0.85)
        )
        return current, prior

    def _make_home(self, index: int) -> Place:
        person = self.person(index)
        rng = self._rng(index, salt=2)
        office = OFFICES[person.work_location] if person.work_location is not None else OFFICES[0]
        street_2 = f"Apt {rng.randint(1, 40)}{rng.choice('ABCD')}" if rng.random() < 0.4 else None
        return Place(
            name=None,
            phone_number=None,
            street_1=f"{rng.randint(1, 9999)} {rng.choice(HOME_STREETS)}",
            street_2=street_2,
            city=office.city,
            state=office.state,
            zip_code=office.zip_code,
            country=office.country,
            location_type="HOME",
        )

    def _preferred(self, rng: random.Random, first: Name) -> Name:
        english = self.pools[0]
        options = (english.female + english.male)[:40]
        choice = rng.choice(options)
        return choice if choice.native != first.native else options[0]

    def _work_email(self, index: int, first: Name, last: Name, preferred: Name | None) -> str:
        """Unique: the number is the index. Names without a romanization use an initial."""
        given = preferred.slug if preferred and preferred.slug else first.slug
        if given and last.slug:
            return f"{given}.{last.slug}{index + 1}@{self.facts.domain}"
        return f"{given[:1] or 'm'}{index + 1}@{self.facts.domain}"

    def _personal_email(self, rng: random.Random, first: Name, last: Name) -> str:
        host = rng.choice(_MAIL_HOSTS)
        return f"{first.slug}{last.slug or 'member'}{rng.randint(1, 9999)}@{host}"

    def _start(self, rng: random.Random, index: int) -> date:
        span = (self.as_of - self.facts.founded).days
        fraction = (index / self.size) ** 0.6
        offset = int(fraction * span * 0.97) + rng.randint(-45, 45)
        start = self.facts.founded + timedelta(days=min(max(offset, 0), span - 1))
        return start - timedelta(days=start.weekday())  # people start on Mondays

    def _birth(self, rng: random.Random) -> date:
        return self.as_of - timedelta(days=rng.randint(21 * 365, 66 * 365))

    def _office(self, rng: random.Random, pool: LocalePool) -> int:
        return OFFICE_BY_COUNTRY.get(pool.country, rng.randint(0, 2))

    def _team_slot(self, chain: list[int], dept: int | None) -> int:
        if dept is None:
            return 0
        lead = _DEPT_TEAM_SLOT[dept]
        if len(chain) < 3:
            return lead
        teams = DEPARTMENTS[dept].teams
        return lead + 1 + chain[-3] % len(teams)


def _teams() -> tuple[TeamFacts, ...]:
    teams = [TeamFacts("Executive", None)]
    for dept in DEPARTMENTS:
        parent = len(teams)
        teams.append(TeamFacts(dept.name, None))
        teams.extend(TeamFacts(name, parent) for name in dept.teams)
    return tuple(teams)


def _dept_team_slots() -> tuple[int, ...]:
    slots, position = [], 1
    for dept in DEPARTMENTS:
        slots.append(position)
        position += 1 + len(dept.teams)
    return tuple(slots)


_DEPT_TEAM_SLOT = _dept_team_slots()


def _phone(rng: random.Random, country: str) -> str:
    prefix = {"US": "+1 555", "MX": "+52 55", "DE": "+49 151", "JP": "+81 90", "GB": "+44 7700"}
    return f"{prefix.get(country, '+1 555')} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def _ssn(rng: random.Random) -> str:
    return f"9{rng.randint(0, 99):02d}-{rng.randint(70, 99)}-{rng.randint(0, 9999):04d}"


def _remote_created(rng: random.Random, hired: date) -> datetime:
    day = hired - timedelta(days=rng.randint(3, 30))
    return datetime(
        day.year, day.month, day.day, rng.randint(13, 23), rng.randint(0, 59), tzinfo=UTC
    )


@lru_cache(maxsize=8)
def company_for(seed: int, size: int) -> SyntheticCompany:
    """A shared `SyntheticCompany` per `(seed, size)` (its caches warm up once)."""
    return SyntheticCompany(seed, size)
