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
from peoplesync.core.fields import CORE_FIELDS, FIELDS, VALUE_FIELDS, VALUE_NAMES, CoreField, Kind
from peoplesync.core.issues import Issue, Severity
from peoplesync.core.mapping import EXCLUDED, FieldMapping
from peoplesync.errors import ProviderProtocolError
from peoplesync.sources.merge.dates import NotADateError, parse_date, parse_text
from peoplesync.sources.merge.fields import (
    BY_KEY,
    DEFAULT_MAPPING,
    SourceReader,
    text_of,
)

# Merge supported_fields -> our core fields (from the field schema).
SUPPORTED_TO_CORE: Mapping[str, str] = MappingProxyType(
    {merge_field: f.name for f in FIELDS for merge_field in f.merge_fields}
)


def provided_fields(supported: Collection[str] | None) -> frozenset[str]:
    """The core fields this provider carries (None: unknown, so all of them)."""
    if supported is None:
        return frozenset(CORE_FIELDS)
    return frozenset(SUPPORTED_TO_CORE[f] for f in supported if f in SUPPORTED_TO_CORE)


Expected = tuple[tuple[str, tuple[str, ...]], ...]  # (what, the Merge keys that carry it)


def expected_keys(provided: Collection[str], mapped: Mapping[str, str]) -> Expected:
    """For each core field and mapped field (source field -> demographic) a sync compares: the
    Merge Employee keys of which a record must carry at least one (`null` is a value: "empty";
    a key left out is not). A custom field is not expected: a record without it has none."""
    core = tuple((f.label, f.merge_fields) for f in FIELDS if f.name in provided)
    named = tuple(
        (name, BY_KEY[key].merge_fields)
        for key, name in sorted(mapped.items(), key=lambda kv: kv[1])
        if key in BY_KEY
    )
    return core + named


def map_employee(
    raw: Mapping[str, Any],
    *,
    redacted: frozenset[str] = frozenset(),
    expected: Expected = (),
    issues: list[Issue] | None = None,
    mapping: FieldMapping = DEFAULT_MAPPING,
) -> SourceEmployee | None:
    """The canonical employee, or None when Merge says the record was deleted upstream.

    A value that cannot be read is left empty with an issue appended to `issues` (an error for a
    core field, so that the import shows it instead of clearing the directory's value). A record
    without one of the `expected` keys fails the fetch: read as "empty", a field missing from
    the answer would clear that value in the directory (or leave the record unmatched), with no
    finding and no review. (A fetch maps with one `EmployeeMapper`, made once.)"""
    return EmployeeMapper(redacted=redacted, expected=expected, mapping=mapping)(raw, issues)


_TEXT, _DATE, _NAME = range(3)  # how a core value is read


class EmployeeMapper:
    """`map_employee` with its settings read once, for the 100,000 records of a fetch: which
    core values are kept (a redacted one is never read) and how each is read, the keys every
    record must carry (checked as one set), and the mapped fields' readers."""

    __slots__ = ("_demographics", "_either", "_expected", "_manager", "_required", "_values")

    def __init__(
        self,
        *,
        redacted: frozenset[str] = frozenset(),
        expected: Expected = (),
        mapping: FieldMapping = DEFAULT_MAPPING,
    ) -> None:
        self._expected = expected
        self._required = frozenset(keys[0] for _, keys in expected if len(keys) == 1)
        self._either = tuple(keys for _, keys in expected if len(keys) > 1)
        self._values = tuple(
            (
                at,
                f,
                f.merge_fields[0],
                _NAME if f.name == "name" else _DATE if f.kind is Kind.DATE else _TEXT,
            )
            for at, f in enumerate(VALUE_FIELDS)
            if f.name not in redacted
        )
        self._manager = "manager" not in redacted
        self._demographics = _DemographicReader(mapping, redacted)

    def __call__(
        self, raw: Mapping[str, Any], issues: list[Issue] | None = None
    ) -> SourceEmployee | None:
        get = raw.get
        if get("remote_was_deleted"):
            return None
        merge_id = _text(get("id"))
        if merge_id is None:
            raise ProviderProtocolError("A Merge employee has no id.")
        where = f"employee {_text(get('remote_id')) or merge_id}"
        if not raw.keys() >= self._required or not all(
            any(key in raw for key in keys) for keys in self._either
        ):
            _missing(raw, where, self._expected)
        noted = [] if issues is None else issues
        values: list[Value] = [None] * _VALUES  # VALUE_NAMES order, a redacted one left None
        for at, field, key, how in self._values:
            if how is _TEXT:
                values[at] = _text(get(key))
            elif how is _DATE:
                values[at] = _read_date(raw, where, noted, field, key)
            else:
                values[at] = _name(raw)
        if values[_END_AT] is not None and _status(raw) == "PENDING":
            values[_END_AT] = _pending_end(values[_START_AT], values[_END_AT])
        manager = _ref(get("manager")) if self._manager else None
        return SourceEmployee(
            where, merge_id, tuple(values), manager, None, self._demographics(raw)
        )


_VALUES = len(VALUE_NAMES)
_START_AT, _END_AT = VALUE_NAMES.index("start_date"), VALUE_NAMES.index("end_date")


def _read_date(
    raw: Mapping[str, Any], where: str, issues: list[Issue], field: CoreField, key: str
) -> date | None:
    """A date value: a plain one read here (100,000 records, three dates each); one that is
    no date, or late in the UTC day, by `_Reader`, which notes why."""
    value = raw.get(key)
    if value is None or value == "":
        return None
    if value.__class__ is str:
        try:
            parsed = parse_text(value)
        except NotADateError:
            pass
        else:
            if not parsed.late_utc:
                return parsed.day
    return _Reader(raw, where, issues).date(field, key)


def _missing(raw: Mapping[str, Any], where: str, expected: Expected) -> None:
    """The fetch fails on the first `expected` field this record lacks."""
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


def is_leaver(raw: Mapping[str, Any]) -> bool:
    """INACTIVE without a termination date: gone, with no date of its own (the account's leaver
    policy decides, as for anyone the HRIS no longer lists)."""
    return _status(raw) == "INACTIVE" and raw.get("termination_date") in (None, "")


def _status(raw: Mapping[str, Any]) -> str | None:
    text = _text(raw.get("employment_status"))
    return text.upper() if text else None


def _pending_end(start: Value, end: Value) -> Value:
    """A pending (re)hire starts in the future: a termination date before that start is the
    previous employment's, not this one's."""
    if isinstance(start, date) and isinstance(end, date) and end < start:
        return None
    return end


class _Reader:
    """Reads one record's core values, noting each value that cannot be read."""

    def __init__(self, raw: Mapping[str, Any], where: str, issues: list[Issue]) -> None:
        self.raw, self.where, self.issues = raw, where, issues

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


_text = text_of


def _name(raw: Mapping[str, Any]) -> str | None:
    """The legal name: first + last; `display_full_name` only when both are missing (it may
    carry the preferred first name)."""
    parts = [p for p in (_text(raw.get("first_name")), _text(raw.get("last_name"))) if p]
    return " ".join(parts) or _text(raw.get("display_full_name"))


def _ref(value: object) -> str | None:
    """An expanded object's id, or the plain id Merge sent."""
    if isinstance(value, (dict, Mapping)):  # a dict first: the ABC is slow
        return _text(value.get("id"))
    return _text(value)


class _DemographicReader:
    """The mapped fields' values by demographic name (a redacted demographic dropped), and the
    excluding value under `EXCLUDED` when the exclusion rule leaves this employee out."""

    __slots__ = ("_read", "_rule")

    def __init__(self, mapping: FieldMapping, redacted: frozenset[str]) -> None:
        self._rule = rule = mapping.exclusion
        named = [(key, name) for key, name in mapping.mapped().items() if name not in redacted]
        if rule is not None:  # its field's value, under a name no demographic has
            named.append((rule.field, _RULE))
        self._read = SourceReader(named)

    def __call__(self, raw: Mapping[str, Any]) -> dict[str, str]:
        values = self._read(raw)
        rule = self._rule
        if rule is not None:
            value = values.pop(_RULE, None)
            if value is not None and rule.excludes(value):
                values[EXCLUDED] = value
        return values


_RULE = "\x00exclusion rule"  # no demographic name holds a NUL
