"""Plan a sync: match records to people, classify each exactly once, diff field by field.

Matching: core/identity.py (source ID, then Employee Id, then the case-insensitive email).
Classes: create, update, rehire (a former or deactivated person back in the source), leave,
unchanged. Only fields the source provides are compared; a field it does not provide is never
cleared. Pure: the directory comes in as plain `Person` snapshots.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from peoplesync.core.changes import (
    CreatedChanges,
    DemographicCanon,
    FieldChange,
    PlanContext,
    field_text,
)
from peoplesync.core.employee import (
    EMAIL_AT,
    END_DATE_AT,
    NAME_AT,
    NO_VALUES,
    LeaverPolicy,
    Person,
    PersonStatus,
    SourceEmployee,
    SourceSnapshot,
    Value,
    fold,
    values_of,
)
from peoplesync.core.exclusions import LEAVE_REASON, excluded_people
from peoplesync.core.fields import DATE_FIELDS, VALUE_NAMES
from peoplesync.core.identity import Identified, People, identify
from peoplesync.core.index import RecordIndex
from peoplesync.core.issues import Issue
from peoplesync.core.limits import length_issues
from peoplesync.core.mapping import EXCLUDED_REASON
from peoplesync.core.perf import gc_paused
from peoplesync.core.policy import SyncPolicy


class ChangeKind(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REHIRE = "rehire"
    LEAVE = "leave"
    REMOVE = "remove"  # only an undo plans one: a person the undone import created goes
    UNCHANGED = "unchanged"


class PlannedChange(NamedTuple):
    kind: ChangeKind
    person_id: str  # an existing person, or the id a create will get
    label: str  # "Name <email>", for review and search
    changes: Sequence[FieldChange] = ()  # a tuple, or a create's `CreatedChanges`
    record_index: int | None = None  # the record this came from (None: a person the source lacks)


@dataclass(frozen=True, slots=True)
class Plan:
    import_date: date
    items: tuple[PlannedChange, ...]
    # Conflicts only the directory reveals (an email still held by someone the source lacks).
    issues: tuple[Issue, ...] = ()
    # Unchanged people left out of `items` (a plan of only what changed counts the rest here).
    unlisted: int = 0

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((k.value for k in ChangeKind), 0)
        for item in self.items:
            counts[item.kind.value] += 1
        counts[ChangeKind.UNCHANGED.value] += self.unlisted
        return counts

    def changed(self) -> tuple[PlannedChange, ...]:
        return tuple(i for i in self.items if i.kind is not ChangeKind.UNCHANGED)


# Fields compared as-is, in review order: the source ID, then every core value ("manager" and
# demographics are compared apart).
SCALAR_FIELDS: tuple[str, ...] = ("source_id", *VALUE_NAMES)


DEFAULT_POLICY = SyncPolicy()


class NewIds:
    """Ids for the people a plan creates: one random prefix per plan, then a counter."""

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(8)
        self._next = 0

    def __call__(self) -> str:
        self._next += 1
        return f"{self._prefix}{self._next:016x}"


def plan(
    snapshot: SourceSnapshot,
    directory: Sequence[Person],
    *,
    import_date: date,
    policy: SyncPolicy = DEFAULT_POLICY,
    index: RecordIndex | None = None,
    new_id: Callable[[], str] | None = None,
) -> Plan:
    with gc_paused():
        return _plan(
            snapshot,
            directory,
            import_date=import_date,
            leaver_policy=policy.leaver_policy,
            leavers=snapshot.complete and not policy.partial,
            partial=policy.partial,
            index=index,
            new_id=new_id,
        )


def _plan(
    snapshot: SourceSnapshot,
    directory: Sequence[Person],
    *,
    import_date: date,
    leaver_policy: LeaverPolicy,
    leavers: bool,
    partial: bool = False,
    index: RecordIndex | None = None,
    new_id: Callable[[], str] | None = None,
) -> Plan:
    records = snapshot.records
    index = index or RecordIndex.build(records)
    new_id = new_id or NewIds()
    found = identify_records(records, index, People(directory), snapshot.provided)
    matched = found.people
    person_ids = [p.id if p else new_id() for p in matched]
    known = ((name, value) for p in directory for name, value in p.demographics.items())
    ctx = PlanContext(snapshot, DemographicCanon(known), import_date)
    manager = index.manager
    outside = _outside_managers(records, manager, directory) if partial else {}
    items = [
        plan_record(
            ctx,
            i,
            rec,
            person=matched[i],
            person_id=person_ids[i],
            manager_id=outside.get(i) if (m := manager[i]) is None else person_ids[m],
        )
        for i, rec in enumerate(records)
    ]
    claimed = {p.id for p in matched if p}
    unlinked = {p.id for p in found.relinked.values()}
    released = found.released
    excluded = {p.id for p in excluded_people(snapshot.excluded, directory, claimed)}
    for person in directory:
        if person.id in excluded:
            items.append(plan_excluded(person, import_date, leaver_policy))
        elif person.id not in claimed:
            items.append(
                plan_absent(
                    person,
                    leavers,
                    import_date,
                    leaver_policy,
                    released=released.get(person.id, ()),
                    unlink=person.id in unlinked,
                )
            )
    issues = (*found.issues, *found.notes, *written_too_long(records, items))
    return Plan(import_date=import_date, items=tuple(items), issues=issues)


def _outside_managers(
    records: Sequence[SourceEmployee], manager: Sequence[int | None], directory: Sequence[Person]
) -> dict[int, str]:
    """A partial import's records whose Manager Email names a directory person, not a record:
    record index -> that person's id."""
    unresolved = [i for i, m in enumerate(manager) if m is None and records[i].manager_email]
    if not unresolved:
        return {}
    by_email = People(directory).by_email
    return {
        i: p.id for i in unresolved if (p := by_email.get(fold(records[i].manager_email or "")))
    }


def written_too_long(
    records: Sequence[SourceEmployee], items: Sequence[PlannedChange]
) -> Iterator[Issue]:
    """A value longer than the directory keeps, in a record this import writes (a create, an
    update, a rehire or a leaver): an error naming row, field and limit, the same on both
    databases. An unchanged record is already stored, within its limits, so a daily sync of an
    unchanged company checks nothing."""
    unchanged = ChangeKind.UNCHANGED
    return length_issues(
        [
            records[i]
            for item in items
            if item.kind is not unchanged and (i := item.record_index) is not None
        ]
    )


def identify_records(
    records: Sequence[SourceEmployee],
    index: RecordIndex,
    people: People,
    provided: frozenset[str],
    elsewhere: Collection[str] = frozenset(),
) -> Identified:
    """`core.identity.identify`, with only the identifiers the source provides."""
    none = (None,) * len(records)
    return identify(
        records,
        index.email_keys if "email" in provided else none,
        index.employee_keys if "employee_id" in provided else none,
        people,
        elsewhere=elsewhere,
    )


def plan_record(
    ctx: PlanContext,
    index: int,
    rec: SourceEmployee,
    *,
    person: Person | None,
    person_id: str,
    manager_id: str | None,
) -> PlannedChange:
    values = rec.values  # by position: once per record of every import
    end = values[END_DATE_AT]
    if end is not None and end < ctx.import_date:  # type: ignore[operator] # has_left, inlined
        status = PersonStatus.FORMER
    else:
        status = PersonStatus.ACTIVE
    email = values[EMAIL_AT]
    who: str = values[NAME_AT] or "(no name)"  # type: ignore[assignment]
    label = f"{who} <{email}>" if email else who  # item_label, inlined
    changes = _diff(ctx, rec, person, manager_id=manager_id, status=status)
    if person is None:
        kind = ChangeKind.CREATE
    elif person.status is PersonStatus.ACTIVE and status is PersonStatus.FORMER:
        kind = ChangeKind.LEAVE
    elif person.status is not PersonStatus.ACTIVE and status is PersonStatus.ACTIVE:
        kind = ChangeKind.REHIRE
    else:
        kind = ChangeKind.UPDATE if changes else ChangeKind.UNCHANGED
    return PlannedChange(kind, person_id, label, changes, index)


def _diff(
    ctx: PlanContext,
    rec: SourceEmployee,
    person: Person | None,
    *,
    manager_id: str | None,
    status: PersonStatus,
) -> Sequence[FieldChange]:
    if person is None:
        return CreatedChanges(ctx, rec, manager_id, status)
    changes: list[FieldChange] = []
    # A source without IDs never clears one another source set.
    if rec.source_id is not None and (person is None or rec.source_id != person.source_id):
        before_id = person.source_id if person else None
        changes.append(FieldChange("source_id", before_id, rec.source_id))
    after_values = ctx.scalars(rec.values)
    before_values = ctx.scalars(person.values) if person else ctx.nothing
    if after_values != before_values:
        for field, after, before in zip(ctx.fields, after_values, before_values, strict=True):
            if after != before:
                changes.append(FieldChange(field, field_text(before), field_text(after)))
    if ctx.compares_manager:
        before_manager = person.manager_id if person else None
        if manager_id != before_manager:
            changes.append(FieldChange("manager", before_manager, manager_id))
    for name in ctx.demographic_names:
        after = ctx.canon(name, rec.demographics.get(name))
        before = person.demographics.get(name) if person else None
        if after != before:
            changes.append(FieldChange(name, before, after, demographic=True))
    if person is None or status is not person.status:
        before_status = person.status.value if person else None
        changes.append(FieldChange("status", before_status, status.value))
    return tuple(changes)


def item_label(name: str | None, email: str | None) -> str:
    who = name or "(no name)"
    return f"{who} <{email}>" if email else who


def plan_absent(
    person: Person,
    complete: bool,
    import_date: date,
    policy: LeaverPolicy,
    *,
    released: Sequence[tuple[str, str]] = (),
    unlink: bool = False,
) -> PlannedChange:
    """A person the source lacks. `released`: identifiers (field, value) they give up to a
    record of this import; `unlink`: their HRIS record moved to another profile (re-linked)."""
    label = item_label(person.name, person.email)
    given_up = [FieldChange(f, before, None) for f, before in released]
    if unlink:
        given_up.append(FieldChange("source_id", person.source_id, None))
    if not complete or person.status is not PersonStatus.ACTIVE:
        if given_up:
            return PlannedChange(ChangeKind.UPDATE, person.id, label, tuple(given_up))
        return PlannedChange(ChangeKind.UNCHANGED, person.id, label)
    changes: tuple[FieldChange, ...]
    if policy is LeaverPolicy.DEACTIVATED:
        changes = (FieldChange("status", person.status.value, PersonStatus.DEACTIVATED.value),)
    else:
        changes = (
            FieldChange("end_date", field_text(person.end_date), import_date.isoformat()),
            FieldChange("status", person.status.value, PersonStatus.FORMER.value),
        )
    return PlannedChange(ChangeKind.LEAVE, person.id, label, (*given_up, *changes))


def plan_excluded(person: Person, import_date: date, policy: LeaverPolicy) -> PlannedChange:
    """An active person the exclusion rule leaves out: they leave, with the reason."""
    left = plan_absent(person, True, import_date, policy)
    reason = FieldChange(LEAVE_REASON, None, EXCLUDED_REASON)
    return left._replace(changes=(reason, *left.changes))


def directory_after(directory: Sequence[Person], result: Plan) -> list[Person]:
    """The directory as it would be once `result` is applied (for tests and simulations)."""
    by_id: dict[str, Person] = {p.id: p for p in directory}
    for item in result.items:
        if item.changes:
            by_id[item.person_id] = _applied(by_id.get(item.person_id), item)
    return list(by_id.values())


def _applied(person: Person | None, item: PlannedChange) -> Person:
    status = person.status if person else PersonStatus.ACTIVE
    source_id = person.source_id if person else None
    manager_id = person.manager_id if person else None
    values: dict[str, Value] = {}
    demographics: dict[str, str] = dict(person.demographics) if person else {}
    for ch in item.changes:
        if ch.demographic:
            _set_or_drop(demographics, ch.field, ch.after)
        elif ch.field == "manager":
            manager_id = ch.after
        elif ch.field == "status":
            status = PersonStatus(ch.after or PersonStatus.ACTIVE)
        elif ch.field == "source_id":
            source_id = ch.after
        elif ch.field == LEAVE_REASON:
            continue
        elif ch.field in DATE_FIELDS:
            values[ch.field] = date.fromisoformat(ch.after) if ch.after else None
        else:
            values[ch.field] = ch.after
    base = person.values if person else NO_VALUES
    return Person(
        item.person_id, status, source_id, values_of(values, base), manager_id, demographics
    )


def _set_or_drop(target: dict[str, str], key: str, value: str | None) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value
