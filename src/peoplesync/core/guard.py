"""Guard a plan before it is applied: privacy, mass leavers, a stale source. Pure; never raises.

    privacy       a person already in the directory changes two or more of name, date of birth
                  and email at once, or an email moves from one person to another (a swap, a
                  one-way move, or a new record taking a current person's email)
    mass_leaver   more people would leave than the account allows (a share of the active
                  people, 20% by default, or a count)
    stale_source  the provider says its own last sync failed, is paused or is not done

An automated run with findings is blocked; a manual run shows them and needs the admin's explicit
confirmation. A finding names the people and the fields that changed. It shows values only for
name and email, never for a redacted field (nor the date of birth: the email to the admins says
that it changed, not what it was).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from peoplesync.core.employee import Person, PersonStatus, fold
from peoplesync.core.fields import FIELD_LABELS, IDENTITY_FIELDS
from peoplesync.core.plan import DEFAULT_POLICY, ChangeKind, FieldChange, Plan, PlannedChange
from peoplesync.core.policy import DEFAULT_LEAVER_SHARE, SyncPolicy


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

SHOWN_VALUES = frozenset({"name", "email"})  # fields whose before/after a finding may show
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
        *_email_moves(plan.items, directory, by_id, redacted),
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


def _identity_changes(
    items: Iterable[PlannedChange], by_id: Mapping[str, Person], redacted: frozenset[str]
) -> list[Finding]:
    findings = []
    for item in items:
        person = by_id.get(item.person_id)
        if person is None or item.kind is ChangeKind.CREATE:
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
    if change.field == "email":
        return fold(change.before) != fold(change.after)
    if change.field == "name":
        return _name_key(change.before) != _name_key(change.after)
    return change.before != change.after


def _name_key(name: str) -> str:
    return " ".join(fold(name).split())


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


# --- privacy: an email moving from one person to another -----------------------------------


def _email_moves(
    items: Iterable[PlannedChange],
    directory: Sequence[Person],
    by_id: Mapping[str, Person],
    redacted: frozenset[str],
) -> list[Finding]:
    if "email" in redacted:
        return []
    owners = {p.email_key: p for p in directory if p.email_key}
    moves: dict[tuple[str, str], tuple[PlannedChange, str]] = {}  # (from, to) -> item, email
    for item in items:
        for change in item.changes:
            if change.field != "email" or change.demographic or not change.after:
                continue
            owner = owners.get(fold(change.after))
            if owner is not None and owner.id != item.person_id:
                moves[(owner.id, item.person_id)] = (item, change.after)
    findings = []
    for (source, target), (item, email) in moves.items():
        if (target, source) in moves:
            if source < target:
                findings.append(_swap_finding(by_id[source], by_id[target]))
            continue
        findings.append(_move_finding(by_id[source], by_id.get(target), item, email))
    return findings


def _swap_finding(first: Person, second: Person) -> Finding:
    return Finding(
        reason=GuardReason.PRIVACY,
        code="email_swapped",
        message=f"{first.describe()} and {second.describe()} would swap email addresses.",
        person_ids=(first.id, second.id),
        people=(first.describe(), second.describe()),
        fields=("email",),
        changes=(("email", first.email, second.email), ("email", second.email, first.email)),
    )


def _move_finding(owner: Person, target: Person | None, item: PlannedChange, email: str) -> Finding:
    ids: tuple[str, ...] = (owner.id,)
    people: tuple[str, ...] = (owner.describe(),)
    who = f"A new person ({item.label})"
    if target is not None:
        who = target.describe()
        ids, people = (*ids, target.id), (*people, target.describe())
    return Finding(
        reason=GuardReason.PRIVACY,
        code="email_moved",
        message=f"{who} would take the email address {email} of {owner.describe()}.",
        person_ids=ids,
        people=people,
        fields=("email",),
        changes=(("email", target.email if target else None, email),),
    )


# --- mass leavers and a stale source --------------------------------------------------------


def leaver_limit(active: int, share: float | None, count: int | None) -> float:
    """How many leavers one sync may have: a count when set, else a share of the active."""
    if count is not None:
        return float(count)
    return (DEFAULT_LEAVER_SHARE if share is None else share) * active


def _mass_leavers(
    items: Sequence[PlannedChange], active: int, share: float | None, count: int | None
) -> Finding | None:
    leavers = [i for i in items if i.kind is ChangeKind.LEAVE]
    if not leavers or len(leavers) <= leaver_limit(active, share, count):
        return None
    allowed = (
        f"at most {count}"
        if count is not None
        else f"at most {round((DEFAULT_LEAVER_SHARE if share is None else share) * 100)}% "
        "of active people"
    )
    percent = f" ({round(100 * len(leavers) / active)}%)" if active else ""
    return Finding(
        reason=GuardReason.MASS_LEAVER,
        code="mass_leavers",
        message=f"{len(leavers)} of {active} active people would leave{percent}; the account "
        f"allows {allowed} in one sync: {_named([i.label for i in leavers])}.",
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
