"""Undo an import (issue 17): the reverse of what a run changed, as a plan like any other.

The change log holds, per run, every changed field's before -> after; the reverse puts each
before-value back. A person the run created is removed (kind REMOVE, with every value they have
as a before-value, so that undoing the undo creates them again); a person the run removed (an
undo of their creation) is created again with those values. What the directory would look like
after the reverse is validated by the same rules as a source (`validate`), so an undo never
leaves the directory breaking one. Pure: the directory comes in as plain `Person` snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from peoplesync.core.changes import FieldChange
from peoplesync.core.employee import Person, PersonStatus, SourceEmployee, SourceSnapshot
from peoplesync.core.fields import CORE_FIELDS, VALUE_NAMES
from peoplesync.core.issues import Issue, ValidationReport
from peoplesync.core.plan import ChangeKind, Plan, PlannedChange, directory_after, item_label
from peoplesync.core.validate import duplicates, validate


@dataclass(frozen=True, slots=True)
class LoggedPerson:
    """One person's changes in one run, as the change log holds them, in logged order."""

    person_id: str
    created: bool  # the run created them (their values are the directory's now)
    removed: bool  # the run removed them (`changes` hold every value they had)
    changes: tuple[FieldChange, ...]  # field rows (before -> after)


def reverse(logged: Iterable[LoggedPerson], directory: Sequence[Person], today: date) -> Plan:
    """The plan that puts back what `logged` changed (`today`: the undo's import date)."""
    by_id = {p.id: p for p in directory}
    items = [item for entry in logged if (item := _reverse_one(entry, by_id)) is not None]
    return Plan(import_date=today, items=tuple(items))


def _reverse_one(entry: LoggedPerson, by_id: Mapping[str, Person]) -> PlannedChange | None:
    person = by_id.get(entry.person_id)
    if entry.created:
        if person is None:
            return None  # already gone
        return PlannedChange(ChangeKind.REMOVE, person.id, person.describe(), every_value(person))
    if entry.removed:
        back = tuple(FieldChange(c.field, None, c.before, c.demographic) for c in entry.changes)
        return PlannedChange(ChangeKind.CREATE, entry.person_id, _label(back), back)
    changes = tuple(
        FieldChange(c.field, c.after, c.before, c.demographic)
        for c in reversed(entry.changes)
        if c.after != c.before
    )
    if not changes or person is None:
        return None
    return PlannedChange(_kind(person, changes), person.id, person.describe(), changes)


def every_value(person: Person) -> tuple[FieldChange, ...]:
    """Everything the directory keeps of a person, as changes to nothing: a removal's
    before-values, from which undoing the removal creates them again."""
    core: list[tuple[str, object]] = [("source_id", person.source_id)]
    core += zip(VALUE_NAMES, person.values, strict=True)
    core.append(("manager", person.manager_id))
    kept = [FieldChange(f, _text(v), None) for f, v in core if v is not None]
    kept += [FieldChange(n, v, None, True) for n, v in sorted(person.demographics.items())]
    kept.append(FieldChange("status", person.status.value, None))
    return tuple(kept)


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _label(changes: Sequence[FieldChange]) -> str:
    values = {c.field: c.after for c in changes if not c.demographic}
    return item_label(values.get("name"), values.get("email"))


def _kind(person: Person, changes: Sequence[FieldChange]) -> ChangeKind:
    """A status put back is a rehire (to active) or a leave (from active); else an update."""
    status = next((c.after for c in changes if c.field == "status" and not c.demographic), None)
    if status is None or status == person.status.value:
        return ChangeKind.UPDATE
    if status == PersonStatus.ACTIVE.value:
        return ChangeKind.REHIRE
    if person.status is PersonStatus.ACTIVE:
        return ChangeKind.LEAVE
    return ChangeKind.UPDATE


# --- the directory after the undo, validated ----------------------------------------------------


def after_undo(directory: Sequence[Person], undo: Plan) -> list[Person]:
    """The directory once `undo` is applied: its removals gone, its other changes made."""
    removed = {i.person_id for i in undo.items if i.kind is ChangeKind.REMOVE}
    kept = [p for p in directory if p.id not in removed]
    rest = tuple(i for i in undo.items if i.kind is not ChangeKind.REMOVE)
    return directory_after(kept, Plan(undo.import_date, rest))


PROFILE = "profile "  # how an issue on the directory after an undo names its record


def check_undo(directory: Sequence[Person], undo: Plan, today: date) -> ValidationReport:
    """Validate the directory as the undo would leave it, by the rules a source's records meet:
    the issues of the people the undo changes (and of the people whose manager it would
    remove), each named by their profile."""
    after = after_undo(directory, undo)
    records = tuple(_as_record(p) for p in after)
    provided = frozenset({*CORE_FIELDS, "source_id"})
    names = frozenset(n for p in after for n in p.demographics)
    report = validate(SourceSnapshot(records, provided, names), today=today, directory=after)
    touched = {f"{PROFILE}{i.person_id}" for i in undo.items}
    issues = [*_concerning(report.issues, touched), *_taken_source_ids(records, after)]
    return ValidationReport(tuple(issues))


def _taken_source_ids(records: Sequence[SourceEmployee], after: Sequence[Person]) -> list[Issue]:
    """An HRIS ID two profiles would hold (each record's own source ID is its profile's id)."""
    ids = [p.source_id for p in after]
    present = [i for i in ids if i]
    if len(set(present)) == len(present):
        return []
    return list(duplicates(records, "source_id", lambda i, _: ids[i]))


# A directory may hold an Employee Id twice (a long-gone person's, re-used by a new one: the
# identity rules rank the holders), though one source may not: not an undo's error.
_DIRECTORY_ALLOWS = frozenset({"duplicate_employee_id"})


def _concerning(issues: Iterable[Issue], touched: set[str]) -> Iterator[Issue]:
    return (i for i in issues if i.location in touched and i.code not in _DIRECTORY_ALLOWS)


def _as_record(person: Person) -> SourceEmployee:
    """A person as a source record whose source ID is their profile's id (so managers resolve
    by profile, and nothing else is matched on)."""
    return SourceEmployee(
        f"{PROFILE}{person.id}",
        person.id,
        person.values,
        manager_source_id=person.manager_id,
        demographics=person.demographics,
    )
