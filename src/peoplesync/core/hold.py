"""Hold a person instead of the company: split a guarded plan into what imports now and what
waits for an admin. Pure; never raises.

    seeds      the people a privacy finding names; the leavers of a mass-leaver finding
    closure    then every change that would break the directory while a held change waits: an
               email, Employee Id or HRIS ID a held person still has, a manager whose creation
               is held, a reporting loop closed through a held person's current manager
    invariant  `problems`: the directory's set rules (unique emails, Employee Ids and HRIS IDs,
               managers who exist, no self-manager, no reporting loop, end not before start).
               The part that imports never adds one; a problem the directory had before is not
               this import's to blame.

A change is held whole, never field by field: each person is either as the directory has them
or as the source says. A new hire whose manager's change is held still gets that manager, as
the directory has them now (the manager exists; only their change waits).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from peoplesync.core.changes import FieldChange
from peoplesync.core.employee import Person, fold
from peoplesync.core.fields import FIELD_LABELS
from peoplesync.core.guard import GuardReason, GuardReport
from peoplesync.core.identity import employee_key
from peoplesync.core.plan import ChangeKind, Plan, PlannedChange, directory_after

HOLDABLE = frozenset({GuardReason.PRIVACY, GuardReason.MASS_LEAVER})
DEPENDENCY = "dependency"  # a hold's reason when it waits for another held change


@dataclass(frozen=True, slots=True)
class Hold:
    """One held change: why (a guard reason, or `dependency`) and in words."""

    item: PlannedChange
    reason: str
    why: str


@dataclass(frozen=True, slots=True)
class Split:
    imported: Plan  # the plan without the held changes: what imports now
    held: tuple[Hold, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """A broken set rule of the directory: which rule, the people, and in words."""

    rule: str  # duplicate_<field>, manager_missing, self_manager, reporting_loop, end_before_start
    people: frozenset[str]
    message: str
    field: str  # the field a change must touch to be blamed for it


def holdable(report: GuardReport) -> bool:
    """Whether every finding can be held person by person (a stale source cannot)."""
    return report.blocked and set(report.reasons) <= HOLDABLE


def seeds(plan: Plan, report: GuardReport) -> dict[str, tuple[str, str]]:
    """The people the findings hold, each with its reason and the finding's message."""
    leavers = {i.person_id for i in plan.items if i.kind is ChangeKind.LEAVE}
    held: dict[str, tuple[str, str]] = {}
    for finding in report.findings:
        ids = finding.person_ids
        if finding.reason is GuardReason.MASS_LEAVER:
            ids = tuple(p for p in ids if p in leavers)
        for person_id in ids:
            held.setdefault(person_id, (finding.reason.value, finding.message))
    return held


def split(plan: Plan, directory: Sequence[Person], held: Mapping[str, tuple[str, str]]) -> Split:
    """Hold `held` (person id -> reason, why) and every change that depends on one of them.

    `directory` is the whole directory the plan was made against."""
    changed = {i.person_id: i for i in plan.changed()}
    holds = {pid: Hold(changed[pid], r, why) for pid, (r, why) in held.items() if pid in changed}
    known = {(p.rule, p.people) for p in problems(directory)}
    grew = True
    while grew:
        grew = False
        rest = tuple(i for pid, i in changed.items() if pid not in holds)
        after = directory_after(directory, Plan(plan.import_date, rest))
        moving = {i.person_id: i for i in rest}
        for problem in problems(after):
            if (problem.rule, problem.people) in known:
                continue
            for pid in sorted(problem.people):
                item = moving.get(pid)
                if item is not None and pid not in holds and _touches(item, problem.field):
                    holds[pid] = Hold(
                        item, DEPENDENCY, f"Waits for a held change: {problem.message}"
                    )
                    grew = True
    imported = tuple(i for i in plan.items if i.person_id not in holds)
    return Split(
        Plan(plan.import_date, imported, plan.issues, plan.unlisted),
        tuple(holds[i.person_id] for i in plan.items if i.person_id in holds),
    )


def _touches(item: PlannedChange, field: str) -> bool:
    return item.kind is ChangeKind.CREATE or any(
        c.field == field and not c.demographic for c in item.changes
    )


# --- the directory's invariant ---------------------------------------------------------------


def problems(directory: Iterable[Person]) -> list[Problem]:
    """Every broken set rule of `directory` (empty: the directory is valid)."""
    people = list(directory)
    by_id = {p.id: p for p in people}
    found = [
        *_duplicates(people, "email", lambda p: fold(p.email) if p.email else None),
        *_duplicates(people, "employee_id", lambda p: employee_key(p.employee_id)),
        *_duplicates(people, "source_id", lambda p: p.source_id),
        *_managers(people, by_id),
        *_loops(people, by_id),
    ]
    for p in people:
        if p.start_date and p.end_date and p.end_date < p.start_date:
            found.append(
                Problem(
                    "end_before_start",
                    frozenset({p.id}),
                    f"{p.describe()} ends before they start.",
                    "end_date",
                )
            )
    return found


def _duplicates(
    people: Sequence[Person], field: str, key_of: Callable[[Person], str | None]
) -> Iterator[Problem]:
    holders: dict[str, list[Person]] = {}
    for p in people:
        if (key := key_of(p)) is not None:
            holders.setdefault(key, []).append(p)
    label = FIELD_LABELS.get(field, "HRIS ID")
    for key, group in holders.items():
        if len(group) > 1:
            named = " and ".join(p.describe() for p in group)
            yield Problem(
                f"duplicate_{field}",
                frozenset(p.id for p in group),
                f"the {label} '{key}' would belong to {named}.",
                field,
            )


def _managers(people: Sequence[Person], by_id: Mapping[str, Person]) -> Iterator[Problem]:
    for p in people:
        if p.manager_id is None:
            continue
        if p.manager_id == p.id:
            yield Problem(
                "self_manager",
                frozenset({p.id}),
                f"{p.describe()} would manage themself.",
                "manager",
            )
        elif p.manager_id not in by_id:
            yield Problem(
                "manager_missing",
                frozenset({p.id}),
                f"{p.describe()} would report to a new person whose creation is held.",
                "manager",
            )


def _loops(people: Sequence[Person], by_id: Mapping[str, Person]) -> Iterator[Problem]:
    """Each reporting loop once (walking up from each person, colouring as it goes)."""
    done: set[str] = set()
    for start in people:
        path: list[str] = []
        on_path: set[str] = set()
        at: str | None = start.id
        while at is not None and at not in done and at in by_id:
            if at in on_path:
                loop = path[path.index(at) :]
                if len(loop) > 1:
                    chain = " -> ".join(by_id[i].describe() for i in (*loop, loop[0]))
                    yield Problem(
                        "reporting_loop", frozenset(loop), f"a reporting loop: {chain}.", "manager"
                    )
                break
            path.append(at)
            on_path.add(at)
            at = by_id[at].manager_id
        done.update(path)


# --- a held change against the directory later ----------------------------------------------


def stale_fields(item: PlannedChange, person: Person | None) -> list[str]:
    """The fields `person` (the directory now) no longer has as the held change found them;
    a create whose person now exists is stale as a whole. Empty: the change still applies."""
    if item.kind is ChangeKind.CREATE:
        return ["(the person)"] if person is not None else []
    if person is None:
        return ["(the person)"]
    return [c.field for c in item.changes if current_text(person, c) != c.before]


def current_text(person: Person, change: FieldChange) -> str | None:
    """`person`'s value of the change's field, as a plan writes it (dates ISO, a manager by
    id, a status by value)."""
    if change.demographic:
        return person.demographics.get(change.field)
    if change.field == "manager":
        return person.manager_id
    if change.field == "status":
        return person.status.value
    if change.field == "source_id":
        return person.source_id
    value = person.value(change.field)
    return value if value is None or isinstance(value, str) else value.isoformat()


def fingerprint(item: PlannedChange) -> str:
    """What a change says, to know it again in a later sync: the person (a new one by the HRIS
    ID or email it brings; its id is new in every plan), the kind and every value it sets; as a
    digest, so that it keeps no value (redaction purges the values a held change stores)."""
    after = {c.field: c.after for c in item.changes}
    who = item.person_id
    if item.kind is ChangeKind.CREATE:
        who = "new:" + (after.get("source_id") or fold(after.get("email") or item.label))
    sets = sorted(
        [c.field, c.after, c.demographic]
        for c in item.changes
        if not (item.kind is ChangeKind.CREATE and c.field == "manager")
    )
    said = json.dumps([who, item.kind.value, sets], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(said.encode()).hexdigest()
