"""Opt-in realism of a sandbox company: values that are legal on Merge's wire but awkward.

Merge types date-only fields as date-times and promises neither UTC nor an upper-case `Z`
(RFC 3339 allows offsets and `z`), `team` is deprecated, and an INACTIVE person need not carry a
termination date. A company created with quirks serves, deterministically by employee index:

* `team_null`: every 10th employee (index % 10 == 3) has `team: null`; their groups still name
  their team.
* `undated_leavers`: every 3rd INACTIVE employee (index % 3 == 0) has no `termination_date`.
* `date_offsets`: the date-only fields (`date_of_birth`, `hire_date`, `start_date`,
  `termination_date`, employments' `effective_date`) of index % 7 == 1 are written as local
  midnight at `+09:00` (`2021-03-02T00:00:00+09:00`: the calendar date is 2021-03-02), those of
  index % 7 == 5 at `+05:30`.
* `lowercase_z`: every timestamp of index % 7 == 4 ends in a lower-case `z`.

They are off by default (today's mapping shifts offset dates by a day and cannot parse `z`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

HR_DATE_FIELDS = ("date_of_birth", "hire_date", "start_date", "termination_date")
STAMP_FIELDS = ("created_at", "modified_at", "remote_created_at")
_OFFSETS = {1: "+09:00", 5: "+05:30"}
_LOWER_Z = 4


@dataclass(frozen=True)
class Quirks:
    team_null: bool = False
    undated_leavers: bool = False
    date_offsets: bool = False
    lowercase_z: bool = False

    @classmethod
    def every(cls) -> Quirks:
        return cls(**dict.fromkeys((f.name for f in fields(cls)), True))

    @classmethod
    def named(cls, names: list[str]) -> Quirks:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(names) - known)
        if unknown:
            raise ValueError(f"unknown quirks {', '.join(unknown)}; known: {', '.join(known)}")
        return cls(**dict.fromkeys(names, True))

    @property
    def any(self) -> bool:
        return self != Quirks()

    def names(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name)]


def hr_date(day: date | None, index: int, quirks: Quirks) -> str | None:
    """An HR date of employee `index`, with its quirks."""
    if day is None:
        return None
    offset = _OFFSETS.get(index % 7) if quirks.date_offsets else None
    if offset is not None:
        return f"{day.isoformat()}T00:00:00{offset}"
    zone = "z" if quirks.lowercase_z and index % 7 == _LOWER_Z else "Z"
    return f"{day.isoformat()}T00:00:00{zone}"


def apply_to_employee(body: dict[str, Any], index: int, status: str, quirks: Quirks) -> None:
    """Patch a rendered Employee in place (its HR dates were rendered by `hr_date` already)."""
    if quirks.team_null and index % 10 == 3:
        body["team"] = None
    if quirks.undated_leavers and status == "INACTIVE" and index % 3 == 0:
        body["termination_date"] = None
    if quirks.lowercase_z and index % 7 == _LOWER_Z:
        lower_stamps(body)


def lower_stamps(body: dict[str, Any]) -> None:
    for name in STAMP_FIELDS:
        value = body.get(name)
        if isinstance(value, str) and value.endswith("Z"):
            body[name] = value[:-1] + "z"
