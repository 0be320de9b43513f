"""Merge's Employee -> the canonical `SourceEmployee`. Pure.

Only what the sync needs is kept (never the raw payload). A redacted field is dropped here, before
anything is stored, logged or shown. Merge types date-only fields as date-times at UTC midnight;
they become calendar dates with no time-zone shift.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from peoplesync.core.employee import SourceEmployee, Value
from peoplesync.core.fields import CORE_FIELDS, FIELDS, VALUE_FIELDS, CoreField, Kind
from peoplesync.errors import ProviderProtocolError

# Our demographics and the Merge Employee field each comes from (for supported_fields checks).
DEMOGRAPHIC_SOURCES: Mapping[str, str] = {
    "Team": "team",
    "Work Location": "work_location",
    "Job Title": "employments",
    "Employment Type": "employments",
    "Company": "company",
    "Gender": "gender",
    "Race/Ethnicity": "ethnicity",
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
    named = tuple((n, (DEMOGRAPHIC_SOURCES[n],)) for n in sorted(demographics))
    return core + named


def map_employee(
    raw: Mapping[str, Any],
    *,
    redacted: frozenset[str] = frozenset(),
    expected: Expected = (),
) -> SourceEmployee | None:
    """The canonical employee, or None when Merge says the record was deleted upstream.

    A record without one of the `expected` keys fails the fetch: read as "empty", a field
    missing from the answer would clear that value in the directory (or leave the record
    unmatched), with no finding and no review."""
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
    values = [None if f.name in redacted else _value(raw, f, where) for f in VALUE_FIELDS]
    manager = None if "manager" in redacted else _ref(raw.get("manager"))
    return SourceEmployee(
        where, merge_id, tuple(values), manager, None, _demographics(raw, redacted)
    )


def _value(raw: Mapping[str, Any], field: CoreField, where: str) -> Value:
    """One core value: by the field's own rule, or read from its Merge field by kind."""
    special = _SPECIAL.get(field.name)
    if special is not None:
        return special(raw)
    key = field.merge_fields[0]
    if field.kind is Kind.DATE:
        return _date(raw, key, where)
    return _text(raw.get(key))


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _name(raw: Mapping[str, Any]) -> str | None:
    full = _text(raw.get("display_full_name"))
    if full:
        return full
    parts = [p for p in (_text(raw.get("first_name")), _text(raw.get("last_name"))) if p]
    return " ".join(parts) or None


_SPECIAL: Mapping[str, Callable[[Mapping[str, Any]], Value]] = {"name": _name}


def _date(raw: Mapping[str, Any], key: str, where: str) -> date | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ProviderProtocolError(f"Merge's {where} has a {key} that is not a date: {value!r}.")
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ProviderProtocolError(
            f"Merge's {where} has a {key} that is not a date: {value[:40]!r}."
        ) from None
    if moment.tzinfo is None:
        return moment.date()  # no zone given: the calendar date as written
    return moment.astimezone(UTC).date()  # Merge's UTC midnight, never the local date


def _ref(value: object) -> str | None:
    """An expanded object's id, or the plain id Merge sent."""
    if isinstance(value, Mapping):
        return _text(value.get("id"))
    return _text(value)


def _demographics(raw: Mapping[str, Any], redacted: frozenset[str]) -> dict[str, str]:
    employment = _latest_employment(raw.get("employments"))
    found = {
        "Team": _named(raw.get("team"), "name"),
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


def _latest_employment(value: object) -> Mapping[str, Any] | None:
    if not isinstance(value, list):
        return None
    expanded = [e for e in value if isinstance(e, Mapping)]
    if not expanded:
        return None
    return max(expanded, key=lambda e: str(e.get("effective_date") or ""))


def enum_label(value: object) -> str | None:
    """A Merge enum as an admin reads it: 'PREFER_NOT_TO_DISCLOSE' -> 'Prefer not to disclose'."""
    text = _text(value)
    if text is None:
        return None
    return _WORDS.get(text) or text.replace("_", " ").capitalize()
