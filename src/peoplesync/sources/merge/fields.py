"""The Merge Employee fields a demographic can come from, each declared once: its label, the
Merge Employee fields it needs (as `available-actions` names them: a provider that does not
support one does not offer it), and how its value is read from an expanded Employee. Pure.

    team                the employee's group of type TEAM (or one Merge marks
                        `is_commonly_used_as_team`); the deprecated `team` is the fallback
    group:<TYPE>        the employee's group of that type (DEPARTMENT, COST_CENTER, ...)
    work_location ...   the other fields, from the Employee, its company or its latest employment
    custom:<name>       a provider custom field: Merge's `field_mappings` (organization- and
                        linked-account-defined targets) and `custom_fields` on each record

The default mapping (`DEFAULT_TARGETS`) is what peoplesync always imported.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from peoplesync.core.mapping import FieldMapping
from peoplesync.sources.merge.dates import sort_moment

CUSTOM = "custom:"
EMPLOYMENTS = "employments"  # the Employee key of its employments (the latest one is read)
GROUP = "group:"
_WORDS = {"NON-BINARY": "Non-binary", "PREFER_NOT_TO_DISCLOSE": "Prefer not to disclose"}
Reader = Callable[[Mapping[str, Any], Mapping[str, Any] | None], str | None]


@dataclass(frozen=True, slots=True)
class MergeField:
    key: str
    label: str
    merge_fields: tuple[str, ...]  # the Employee keys it needs (available-actions names)
    read: Reader  # (the Employee, its latest employment) -> the value


def text_of(value: object) -> str | None:
    if value is None:
        return None
    text = value.strip() if value.__class__ is str else str(value).strip()
    return text or None


def enum_label(value: object) -> str | None:
    """A Merge enum as an admin reads it: 'PREFER_NOT_TO_DISCLOSE' -> 'Prefer not to disclose'."""
    return _label(text_of(value))


@functools.lru_cache(maxsize=256)  # an enum has a few values, each read 100,000 times a fetch
def _label(text: str | None) -> str | None:
    if text is None:
        return None
    return _WORDS.get(text) or text.replace("_", " ").capitalize()


def named(value: object, *keys: str) -> str | None:
    if not isinstance(value, (dict, Mapping)):  # a dict first: the ABC is slow
        return None  # an id Merge did not expand: skipped, not looked up
    for key in keys:
        if text := text_of(value.get(key)):
            return text
    return None


def _live_groups(groups: object) -> list[Mapping[str, Any]]:
    if not isinstance(groups, list):
        return []
    return [g for g in groups if isinstance(g, (dict, Mapping)) and not g.get("remote_was_deleted")]


def team(groups: object) -> str | None:
    """The employee's team among its expanded groups: type TEAM first, else one Merge says is
    commonly used as a team. Ids Merge did not expand are skipped, not looked up. One pass over
    the groups (it runs for each of 100,000 records)."""
    common = None  # the first group commonly used as a team, if no TEAM comes
    for group in _live_groups(groups):
        if not (name := text_of(group.get("name"))):
            continue
        if str(group.get("type") or "").upper() == "TEAM":
            return name
        if common is None and group.get("is_commonly_used_as_team") is True:
            common = name
    return common


def _group_of(kind: str) -> Reader:
    def read(raw: Mapping[str, Any], _: Mapping[str, Any] | None) -> str | None:
        for group in _live_groups(raw.get("groups")):
            if str(group.get("type") or "").upper() == kind and (
                name := text_of(group.get("name"))
            ):
                return name
        return None

    return read


def latest_employment(value: object) -> Mapping[str, Any] | None:
    """Merge: order employments by `effective_date` (parsed, not as text); ties by
    `modified_at`."""
    if not isinstance(value, list):
        return None
    expanded = [e for e in value if isinstance(e, (dict, Mapping))]
    if len(expanded) < 2:  # most employees have one
        return expanded[0] if expanded else None
    return max(
        expanded,
        key=lambda e: (sort_moment(e.get("effective_date")), sort_moment(e.get("modified_at"))),
    )


def _employment(key: str, *, enum: bool = False) -> Reader:
    def read(_: Mapping[str, Any], job: Mapping[str, Any] | None) -> str | None:
        if job is None:
            return None
        return enum_label(job.get(key)) if enum else text_of(job.get(key))

    return read


def _enum(key: str) -> Reader:
    return lambda raw, _: enum_label(raw.get(key))


def _group_field(kind: str, label: str) -> MergeField:
    return MergeField(GROUP + kind, label, ("groups",), _group_of(kind))


FIELDS: tuple[MergeField, ...] = (
    MergeField(
        "team",
        "Team (group of type TEAM)",
        ("groups", "team"),
        lambda raw, _: team(raw.get("groups")) or named(raw.get("team"), "name"),
    ),
    _group_field("DEPARTMENT", "Department (group)"),
    _group_field("COST_CENTER", "Cost center (group)"),
    _group_field("BUSINESS_UNIT", "Business unit (group)"),
    _group_field("GROUP", "Other group"),
    MergeField(
        "work_location",
        "Work location",
        ("work_location",),
        lambda raw, _: named(raw.get("work_location"), "name"),
    ),
    MergeField("job_title", "Job title (employment)", ("employments",), _employment("job_title")),
    MergeField(
        "employment_type",
        "Employment type (employment)",
        ("employments",),
        _employment("employment_type", enum=True),
    ),
    MergeField(
        "flsa_status",
        "FLSA status (employment)",
        ("employments",),
        _employment("flsa_status", enum=True),
    ),
    MergeField(
        "company",
        "Company",
        ("company",),
        lambda raw, _: named(raw.get("company"), "display_name", "legal_name"),
    ),
    MergeField(
        "employment_status", "Employment status", ("employment_status",), _enum("employment_status")
    ),
    MergeField("gender", "Gender", ("gender",), _enum("gender")),
    MergeField("ethnicity", "Ethnicity", ("ethnicity",), _enum("ethnicity")),
    MergeField("marital_status", "Marital status", ("marital_status",), _enum("marital_status")),
)
BY_KEY: Mapping[str, MergeField] = MappingProxyType({f.key: f for f in FIELDS})

# What peoplesync always imported, by the demographic names it always used.
DEFAULT_TARGETS: Mapping[str, str] = MappingProxyType(
    {
        "team": "Team",
        "work_location": "Work Location",
        "job_title": "Job Title",
        "employment_type": "Employment Type",
        "company": "Company",
        "gender": "Gender",
        "ethnicity": "Race/Ethnicity",
    }
)
DEFAULT_MAPPING = FieldMapping(DEFAULT_TARGETS)


def offered(supported: Collection[str] | None) -> tuple[MergeField, ...]:
    """The fields this provider can fill (`supported`: available-actions; None: unknown)."""
    if supported is None:
        return FIELDS
    return tuple(f for f in FIELDS if any(m in supported for m in f.merge_fields))


def custom_values(raw: Mapping[str, Any]) -> dict[str, str]:
    """A record's provider custom fields, as `custom:<name>` -> text (Merge's field mappings,
    then its `custom_fields`)."""
    found: dict[str, str] = {}
    for section in _custom_sections(raw):
        for name, value in section.items():
            text = _custom_text(value)
            if text is not None:
                found.setdefault(CUSTOM + str(name), text)
    return found


def custom_names(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The custom fields these raw records carry (`custom:<name>`), in order of first sight."""
    names: dict[str, None] = {}
    for raw in records:
        for section in _custom_sections(raw):
            names.update((CUSTOM + str(n), None) for n in section)
    return list(names)


def _custom_sections(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    mappings = raw.get("field_mappings")
    found: list[object] = []
    if isinstance(mappings, Mapping):
        found = [
            mappings.get("organization_defined_targets"),
            mappings.get("linked_account_defined_targets"),
        ]
    found.append(raw.get("custom_fields"))
    return [s for s in found if isinstance(s, Mapping)]


def _custom_text(value: object) -> str | None:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Mapping | list):
        return None  # a structure is not a demographic value
    return text_of(value)


class SourceReader:
    """The values of a set of source fields in an expanded Employee (`reader(raw)`: name ->
    text, each field's value under the name it is given), the set read once: a fetch reads the
    same keys from each of 100,000 employees. The latest employment is looked for only if a key
    reads it, the custom fields only if a key is one."""

    __slots__ = ("_custom", "_fields", "_job")

    def __init__(self, named: Iterable[tuple[str, str]]) -> None:
        """`named`: (source field key, the name its value is given)."""
        self._fields = tuple((key, BY_KEY.get(key), name) for key, name in named)
        self._job = any(f is not None and EMPLOYMENTS in f.merge_fields for _, f, _ in self._fields)
        self._custom = any(key.startswith(CUSTOM) for key, _, _ in self._fields)

    def __call__(self, raw: Mapping[str, Any]) -> dict[str, str]:
        if not self._fields:
            return {}
        job = latest_employment(raw.get(EMPLOYMENTS)) if self._job else None
        custom = custom_values(raw) if self._custom else {}
        found: dict[str, str] = {}
        for key, field, name in self._fields:
            value = field.read(raw, job) if field is not None else custom.get(key)
            if value is not None:
                found[name] = value
        return found


def field_label(key: str) -> str:
    field = BY_KEY.get(key)
    if field is not None:
        return field.label
    return key.removeprefix(CUSTOM) + " (custom field)" if key.startswith(CUSTOM) else key
