"""The canonical employee every source yields, and the directory person it is planned against.

Both carry their core field values as one tuple, `values`, in `core.fields.VALUE_FIELDS` order:
the field schema says what the fields are, so neither class spells them out. The properties
below are for the rules that name a field (validation reads `email`, planning `end_date`); code
that treats every field alike reads `values` (or `value(name)`).

Dates are `datetime.date`, never datetimes: a calendar date must not shift through a time zone.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Any, Self, cast

from peoplesync.core.fields import VALUE_INDEX, VALUE_NAMES

Value = str | date | None
EMPTY_DEMOGRAPHICS: Mapping[str, str] = MappingProxyType({})
NO_VALUES: tuple[Value, ...] = (None,) * len(VALUE_NAMES)
# Where each named value sits in `values`: hot loops index the tuple with these directly (a
# property costs a call; 100,000 records read each field several times).
EMPLOYEE_ID_AT, NAME_AT, PREFERRED_NAME_AT, EMAIL_AT = (
    VALUE_INDEX[n] for n in ("employee_id", "name", "preferred_name", "email")
)
BIRTH_DATE_AT, START_DATE_AT, END_DATE_AT = (
    VALUE_INDEX[n] for n in ("birth_date", "start_date", "end_date")
)
_EMPLOYEE_ID, _NAME, _PREFERRED_NAME, _EMAIL = EMPLOYEE_ID_AT, NAME_AT, PREFERRED_NAME_AT, EMAIL_AT
_BIRTH_DATE, _START_DATE, _END_DATE = BIRTH_DATE_AT, START_DATE_AT, END_DATE_AT


def fold(value: str) -> str:
    """The case-insensitive key used for emails and demographic values."""
    return value.strip().casefold()


def values_of(given: Mapping[str, Value], base: tuple[Value, ...] = NO_VALUES) -> tuple[Value, ...]:
    """A values tuple from named values (the others from `base`)."""
    unknown = given.keys() - VALUE_INDEX.keys()
    if unknown:
        raise TypeError(f"not core field values: {', '.join(sorted(unknown))}")
    if not given:
        return base
    values = list(base)
    for name, value in given.items():
        values[VALUE_INDEX[name]] = value
    return tuple(values)


def has_left(end_date: date | None, today: date) -> bool:
    """A person is active through their end date and former from the next day (`today`: the
    date in the account's time zone). The one rule for planning, the daily sync and the
    incremental plan."""
    return end_date is not None and end_date < today


class _Values:
    """The named views of `values` that the rules read."""

    __slots__ = ()
    values: tuple[Value, ...]

    def value(self, name: str) -> Value:
        return self.values[VALUE_INDEX[name]]

    @property
    def employee_id(self) -> str | None:
        return self.values[_EMPLOYEE_ID]  # type: ignore[return-value]

    @property
    def name(self) -> str | None:
        return self.values[_NAME]  # type: ignore[return-value]

    @property
    def preferred_name(self) -> str | None:
        return self.values[_PREFERRED_NAME]  # type: ignore[return-value]

    @property
    def email(self) -> str | None:
        return self.values[_EMAIL]  # type: ignore[return-value]

    @property
    def birth_date(self) -> date | None:
        return self.values[_BIRTH_DATE]  # type: ignore[return-value]

    @property
    def start_date(self) -> date | None:
        return self.values[_START_DATE]  # type: ignore[return-value]

    @property
    def end_date(self) -> date | None:
        return self.values[_END_DATE]  # type: ignore[return-value]

    @property
    def email_key(self) -> str | None:
        email = self.email
        return fold(email) if email else None

    def changed(self, **changes: Any) -> Self:
        """A copy with these attributes or core field values changed."""
        named = {k: changes.pop(k) for k in list(changes) if k in VALUE_INDEX}
        if named:
            changes["values"] = values_of(named, self.values)
        return cast(Self, replace(cast(Any, self), **changes))


@dataclass(frozen=True, slots=True)
class SourceEmployee(_Values):
    """One employee as a source states them, after mapping and redaction.

    `source_id` is the stable ID in the source (Merge's employee id; a CSV has none).
    `manager_source_id` / `manager_email` name the manager; either may be given.
    `location` says where the record came from, for messages: "row 12" or "employee 7f3a…".
    """

    location: str
    source_id: str | None = None
    values: tuple[Value, ...] = NO_VALUES
    manager_source_id: str | None = None
    manager_email: str | None = None
    demographics: Mapping[str, str] = field(default_factory=lambda: EMPTY_DEMOGRAPHICS)

    @classmethod
    def of(
        cls,
        location: str,
        *,
        source_id: str | None = None,
        manager_source_id: str | None = None,
        manager_email: str | None = None,
        demographics: Mapping[str, str] = EMPTY_DEMOGRAPHICS,
        **values: Value,
    ) -> SourceEmployee:
        """A record from named core field values."""
        return cls(
            location, source_id, values_of(values), manager_source_id, manager_email, demographics
        )

    def describe(self) -> str:
        """'row 12 (Ada Lovelace <ada@example.com>)' — how messages name this record."""
        who = self.name or "(no name)"
        if self.email:
            who = f"{who} <{self.email}>"
        return f"{self.location} ({who})"


@dataclass(frozen=True, slots=True)
class SourceSnapshot:
    """What a source yields for one sync.

    `provided` is the set of core fields the source carries; `demographic_names` the demographics
    it carries (exact, case-sensitive names). `complete` is True when the records are the whole
    company (a full import): only then do people missing from it leave. `excluded` are the
    records the connection's exclusion rule leaves out (core/mapping.py): never created, and an
    existing person they match leaves with the reason "excluded".
    """

    records: tuple[SourceEmployee, ...]
    provided: frozenset[str]
    demographic_names: frozenset[str] = frozenset()
    complete: bool = True
    kind: str = "csv"
    excluded: tuple[SourceEmployee, ...] = ()


class PersonStatus(enum.StrEnum):
    ACTIVE = "active"
    FORMER = "former"
    DEACTIVATED = "deactivated"


class LeaverPolicy(enum.StrEnum):
    FORMER = "former"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True, slots=True)
class Person(_Values):
    """A person in the directory, as the planner sees them (a plain snapshot, no ORM)."""

    id: str
    status: PersonStatus
    source_id: str | None = None
    values: tuple[Value, ...] = NO_VALUES
    manager_id: str | None = None
    demographics: Mapping[str, str] = field(default_factory=lambda: EMPTY_DEMOGRAPHICS)

    @classmethod
    def of(
        cls,
        id: str,
        status: PersonStatus = PersonStatus.ACTIVE,
        *,
        source_id: str | None = None,
        manager_id: str | None = None,
        demographics: Mapping[str, str] = EMPTY_DEMOGRAPHICS,
        **values: Value,
    ) -> Person:
        """A person from named core field values."""
        return cls(id, status, source_id, values_of(values), manager_id, demographics)

    def describe(self) -> str:
        who = self.name or "(no name)"
        if self.email:
            who = f"{who} <{self.email}>"
        return who
