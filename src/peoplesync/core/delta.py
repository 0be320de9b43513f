"""Validate and plan only what changed, with the result a plan of the whole company would give.

An incremental fetch brings the records that changed. The rest of the company sits in the mirror,
already in step with the directory: the last sync from this connection was applied (or had nothing
to change), nothing else has changed the directory since, and the same fields are compared. Then
only these can differ from what that sync left:

    validate   record rules for the changed records; duplicates among everyone sharing a changed
               record's email or employee ID; the managers of changed records, and the records
               whose manager was deleted; reporting loops through a changed record (found by
               walking up); the company-wide count of active employees without a manager
    plan       each changed record against the person it matches; the person of a deleted record
               leaves; the unchanged rest is counted, not listed
    guard      against the people the plan touches, with the company's count of active people

The rest of the company is reached through `Company`, a handful of indexed look-ups (the store
answers them with SQL, `MemoryCompany` from lists). Where a premise does not hold (a manager named
by email, a record without a source ID, a manager whose record has no person), the planners
return None and the caller plans the whole company.

Record order is source-ID order: the mirror hands a whole company over in that order too, so
issues that name records in order name them alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from peoplesync.core.changes import DemographicCanon, PlanContext
from peoplesync.core.emails import RESERVED_TLDS
from peoplesync.core.employee import (
    LeaverPolicy,
    Person,
    PersonStatus,
    SourceEmployee,
    SourceSnapshot,
    fold,
    has_left,
)
from peoplesync.core.identity import People
from peoplesync.core.index import RecordIndex
from peoplesync.core.issues import Issue, ValidationReport
from peoplesync.core.perf import gc_paused
from peoplesync.core.plan import (
    DEFAULT_POLICY,
    NewIds,
    Plan,
    identify_records,
    plan_absent,
    plan_record,
    written_too_long,
)
from peoplesync.core.policy import SyncPolicy
from peoplesync.core.validate import (
    MAX_NAMED,
    check_manager,
    duplicates,
    employee_id_key,
    first_lowest,
    loop_issue,
    record_issues,
    reserved_email,
    tops_issue,
)


class Company(Protocol):
    """The whole company (the mirror, after this fetch) and the directory, by indexed look-up."""

    def records(self, source_ids: Collection[str]) -> Mapping[str, SourceEmployee]:
        """The records with these source IDs (those that exist)."""
        ...

    def managers(self, source_ids: Collection[str]) -> Mapping[str, str | None]:
        """For each of these source IDs that has a record: its manager's source ID (None when
        it names none). Cheaper than `records` where only the tree is needed."""
        ...

    def records_sharing_emails(self, keys: Collection[str]) -> Sequence[SourceEmployee]:
        """Every record whose folded email is one of `keys` and is carried by another record."""
        ...

    def records_sharing_employee_ids(self, ids: Collection[str]) -> Sequence[SourceEmployee]:
        """Every record whose stripped employee ID is one of `ids` and is carried by another
        record."""
        ...

    def records_managed_by(self, source_ids: Collection[str]) -> Sequence[SourceEmployee]:
        """Every record whose manager is one of these source IDs."""
        ...

    def records_on_domains(self, tlds: Collection[str]) -> Sequence[SourceEmployee]:
        """Every record whose folded email ends in one of these top-level domains (".local"),
        or has none ("@localhost"): the few whose warning stays while they are unchanged."""
        ...

    def tops(self, today: date) -> Collection[str]:
        """The source IDs of the active records (no end date on or before `today`) that name no
        manager."""
        ...

    def people(
        self, source_ids: Collection[str], email_keys: Collection[str]
    ) -> tuple[Mapping[str, Person], Mapping[str, Person]]:
        """The directory's people with these source IDs (by source ID), and those holding these
        folded emails (by folded email)."""
        ...

    def people_with_employee_ids(self, ids: Collection[str]) -> Sequence[Person]:
        """The directory's people whose trimmed Employee Id is one of `ids`."""
        ...

    def person_ids(self, source_ids: Collection[str]) -> Mapping[str, str]:
        """The id of the directory's person with each of these source IDs (those that have one):
        enough for a manager, whose own record did not change."""
        ...

    def spellings(self, values: Collection[tuple[str, str]]) -> Iterable[tuple[str, str]]:
        """For (demographic, value) pairs: the directory's (demographic, spelling) pairs whose
        spelling folds to the same as a value."""
        ...

    def people_count(self) -> int: ...

    def active_people(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed in the source since the directory was last in step with it."""

    snapshot: SourceSnapshot  # the changed records (and those whose end date has come), mirrored
    deleted: frozenset[str]  # source IDs the source no longer has


@dataclass(frozen=True, slots=True)
class ChangePlan:
    plan: Plan
    people: tuple[Person, ...]  # the people the plan touches, and who holds the emails it gives
    active: int  # active people in the whole directory


def ordered(records: Iterable[SourceEmployee]) -> tuple[SourceEmployee, ...]:
    """Records in source-ID order: the order of a whole company read from the mirror."""
    return tuple(sorted(records, key=lambda r: r.source_id or ""))


def plannable(changes: Changes) -> bool:
    """Whether these changes can be planned alone: every record has a source ID and names its
    manager by source ID (as Merge does)."""
    return all(
        r.source_id and (r.manager_source_id or not r.manager_email)
        for r in changes.snapshot.records
    )


def validate_changes(changes: Changes, company: Company, *, today: date) -> ValidationReport:
    """The issues a validation of the whole company would find (in another order)."""
    with gc_paused():
        return ValidationReport(tuple(_issues(changes, company, today)))


def _issues(changes: Changes, company: Company, today: date) -> Iterator[Issue]:
    snapshot = changes.snapshot
    records = ordered(snapshot.records)
    for rec in records:
        yield from record_issues(rec, snapshot.provided, today)
    mine = {r.source_id for r in records}
    for rec in ordered(company.records_on_domains(RESERVED_TLDS)):
        if rec.source_id not in mine and (warning := reserved_email(rec)) is not None:
            yield warning  # an unchanged record's warning: a whole validation gives it too
    emails = {key for r in records if (key := r.email_key)}
    yield from duplicates(
        ordered(company.records_sharing_emails(emails)), "email", lambda i, r: r.email_key
    )
    ids = {key for r in records if (key := employee_id_key(r.employee_id))}
    yield from duplicates(
        ordered(company.records_sharing_employee_ids(ids)),
        "employee_id",
        lambda i, r: employee_id_key(r.employee_id),
    )
    if "manager" in snapshot.provided:
        yield from _hierarchy(records, changes.deleted, company, today)


def _hierarchy(
    records: Sequence[SourceEmployee], deleted: frozenset[str], company: Company, today: date
) -> Iterator[Issue]:
    changed = {r.source_id or "": r for r in records}
    up = _ancestors(records, company)
    missing = {m for sid, m in up.items() if sid in changed and m and m not in up}
    orphans = [r for r in company.records_managed_by(deleted) if r.source_id not in changed]
    missing.update(m for r in orphans if (m := r.manager_source_id))
    known = company.people(missing, ())[0] if missing else {}
    parent: dict[str, str | None] = {}
    for sid, manager in up.items():
        target = manager if manager in up else None
        if sid in changed:
            named = known.get(manager) if manager and target is None else None
            target, issue = check_manager(changed[sid], sid, target, named)
            if issue:
                yield issue
        parent[sid] = None if target == sid else target
    for rec in ordered(orphans):
        m = rec.manager_source_id
        _, issue = check_manager(rec, rec.source_id, None, known.get(m) if m else None)
        if issue:
            yield issue
    yield from _loops(records, parent, company)
    top_ids = sorted(company.tops(today))
    if len(top_ids) >= 2:
        first = company.records(top_ids[:MAX_NAMED])
        yield tops_issue(len(top_ids), [first[sid] for sid in top_ids[:MAX_NAMED]])


def _ancestors(records: Sequence[SourceEmployee], company: Company) -> dict[str, str | None]:
    """The changed records and every record above them, each with its manager's source ID,
    looked up one level at a time."""
    up = {r.source_id or "": r.manager_source_id for r in records}
    level = list(up)
    while level:
        wanted = {m for sid in level if (m := up[sid]) and m not in up}
        found = company.managers(wanted)
        up.update(found)
        level = list(found)
    return up


def _loops(
    records: Sequence[SourceEmployee],
    parent: Mapping[str, str | None],
    company: Company,
) -> Iterator[Issue]:
    """Each reporting loop through a changed record once (a loop among unchanged records would
    have blocked the sync that left the directory in step)."""
    done: set[str] = set()
    for rec in records:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = rec.source_id
        while node is not None and node not in done and node not in on_path:
            on_path.add(node)
            path.append(node)
            node = parent.get(node)
        if node is not None and node in on_path:
            loop = path[path.index(node) :]
            mine = {r.source_id: r for r in records if r.source_id in on_path}
            named = {**company.records(set(loop) - mine.keys()), **mine}
            yield loop_issue(named.__getitem__, first_lowest(loop))
        done.update(path)


def plan_changes(
    changes: Changes,
    company: Company,
    *,
    import_date: date,
    policy: SyncPolicy = DEFAULT_POLICY,
    new_id: Callable[[], str] | None = None,
) -> ChangePlan | None:
    """The changed part of the whole company's plan, the rest counted; None when it cannot be
    planned alone (see the module's docstring)."""
    if policy.partial:  # nobody leaves, not even the person of a deleted record
        changes = replace(changes, deleted=frozenset())
    with gc_paused():
        return _plan_changes(
            changes, company, import_date, policy.leaver_policy, new_id or NewIds()
        )


def _plan_changes(
    changes: Changes,
    company: Company,
    import_date: date,
    leaver_policy: LeaverPolicy,
    new_id: Callable[[], str],
) -> ChangePlan | None:
    snapshot = changes.snapshot
    records = ordered(snapshot.records)
    index = RecordIndex.build(records)
    mine = set(index.by_source)
    managers = {m for r in records if (m := r.manager_source_id) and m not in mine}
    keys = {k for k in index.email_keys if k}
    by_source, by_email = company.people(mine | changes.deleted, keys)
    ids = {k for k in index.employee_keys if k} if "employee_id" in snapshot.provided else set()
    by_employee = company.people_with_employee_ids(ids) if ids else ()
    manager_people = company.person_ids(managers)
    loaded = {p.id: p for p in (*by_source.values(), *by_email.values(), *by_employee)}
    # People holding a changed record's identifier who are some unchanged record's person.
    elsewhere = set(company.managers({s for p in loaded.values() if (s := p.source_id)}))
    elsewhere -= mine
    found = identify_records(
        records, index, People(loaded.values()), snapshot.provided, elsewhere=elsewhere
    )
    matched = found.people
    person_ids = [p.id if p else new_id() for p in matched]
    manager_records = company.managers(managers)  # those in the company
    manager_ids: list[str | None] = []
    for rec in records:
        m = rec.manager_source_id
        if m is None or (m not in mine and m not in manager_records):
            manager_ids.append(None)  # no manager, or one not in the company
        elif m in mine:
            manager_ids.append(person_ids[index.by_source[m]])
        elif m in manager_people:
            manager_ids.append(manager_people[m])
        else:
            return None  # an unchanged record with no person: the directory is not in step
    pairs = {(name, value) for r in records for name, value in r.demographics.items()}
    ctx = PlanContext(snapshot, DemographicCanon(company.spellings(pairs)), import_date)
    items = [
        plan_record(ctx, i, rec, person=matched[i], person_id=person_ids[i], manager_id=manager)
        for i, (rec, manager) in enumerate(zip(records, manager_ids, strict=True))
    ]
    claimed = {p.id for p in matched if p}
    unlinked = {p.id for p in found.relinked.values()}
    absent = {p.id: p for sid in changes.deleted if (p := by_source.get(sid)) is not None}
    absent.update((pid, loaded[pid]) for pid in (*found.released, *unlinked))
    for pid in sorted(absent.keys() - claimed):
        item = plan_absent(
            absent[pid],
            True,
            import_date,
            leaver_policy,
            released=found.released.get(pid, ()),
            unlink=pid in unlinked,
        )
        if item.changes:
            items.append(item)
    creates = sum(1 for p in matched if p is None)
    unlisted = company.people_count() + creates - len(items)
    result = Plan(
        import_date=import_date,
        items=tuple(items),
        issues=(*found.issues, *found.notes, *written_too_long(records, items)),
        unlisted=unlisted,
    )
    return ChangePlan(result, tuple(loaded.values()), company.active_people())


def on_domains(email_key: str | None, tlds: Collection[str]) -> bool:
    """Whether a folded email's domain ends in one of `tlds` or has no top-level domain."""
    if not email_key:
        return False
    domain = email_key.rpartition("@")[2]
    return "." not in domain or domain.rpartition(".")[2] in tlds


class MemoryCompany:
    """`Company` answered from a whole company's records and a directory held in memory (for
    tests, and to show what each look-up means)."""

    def __init__(self, records: Iterable[SourceEmployee], directory: Iterable[Person]) -> None:
        self._records = {r.source_id: r for r in records if r.source_id}
        self._people = list(directory)

    def records(self, source_ids: Collection[str]) -> Mapping[str, SourceEmployee]:
        return {s: self._records[s] for s in source_ids if s in self._records}

    def managers(self, source_ids: Collection[str]) -> Mapping[str, str | None]:
        found = self.records(source_ids)
        return {s: r.manager_source_id for s, r in found.items()}

    def records_sharing_emails(self, keys: Collection[str]) -> Sequence[SourceEmployee]:
        return _sharing([(r.email_key, r) for r in self._records.values()], keys)

    def records_sharing_employee_ids(self, ids: Collection[str]) -> Sequence[SourceEmployee]:
        carried = [(employee_id_key(r.employee_id), r) for r in self._records.values()]
        return _sharing(carried, ids)

    def records_managed_by(self, source_ids: Collection[str]) -> Sequence[SourceEmployee]:
        return [r for r in self._records.values() if r.manager_source_id in source_ids]

    def records_on_domains(self, tlds: Collection[str]) -> Sequence[SourceEmployee]:
        return [r for r in self._records.values() if on_domains(r.email_key, tlds)]

    def tops(self, today: date) -> Collection[str]:
        return [
            sid
            for sid, r in self._records.items()
            if not r.manager_source_id and not r.manager_email
            if not has_left(r.end_date, today)
        ]

    def people(
        self, source_ids: Collection[str], email_keys: Collection[str]
    ) -> tuple[Mapping[str, Person], Mapping[str, Person]]:
        by_source = {s: p for p in self._people if (s := p.source_id) is not None}
        by_email = {k: p for p in self._people if (k := p.email_key) is not None}
        return (
            {s: by_source[s] for s in source_ids if s in by_source},
            {k: by_email[k] for k in email_keys if k in by_email},
        )

    def people_with_employee_ids(self, ids: Collection[str]) -> Sequence[Person]:
        return [p for p in self._people if employee_id_key(p.employee_id) in ids]

    def person_ids(self, source_ids: Collection[str]) -> Mapping[str, str]:
        return {s: p.id for p in self._people if (s := p.source_id) is not None and s in source_ids}

    def spellings(self, values: Collection[tuple[str, str]]) -> Iterable[tuple[str, str]]:
        wanted = {(name, fold(value)) for name, value in values}
        for p in self._people:
            for name, value in p.demographics.items():
                if (name, fold(value)) in wanted:
                    yield name, value

    def people_count(self) -> int:
        return len(self._people)

    def active_people(self) -> int:
        return sum(1 for p in self._people if p.status is PersonStatus.ACTIVE)


def _sharing(
    carried: Sequence[tuple[str | None, SourceEmployee]], keys: Collection[str]
) -> list[SourceEmployee]:
    times = Counter(key for key, _ in carried)
    return [r for key, r in carried if key in keys and times[key] > 1]
