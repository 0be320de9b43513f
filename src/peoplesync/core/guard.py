"""Guard a plan before it is applied: privacy, mass leavers, a stale source. Pure; never raises.

    privacy       a person already in the directory changes two or more of name, date of birth,
                  email and Employee Id at once; an email or an Employee Id moves from one
                  person to another (a swap, a one-way move, or a new person re-using a former
                  person's); two people swap names (their records may have been swapped)
    mass_leaver   more people would leave than the account allows: more than a share of the
                  active people (20% by default) and at least a count (5 by default)
    stale_source  the provider says its own last sync failed, is paused or is not done

An automated run with findings is blocked; a manual run shows them and needs the admin's explicit
confirmation. A finding names the people and the fields that changed. It shows values only for
name, email and Employee Id, never for a redacted field (nor the date of birth: the email to the
admins says that it changed, not what it was).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from peoplesync.core.changes import FieldChange
from peoplesync.core.employee import Person, PersonStatus, fold
from peoplesync.core.fields import FIELD_LABELS, IDENTITY_FIELDS
from peoplesync.core.identity import employee_key, name_key
from peoplesync.core.plan import DEFAULT_POLICY, ChangeKind, Plan, PlannedChange
from peoplesync.core.policy import DEFAULT_LEAVER_COUNT, DEFAULT_LEAVER_SHARE, SyncPolicy


class GuardReason(enum.StrEnum):
    PRIVACY = "privacy"
    MASS_LEAVER = "mass_leaver"
    STALE_SOURCE = "stale_source"


REASON_LABELS: Mapping[GuardReason, str] = {
    GuardReason.PRIVACY: "Sync blocked to protect employee privacy",
    GuardReason.MASS_LEAVER: "Sync blocked: too many leavers",
    GuardReason.STALE_SOURCE: "Sync blocked: the HRIS data is not up to date",
}
REASON_HINTS: Mapping[GuardReason, str] = {
    GuardReason.PRIVACY: (
        "If you changed these details on purpose, run a manual sync and confirm the changes to "
        "push them through. If not, correct them in the HRIS; the next sync will pick that up."
    ),
    GuardReason.MASS_LEAVER: (
        "Check that these people really left. If they did, run a manual sync and confirm to push "
        "the leavers through; if not, fix the HRIS (or the scope of the connection) first."
    ),
    GuardReason.STALE_SOURCE: (
        "Wait for the provider's sync to finish (or fix it on the provider's side), then run a "
        "manual sync. A manual sync can also push through the data as it is now, if you confirm."
    ),
}

SHOWN_VALUES = frozenset({"name", "email", "employee_id"})  # values a finding may show
MIN_IDENTITY_CHANGES = 2
SOURCE_READY = frozenset({"DONE", "PARTIALLY_SYNCED"})  # Merge: finished (some fields may fail)
MAX_NAMED = 10  # a message names at most this many people, then says how many more


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason to stop. `changes` are (field, before, after) with values only where shown."""

    reason: GuardReason
    code: str  # identity_change, email_moved, email_swapped, mass_leavers, source_not_ready
    message: str
    person_ids: tuple[str, ...] = ()
    people: tuple[str, ...] = ()  # "Name <email>" as the directory knows them now
    fields: tuple[str, ...] = ()
    changes: tuple[tuple[str, str | None, str | None], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason.value,
            "code": self.code,
            "message": self.message,
            "person_ids": list(self.person_ids),
            "people": list(self.people),
            "fields": list(self.fields),
            "changes": [list(c) for c in self.changes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            reason=GuardReason(data["reason"]),
            code=str(data["code"]),
            message=str(data["message"]),
            person_ids=tuple(data.get("person_ids", ())),
            people=tuple(data.get("people", ())),
            fields=tuple(data.get("fields", ())),
            changes=tuple((c[0], c[1], c[2]) for c in data.get("changes", ())),
        )


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the provider says of its own last sync of the employees (Merge's SyncStatus)."""

    status: str  # DONE, PARTIALLY_SYNCED, SYNCING, FAILED, PAUSED, DISABLED
    provider: str = "The HRIS"
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class GuardReport:
    findings: tuple[Finding, ...] = ()

    @property
    def blocked(self) -> bool:
        return bool(self.findings)

    @property
    def reasons(self) -> tuple[GuardReason, ...]:
        found = {f.reason for f in self.findings}
        return tuple(r for r in GuardReason if r in found)

    @property
    def reason(self) -> GuardReason | None:
        """The most important reason (privacy first), for the run's `blocked_reason`."""
        return self.reasons[0] if self.findings else None

    def to_dicts(self) -> list[dict[str, Any]]:
        return [f.to_dict() for f in self.findings]

    @classmethod
    def from_dicts(cls, data: Iterable[Mapping[str, Any]]) -> GuardReport:
        return cls(tuple(Finding.from_dict(d) for d in data))


def guard(
    plan: Plan,
    directory: Sequence[Person],
    *,
    policy: SyncPolicy = DEFAULT_POLICY,
    source_state: SourceState | None = None,
    active: int | None = None,
) -> GuardReport:
    """Every finding of `plan` against `directory` (the directory the plan was made from).

    A plan of only what changed passes the people it touches (and every current holder of an
    email it gives) as `directory`, and the number of `active` people in the whole directory."""
    redacted = policy.redacted
    by_id = {p.id: p for p in directory}
    findings = [
        *_identity_changes(plan.items, by_id, redacted),
        *_moves(plan.items, directory, by_id, "email", redacted),
        *_moves(plan.items, directory, by_id, "employee_id", redacted),
        *_name_swaps(plan.items, by_id, redacted),
    ]
    if active is None:
        active = sum(1 for p in directory if p.status is PersonStatus.ACTIVE)
    leavers = _mass_leavers(plan.items, active, policy.leaver_share, policy.leaver_count)
    if leavers:
        findings.append(leavers)
    if source_state is not None and source_state.status.upper() not in SOURCE_READY:
        findings.append(_stale(source_state))
    return GuardReport(tuple(findings))


# --- privacy: identity changes -------------------------------------------------------------

# A person created, or removed by an undo, changes no identity: they are new, or they go.
_WHOLE_PERSON = frozenset({ChangeKind.CREATE, ChangeKind.REMOVE})


def _identity_changes(
    items: Iterable[PlannedChange], by_id: Mapping[str, Person], redacted: frozenset[str]
) -> list[Finding]:
    findings = []
    for item in items:
        person = by_id.get(item.person_id)
        if person is None or item.kind in _WHOLE_PERSON:
            continue
        changed = [c for c in item.changes if _identity_changed(c, redacted)]
        if len(changed) >= MIN_IDENTITY_CHANGES:
            findings.append(_identity_finding(person, changed, redacted))
    return findings


def _identity_changed(change: FieldChange, redacted: frozenset[str]) -> bool:
    """A known value replaced or cleared; filling in an empty field is no identity change."""
    if change.demographic or change.field not in IDENTITY_FIELDS or change.field in redacted:
        return False
    if change.before is None:
        return False
    if change.after is None:
        return True
    key = _IDENTITY_KEYS.get(change.field, str)
    return key(change.before) != key(change.after)


# How identity values compare: emails without case, names without case or spacing.
_IDENTITY_KEYS: Mapping[str, Callable[[str], object]] = {
    "email": fold,
    "name": name_key,
    "employee_id": employee_key,
}


def _identity_finding(
    person: Person, changed: Sequence[FieldChange], redacted: frozenset[str]
) -> Finding:
    fields = tuple(c.field for c in changed)
    labels = " and ".join(FIELD_LABELS[f] for f in fields)
    shown = tuple(_shown(c, redacted) for c in changed)
    details = "; ".join(_describe(field, before, after) for field, before, after in shown)
    return Finding(
        reason=GuardReason.PRIVACY,
        code="identity_change",
        message=f"{person.describe()}: {labels} change at once ({details}).",
        person_ids=(person.id,),
        people=(person.describe(),),
        fields=fields,
        changes=shown,
    )


def _shown(change: FieldChange, redacted: frozenset[str]) -> tuple[str, str | None, str | None]:
    if change.field in SHOWN_VALUES and change.field not in redacted:
        return (change.field, change.before, change.after)
    return (change.field, None, None)


def _describe(field: str, before: str | None, after: str | None) -> str:
    label = FIELD_LABELS.get(field, field)
    if field not in SHOWN_VALUES:
        return f"{label} changed"
    return f"{label} '{before or ''}' -> '{after or ''}'"


# --- privacy: an email or an Employee Id moving from one person to another ---------------------


def _key(field: str, value: str) -> str | None:
    return fold(value) if field == "email" else employee_key(value)


def _moves(
    items: Iterable[PlannedChange],
    directory: Sequence[Person],
    by_id: Mapping[str, Person],
    field: str,
    redacted: frozenset[str],
) -> list[Finding]:
    """`field` values the plan gives a person while another person holds them now."""
    if field in redacted:
        return []
    owners: dict[str, list[Person]] = {}
    for p in directory:
        value = p.email if field == "email" else p.employee_id
        if value and (key := _key(field, value)):
            owners.setdefault(key, []).append(p)
    if not owners:  # nobody holds one (a first import): no item's changes need reading
        return []
    moves: dict[tuple[str, str], tuple[PlannedChange, str]] = {}  # (from, to) -> item, value
    for item in items:
        for change in item.changes:
            if change.field != field or change.demographic or not change.after:
                continue
            for owner in owners.get(_key(field, change.after) or "", ()):
                if owner.id != item.person_id:
                    moves[(owner.id, item.person_id)] = (item, change.after)
    findings = []
    for (source, target), (item, value) in moves.items():
        if (target, source) in moves:
            if source < target:
                findings.append(_swap_finding(by_id[source], by_id[target], field))
            continue
        findings.append(_move_finding(by_id[source], by_id.get(target), item, field, value))
    return findings


def _value(person: Person, field: str) -> str | None:
    return person.email if field == "email" else person.employee_id


def _swap_finding(first: Person, second: Person, field: str) -> Finding:
    label = FIELD_LABELS[field]
    mine, theirs = _value(first, field), _value(second, field)
    return Finding(
        reason=GuardReason.PRIVACY,
        code=f"{field}_swapped",
        message=f"{first.describe()}: {label.lower() if field == 'email' else label} swapped "
        f"with {second.describe()} ({first.name or 'the first'} would get '{theirs}', "
        f"{second.name or 'the second'} '{mine}'). Each keeps their own record and history; "
        f"only the {label} changes.",
        person_ids=(first.id, second.id),
        people=(first.describe(), second.describe()),
        fields=(field,),
        changes=((field, mine, theirs), (field, theirs, mine)),
    )


def _move_finding(
    owner: Person, target: Person | None, item: PlannedChange, field: str, value: str
) -> Finding:
    label = FIELD_LABELS[field]
    ids: tuple[str, ...] = (owner.id,)
    people: tuple[str, ...] = (owner.describe(),)
    if target is None:
        message = (
            f"A new person ({item.label}) would re-use the {label} '{value}' of "
            f"{owner.describe()} ({owner.status.value}): a new profile, not theirs."
        )
    else:
        ids, people = (*ids, target.id), (*people, target.describe())
        message = f"{target.describe()} would take the {label} '{value}' from {owner.describe()}."
    return Finding(
        reason=GuardReason.PRIVACY,
        code=f"{field}_moved",
        message=message,
        person_ids=ids,
        people=people,
        fields=(field,),
        changes=((field, _value(target, field) if target else None, value),),
    )


def _name_swaps(
    items: Iterable[PlannedChange], by_id: Mapping[str, Person], redacted: frozenset[str]
) -> list[Finding]:
    """Two people taking each other's names: a file matched by email whose emails were swapped
    (without an Employee Id, the file cannot say otherwise)."""
    if "name" in redacted:
        return []
    renamed: dict[str, tuple[str, str]] = {}  # person id -> (name before, name after), as keys
    for item in items:
        if item.kind in _WHOLE_PERSON or item.person_id not in by_id:
            continue
        for c in item.changes:
            if c.field == "name" and not c.demographic and c.before and c.after:
                renamed[item.person_id] = (name_key(c.before), name_key(c.after))
    by_old: dict[str, list[str]] = {}
    for pid, (before, _) in renamed.items():
        by_old.setdefault(before, []).append(pid)
    findings = []
    for pid, (before, after) in sorted(renamed.items()):
        for other in by_old.get(after, ()):
            if other > pid and renamed[other][1] == before:
                first, second = by_id[pid], by_id[other]
                findings.append(
                    Finding(
                        reason=GuardReason.PRIVACY,
                        code="name_swapped",
                        message=f"{first.describe()}: name swapped with {second.describe()}: "
                        "if their emails were swapped in the file, each would get the other's "
                        "record. Check both before you confirm.",
                        person_ids=(first.id, second.id),
                        people=(first.describe(), second.describe()),
                        fields=("name",),
                        changes=(
                            ("name", first.name, second.name),
                            ("name", second.name, first.name),
                        ),
                    )
                )
    return findings


# --- mass leavers and a stale source --------------------------------------------------------


def leaver_limit(active: int, share: float | None, count: int | None) -> float:
    """How many leavers one sync may have before the safeguard flags it: more than `share` of
    the active people and at least `count` are flagged (the larger bound of the two)."""
    share = DEFAULT_LEAVER_SHARE if share is None else share
    count = DEFAULT_LEAVER_COUNT if count is None else count
    return max(share * active, count - 1)


def _mass_leavers(
    items: Sequence[PlannedChange], active: int, share: float | None, count: int | None
) -> Finding | None:
    leavers = [i for i in items if i.kind is ChangeKind.LEAVE]
    share = DEFAULT_LEAVER_SHARE if share is None else share
    count = DEFAULT_LEAVER_COUNT if count is None else count
    if not leavers or len(leavers) <= leaver_limit(active, share, count):
        return None
    percent = f" ({round(100 * len(leavers) / active)}%)" if active else ""
    return Finding(
        reason=GuardReason.MASS_LEAVER,
        code="mass_leavers",
        message=f"{len(leavers)} of {active} active people would leave{percent}; the account "
        f"flags more than {share * 100:g}% and at least {count}: "
        f"{_named([i.label for i in leavers])}.",
        person_ids=tuple(i.person_id for i in leavers),
        people=tuple(i.label for i in leavers),
        fields=("status",),
    )


def _named(labels: Sequence[str]) -> str:
    shown = ", ".join(labels[:MAX_NAMED])
    more = len(labels) - MAX_NAMED
    return f"{shown} and {more} more" if more > 0 else shown


_STALE_WORDS: Mapping[str, str] = {
    "FAILED": "its last sync failed",
    "PAUSED": "its syncing is paused",
    "SYNCING": "its sync is not done yet",
    "DISABLED": "syncing employees is turned off",
}


def _stale(state: SourceState) -> Finding:
    status = state.status.upper()
    what = _STALE_WORDS.get(status, f"its sync is in state {status}, not done")
    detail = f" ({state.detail})" if state.detail else ""
    return Finding(
        reason=GuardReason.STALE_SOURCE,
        code="source_not_ready",
        message=f"{state.provider} reports that {what}{detail}: its data may be out of date.",
    )
