"""The canonical employee every source yields, and the directory person it is planned against.

Dates are `datetime.date`, never datetimes: a calendar date must not shift through a time zone.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

# Core fields a source may provide. A source declares which of them it provides; a field it does
# not provide is never compared and never cleared.
CORE_FIELDS: tuple[str, ...] = (
    "employee_id",
    "name",
    "preferred_name",
    "email",
    "birth_date",
    "start_date",
    "end_date",
    "manager",
)

# Fields an admin may redact (issue 5); demographics are redacted by their exact name.
REDACTABLE_CORE_FIELDS: frozenset[str] = frozenset(
    {"employee_id", "preferred_name", "birth_date", "start_date", "end_date"}
)

FIELD_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "source_id": "Source ID",
        "employee_id": "Employee Id",
        "name": "Name",
        "preferred_name": "Preferred Name",
        "email": "Email",
        "birth_date": "Date of Birth",
        "start_date": "Start Date",
        "end_date": "End Date",
        "manager": "Manager",
    }
)

EMPTY_DEMOGRAPHICS: Mapping[str, str] = MappingProxyType({})


def fold(value: str) -> str:
    """The case-insensitive key used for emails and demographic values."""
    return value.strip().casefold()


@dataclass(frozen=True, slots=True)
class SourceEmployee:
    """One employee as a source states them, after mapping and redaction.

    `source_id` is the stable ID in the source (Merge's employee id; a CSV has none).
    `manager_source_id` / `manager_email` name the manager; either may be given.
    `location` says where the record came from, for messages: "row 12" or "employee 7f3a…".
    """

    location: str
    source_id: str | None = None
    employee_id: str | None = None
    name: str | None = None
    preferred_name: str | None = None
    email: str | None = None
    birth_date: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    manager_source_id: str | None = None
    manager_email: str | None = None
    demographics: Mapping[str, str] = field(default_factory=lambda: EMPTY_DEMOGRAPHICS)

    @property
    def email_key(self) -> str | None:
        return fold(self.email) if self.email else None

    def describe(self) -> str:
        """'row 12 (Ada Lovelace <ada@example.com>)' — how messages name this record."""
        who = self.name or "(no name)"
        if self.email:
            who = f"{who} <{self.email}>"
        return f"{self.location} ({who})"


@dataclass(frozen=True, slots=True)
class SourceSnapshot:
    """What a source yields for one sync.

    `provided` is the set of CORE_FIELDS the source carries; `demographic_names` the demographics
    it carries (exact, case-sensitive names). `complete` is True when the records are the whole
    company (a full import): only then do people missing from it leave.
    """

    records: tuple[SourceEmployee, ...]
    provided: frozenset[str]
    demographic_names: frozenset[str] = frozenset()
    complete: bool = True
    kind: str = "csv"


class PersonStatus(enum.StrEnum):
    ACTIVE = "active"
    FORMER = "former"
    DEACTIVATED = "deactivated"


class LeaverPolicy(enum.StrEnum):
    FORMER = "former"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True, slots=True)
class Person:
    """A person in the directory, as the planner sees them (a plain snapshot, no ORM)."""

    id: str
    status: PersonStatus
    source_id: str | None = None
    employee_id: str | None = None
    name: str | None = None
    preferred_name: str | None = None
    email: str | None = None
    birth_date: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    manager_id: str | None = None
    demographics: Mapping[str, str] = field(default_factory=lambda: EMPTY_DEMOGRAPHICS)

    @property
    def email_key(self) -> str | None:
        return fold(self.email) if self.email else None

    def describe(self) -> str:
        who = self.name or "(no name)"
        if self.email:
            who = f"{who} <{self.email}>"
        return who
