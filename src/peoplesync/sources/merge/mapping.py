"""Merge's Employee -> the canonical `SourceEmployee`. Pure.

Only what the sync needs is kept (never the raw payload). A redacted field is dropped here, before
anything is stored, logged or shown. The rules follow Merge's definition (docs/merge-facts.md):

- the legal name is `first_name` + `last_name` (`display_full_name` "will include the preferred
  first name", so it is only the fallback); `preferred_name` is its own field;
- the team is the employee's group of type TEAM (or one Merge marks `is_commonly_used_as_team`),
  from the expanded `groups`; the deprecated `team` is the fallback;
- `employment_status` INACTIVE without a termination date makes a leaver (`is_leaver`); PENDING
  is a future start (an earlier employment's termination date is not carried over);
- the latest employment is the one with the latest parsed `effective_date`, ties by `modified_at`;
- date-only fields keep the calendar date as written (`sources.merge.dates`);
- a value that cannot be read costs that field of that record, with an issue naming both, never
  the fetch.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from peoplesync.core.employee import SourceEmployee, Value
from peoplesync.core.fields import CORE_FIELDS, FIELDS, VALUE_FIELDS, CoreField, Kind
from peoplesync.core.issues import Issue, Severity
from peoplesync.errors import ProviderProtocolError
from peoplesync.sources.merge.dates import NotADateError, parse_date, sort_moment

# Our demographics and the Merge Employee field each comes from (for supported_fields checks).
DEMOGRAPHIC_SOURCES: Mapping[str, tuple[str, ...]] = {
    "Team": ("groups", "team"),
    "Work Location": ("work_location",),
    "Job Title": ("employments",),
    "Employment Type": ("employments",),
    "Company": ("company",),
    "Gender": ("gender",),
    "Race/Ethnicity": ("ethnicity",),
}
# Merge supported_fields -> our core fields (from the field schema).
SUPPORTED_TO_CORE: Mapping[str, str] = MappingProxyType(
    {merge_field: f.name for f in FIELDS for merge_field in f.merge_fields}
)
_WORDS = {"NON-BINARY": "Non-binary", "PREFER_NOT_TO_DISCLOSE": "Prefer not to disclose"}


def provided_fields(supported: Collection[str] | None) -> frozenset[str]:
    """The core fields this provider carries (None: unknown, so all of them)."""
    if supported is None:
        return frozenset(CORE_FIELDS)
    return frozenset(SUPPORTED_TO_CORE[f] for f in supported if f in SUPPORTED_TO_CORE)


Expected = tuple[tuple[str, tuple[str, ...]], ...]  # (what, the Merge keys that carry it)


def expected_keys(provided: Collection[str], demographics: Collection[str]) -> Expected:
    """For each core field and demographic a sync compares: the Merge Employee keys of which a
    record must carry at least one (`null` is a value: "empty"; a key left out is not)."""
    core = tuple((f.label, f.merge_fields) for f in FIELDS if f.name in provided)
    named = tuple((n, DEMOGRAPHIC_SOURCES[n]) for n in sorted(demographics))
    return core + named


def map_employee(
    raw: Mapping[str, Any],
    *,
    redacted: frozenset[str] = frozenset(),
    expected: Expected = (),
    issues: list[Issue] | None = None,
) -> SourceEmployee | None:
    """The canonical employee, or None when Merge says the record was deleted upstream.

    A value that cannot be read is left empty with an issue appended to `issues` (an error for a
    core field, so that the import shows it instead of clearing the directory's value). A record
    without one of the `expected` keys fails the fetch: read as "empty", a field missing from
    the answer would clear that value in the directory (or leave the record unmatched), with no
    finding and no review."""
    if raw.get("remote_was_deleted"):
        return None
    merge_id = _text(raw.get("id"))
    if merge_id is None:
        raise ProviderProtocolError("A Merge employee has no id.")
    where = f"employee {_text(raw.get('remote_id')) or merge_id}"
    for what, keys in expected:
        if not any(key in raw for key in keys):
            raise ProviderProtocolError(
                f"Merge's {where} has no '{keys[0]}' field ({what}): a field missing from "
                "the answer is not an empty one, so nothing was imported.",
                hint="The provider's answer is incomplete; run the sync again later. If it "
                "persists, contact your peoplesync operator.",
                field=what,
                record=where,
            )
    reader = _Reader(raw, where, [] if issues is None else issues)
    values = {f.name: None if f.name in redacted else reader.value(f) for f in VALUE_FIELDS}
    if _status(raw) == "PENDING":
        values["end_date"] = _pending_end(values)
    manager = None if "manager" in redacted else _ref(raw.get("manager"))
    return SourceEmployee(
        where,
        merge_id,
        tuple(values[f.name] for f in VALUE_FIELDS),
        manager,
        None,
        _demographics(raw, redacted),
    )


def is_leaver(raw: Mapping[str, Any]) -> bool:
    """INACTIVE without a termination date: gone, with no date of its own (the account's leaver
    policy decides, as for anyone the HRIS no longer lists)."""
    return _status(raw) == "INACTIVE" and raw.get("termination_date") in (None, "")


def _status(raw: Mapping[str, Any]) -> str | None:
    text = _text(raw.get("employment_status"))
    return text.upper() if text else None


def _pending_end(values: Mapping[str, Value]) -> Value:
    """A pending (re)hire starts in the future: a termination date before that start is the
    previous employment's, not this one's."""
    start, end = values.get("start_date"), values.get("end_date")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        return None
    return end


class _Reader:
    """Reads one record's core values, noting each value that cannot be read."""

    def __init__(self, raw: Mapping[str, Any], where: str, issues: list[Issue]) -> None:
        self.raw, self.where, self.issues = raw, where, issues

    def value(self, field: CoreField) -> Value:
        if field.name == "name":
            return _name(self.raw)
        key = field.merge_fields[0]
        if field.kind is Kind.DATE:
            return self.date(field, key)
        return _text(self.raw.get(key))

    def date(self, field: CoreField, key: str) -> date | None:
        value = self.raw.get(key)
        if value is None or value == "":
            return None
        try:
            parsed = parse_date(value)
        except NotADateError:
            shown = value[:40] if isinstance(value, str) else value
            self.note(
                Severity.ERROR,
                "invalid_date",
                field,
                f"{field.label} ({key}) {shown!r} is not a date; the field was left out.",
                f"Correct the {field.label} of this employee in the HRIS, then sync again.",
            )
            return None
        if parsed.late_utc:
            nxt = parsed.day + timedelta(days=1)
            self.note(
                Severity.WARNING,
                "date_late_in_utc_day",
                field,
                f"{field.label} ({key}) {value!r} is late in the UTC day: it is read as "
                f"{parsed.day.isoformat()}, as written, though it may mean {nxt.isoformat()} "
                "(a midnight east of UTC stored in UTC).",
                f"If {nxt.isoformat()} is meant, correct the date in the HRIS.",
            )
        return parsed.day

    def note(self, severity: Severity, code: str, field: CoreField, what: str, hint: str) -> None:
        who = _who(self.raw)
        self.issues.append(
            Issue(
                severity=severity,
                code=code,
                message=f"Merge's {self.where} ({who}): {what}",
                hint=hint,
                location=self.where,
                field=field.name,
                who=who,
            )
        )


def _who(raw: Mapping[str, Any]) -> str:
    email = _text(raw.get("work_email"))
    name = _name(raw) or "(no name)"
    return f"{name} <{email}>" if email else name


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _name(raw: Mapping[str, Any]) -> str | None:
    """The legal name: first + last; `display_full_name` only when both are missing (it may
    carry the preferred first name)."""
    parts = [p for p in (_text(raw.get("first_name")), _text(raw.get("last_name"))) if p]
    return " ".join(parts) or _text(raw.get("display_full_name"))


def _ref(value: object) -> str | None:
    """An expanded object's id, or the plain id Merge sent."""
    if isinstance(value, Mapping):
        return _text(value.get("id"))
    return _text(value)


def _demographics(raw: Mapping[str, Any], redacted: frozenset[str]) -> dict[str, str]:
    employment = _latest_employment(raw.get("employments"))
    found = {
        "Team": _team(raw.get("groups")) or _named(raw.get("team"), "name"),
        "Work Location": _named(raw.get("work_location"), "name"),
        "Job Title": _text(employment.get("job_title")) if employment else None,
        "Employment Type": enum_label(employment.get("employment_type")) if employment else None,
        "Company": _named(raw.get("company"), "display_name", "legal_name"),
        "Gender": enum_label(raw.get("gender")),
        "Race/Ethnicity": enum_label(raw.get("ethnicity")),
    }
    return {k: v for k, v in found.items() if v is not None and k not in redacted}


def _named(value: object, *keys: str) -> str | None:
    if not isinstance(value, Mapping):
        return None  # an id Merge did not expand: skipped, not looked up
    for key in keys:
        if text := _text(value.get(key)):
            return text
    return None


def _team(groups: object) -> str | None:
    """The employee's team among its expanded groups: type TEAM first, else one Merge says is
    commonly used as a team. Ids Merge did not expand are skipped, not looked up."""
    if not isinstance(groups, list):
        return None
    live = [g for g in groups if isinstance(g, Mapping) and not g.get("remote_was_deleted")]
    for chosen in (
        [g for g in live if str(g.get("type") or "").upper() == "TEAM"],
        [g for g in live if g.get("is_commonly_used_as_team") is True],
    ):
        for group in chosen:
            if name := _text(group.get("name")):
                return name
    return None


def _latest_employment(value: object) -> Mapping[str, Any] | None:
    """Merge: order employments by `effective_date` (parsed, not as text); ties by
    `modified_at`."""
    if not isinstance(value, list):
        return None
    expanded = [e for e in value if isinstance(e, Mapping)]
    if not expanded:
        return None
    return max(
        expanded,
        key=lambda e: (sort_moment(e.get("effective_date")), sort_moment(e.get("modified_at"))),
    )


def enum_label(value: object) -> str | None:
    """A Merge enum as an admin reads it: 'PREFER_NOT_TO_DISCLOSE' -> 'Prefer not to disclose'."""
    text = _text(value)
    if text is None:
        return None
    return _WORDS.get(text) or text.replace("_", " ").capitalize()
