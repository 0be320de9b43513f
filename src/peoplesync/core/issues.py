"""Validation issues: what is wrong, where (record, field), and how to fix it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Severity(enum.StrEnum):
    ERROR = "error"  # blocks the import
    WARNING = "warning"  # shown, does not block


@dataclass(frozen=True, slots=True)
class Issue:
    severity: Severity
    code: str
    message: str
    hint: str
    location: str | None = None  # "row 12", "employee 1042"; None for set-wide issues
    field: str | None = None  # one of CORE_FIELDS, "source_id", or a demographic name
    who: str | None = None  # "Ada Lovelace <ada@example.com>"

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "location": self.location,
            "field": self.field,
            "who": self.who,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Issue:
        return cls(
            severity=Severity(data["severity"]),
            code=str(data["code"]),
            message=str(data["message"]),
            hint=str(data["hint"]),
            location=data.get("location"),
            field=data.get("field"),
            who=data.get("who"),
        )


@dataclass(frozen=True, slots=True)
class ValidationReport:
    issues: tuple[Issue, ...]

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return not any(i.blocking for i in self.issues)
