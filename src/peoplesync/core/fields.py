"""The employee's core fields, each declared once.

Everything that knows a core field derives it from `FIELDS`: the canonical employee and the
directory person (their `values`, in `VALUE_FIELDS` order), the people table's columns, the
mirror's and the plan's codecs, the CSV layout, which Merge Employee fields feed each one, the
labels on pages and in the CLI, which fields an admin may redact and which ones the privacy
safeguard watches. Adding a field is one entry here (and a migration adding its column).

    name            the field's name in code, plans, issues and the change log
    label           as admins know it (the seed's and the CSV template's words)
    kind            text, email, date, or person (a reference to another employee: the manager)
    csv_header      the CSV column it is read from
    csv_position    where that column stands in the file layout admins know (Name first)
    merge_fields    the Merge Employee fields it comes from (as `available-actions` names them)
    max_length      the longest value the directory keeps (text kinds; the column's size)
    redactable      an admin may redact it (name and email identify people: never)
    identity        the privacy safeguard watches it change
    required        a file must have its column
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


class Kind(enum.StrEnum):
    TEXT = "text"
    EMAIL = "email"
    DATE = "date"
    PERSON = "person"  # another employee (the manager): not a value of the record itself


@dataclass(frozen=True, slots=True)
class CoreField:
    name: str
    label: str
    kind: Kind
    csv_header: str
    csv_position: int
    merge_fields: tuple[str, ...]
    max_length: int | None = None
    redactable: bool = False
    identity: bool = False
    required: bool = False

    @property
    def column(self) -> str:
        """The people table's column holding it (a person reference holds the person's id)."""
        return f"{self.name}_id" if self.kind is Kind.PERSON else self.name


FIELDS: tuple[CoreField, ...] = (
    CoreField(
        "employee_id",
        "Employee Id",
        Kind.TEXT,
        "Employee Id",
        3,
        ("employee_number",),
        max_length=255,
        redactable=True,
        identity=True,
    ),
    CoreField(
        "name",
        "Name",
        Kind.TEXT,
        "Name",
        1,
        ("display_full_name", "first_name", "last_name"),
        max_length=500,
        identity=True,
        required=True,
    ),
    CoreField(
        "preferred_name",
        "Preferred Name",
        Kind.TEXT,
        "Preferred Name",
        2,
        ("preferred_name",),
        max_length=500,
        redactable=True,
    ),
    CoreField(
        "email",
        "Email",
        Kind.EMAIL,
        "Email",
        4,
        ("work_email",),
        max_length=320,
        identity=True,
        required=True,
    ),
    CoreField(
        "birth_date",
        "Date of Birth",
        Kind.DATE,
        "Date of Birth",
        5,
        ("date_of_birth",),
        redactable=True,
        identity=True,
    ),
    CoreField(
        "start_date", "Start Date", Kind.DATE, "Start Date", 6, ("start_date",), redactable=True
    ),
    CoreField(
        "end_date", "End Date", Kind.DATE, "End Date", 7, ("termination_date",), redactable=True
    ),
    CoreField("manager", "Manager", Kind.PERSON, "Manager Email", 8, ("manager",)),
)

BY_NAME: Mapping[str, CoreField] = MappingProxyType({f.name: f for f in FIELDS})
CORE_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS)
# The fields that are values of the record itself (all but person references), in the order of
# `SourceEmployee.values` and `Person.values`.
VALUE_FIELDS: tuple[CoreField, ...] = tuple(f for f in FIELDS if f.kind is not Kind.PERSON)
VALUE_NAMES: tuple[str, ...] = tuple(f.name for f in VALUE_FIELDS)
VALUE_INDEX: Mapping[str, int] = MappingProxyType({n: i for i, n in enumerate(VALUE_NAMES)})
DATE_FIELDS: frozenset[str] = frozenset(f.name for f in FIELDS if f.kind is Kind.DATE)
REDACTABLE_CORE_FIELDS: frozenset[str] = frozenset(f.name for f in FIELDS if f.redactable)
IDENTITY_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.identity)
CSV_COLUMNS: Mapping[str, str] = MappingProxyType({f.csv_header: f.name for f in FIELDS})
REQUIRED_CSV_COLUMNS: tuple[str, ...] = tuple(f.csv_header for f in FIELDS if f.required)

# Labels for everything a change or an issue can name besides demographics.
FIELD_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "source_id": "Source ID",
        **{f.name: f.label for f in FIELDS},
        "status": "Status",
        "leave_reason": "Leave reason",  # why a person leaves, when it is not the usual
    }
)


def label(field: str) -> str:
    """A field's label; a demographic is named by its own exact name."""
    return FIELD_LABELS.get(field, field)
