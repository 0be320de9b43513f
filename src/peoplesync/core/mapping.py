"""Field mapping: which source field becomes which account demographic, and who is left out.

One `FieldMapping` per connection (the HRIS, the file upload). Core fields always map the same
way (core/fields.py) and are never part of it; a mapping names only demographics, by their exact
name (survey trends stay continuous only under the exact same name). The default mapping of each
source is what peoplesync always did: the Merge fields of `sources.merge.mapping.DEFAULT_TARGETS`,
and every further column of a file under its own header (`passthrough`).

An exclusion rule names one source field and the values that exclude a person (Employment Type
= Contractor; a custom "Exclude from peoplesync" = Yes), compared case-insensitively. The source
marks an excluded record by carrying the excluding value under `EXCLUDED` in its demographics
(no demographic has an empty name); `split_excluded` takes such records out of the snapshot
before validation and planning: they are never created, and an existing person they match
leaves with the reason "excluded" (core/plan.py).

Pure: the store keeps a mapping as plain JSON (`to_json` / `from_json`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from peoplesync.core.employee import SourceEmployee, SourceSnapshot, fold
from peoplesync.core.fields import CSV_COLUMNS, FIELD_LABELS

EXCLUDED = ""  # the demographics key an excluded record carries its excluding value under
EXCLUDED_REASON = "excluded"
MAX_NAME = 200  # the longest demographic name the directory keeps
_CORE_NAMES = {fold(n) for n in (*CSV_COLUMNS, *FIELD_LABELS.values())}
NO_TARGETS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Exclusion:
    """People whose `field` holds one of `values` are left out of imports."""

    field: str
    values: tuple[str, ...]

    def excludes(self, value: str | None) -> bool:
        return value is not None and fold(value) in {fold(v) for v in self.values}

    def describe(self) -> str:
        return f"{self.field} = " + " or ".join(self.values)


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """Source field -> demographic name ("" : not imported). `passthrough`: a source field the
    mapping does not name is imported under its own name (a file's columns)."""

    targets: Mapping[str, str] = field(default_factory=lambda: NO_TARGETS)
    passthrough: bool = False
    exclusion: Exclusion | None = None

    def target(self, source_field: str) -> str | None:
        """The demographic a source field becomes, or None (not imported)."""
        found = self.targets.get(source_field)
        if found is None:
            return source_field if self.passthrough else None
        return found or None

    def mapped(self) -> dict[str, str]:
        """The named source fields that are imported, and their demographics."""
        return {s: t for s, t in self.targets.items() if t}

    def key(self) -> str:
        """A short key of what this mapping does (a changed mapping must see every record)."""
        return hashlib.sha256(json.dumps(to_json(self), sort_keys=True).encode()).hexdigest()[:32]

    def with_targets(self, targets: Mapping[str, str]) -> FieldMapping:
        return replace(self, targets=MappingProxyType(dict(targets)))


def to_json(mapping: FieldMapping) -> dict[str, Any]:
    rule = mapping.exclusion
    return {
        "targets": dict(mapping.targets),
        "exclude": None if rule is None else {"field": rule.field, "values": list(rule.values)},
    }


def from_json(data: Mapping[str, Any], *, passthrough: bool) -> FieldMapping:
    rule = data.get("exclude")
    exclusion = Exclusion(rule["field"], tuple(rule["values"])) if rule else None
    targets = MappingProxyType({str(k): str(v) for k, v in (data.get("targets") or {}).items()})
    return FieldMapping(targets, passthrough, exclusion)


def target_problems(targets: Mapping[str, str], known_fields: Iterable[str]) -> list[str]:
    """What is wrong with a proposed mapping, each problem naming its field: an unknown source
    field, a core field's name as a demographic (core fields stay fixed), a name too long, two
    source fields mapped to one demographic."""
    known = set(known_fields)
    problems: list[str] = []
    seen: dict[str, str] = {}
    for source_field, name in targets.items():
        if source_field not in known:
            problems.append(f"'{source_field}' is not a field of this source.")
            continue
        if not name:
            continue
        if name != name.strip():
            problems.append(f"'{source_field}': the name '{name}' has spaces around it.")
        elif fold(name) in _CORE_NAMES:
            problems.append(
                f"'{source_field}': '{name}' is a core field, which always maps the same way; "
                "choose a demographic name."
            )
        elif len(name) > MAX_NAME:
            problems.append(f"'{source_field}': a demographic name has at most {MAX_NAME} letters.")
        if name in seen:
            problems.append(
                f"'{seen[name]}' and '{source_field}' are both mapped to '{name}': a demographic "
                "comes from one field."
            )
        seen.setdefault(name, source_field)
    return problems


def exclusion_problems(rule: Exclusion, known_fields: Iterable[str]) -> list[str]:
    problems = []
    if rule.field not in set(known_fields):
        problems.append(f"The exclusion field '{rule.field}' is not a field of this source.")
    if not [v for v in rule.values if v.strip()]:
        problems.append(f"The exclusion on '{rule.field}' names no value that excludes.")
    return problems


def remap(records: Sequence[SourceEmployee], mapping: FieldMapping) -> tuple[SourceEmployee, ...]:
    """Records whose demographics are keyed by source field (a file's headers), keyed by their
    demographics instead, the excluded ones marked."""
    if mapping.passthrough and not mapping.targets and mapping.exclusion is None:
        return tuple(records)  # today's file layout: every column under its own header
    rule = mapping.exclusion
    out: list[SourceEmployee] = []
    for rec in records:
        found = rec.demographics
        values = {t: v for s, v in found.items() if (t := mapping.target(s))}
        if rule is not None and rule.excludes(found.get(rule.field)):
            values[EXCLUDED] = found[rule.field]
        out.append(replace(rec, demographics=values))
    return tuple(out)


def demographic_names(columns: Iterable[str], mapping: FieldMapping) -> frozenset[str]:
    """The demographics a source with these fields carries under `mapping`."""
    return frozenset(t for c in columns if (t := mapping.target(c)))


def split_excluded(snapshot: SourceSnapshot) -> SourceSnapshot:
    """The snapshot without its excluded records, which it names apart."""
    kept = [r for r in snapshot.records if EXCLUDED not in r.demographics]
    if len(kept) == len(snapshot.records):
        return snapshot
    excluded = tuple(r for r in snapshot.records if EXCLUDED in r.demographics)
    return replace(snapshot, records=tuple(kept), excluded=excluded)
