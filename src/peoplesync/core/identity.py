"""Who a record is: the identity rules, in one place, for both sources and both planners.

A record's identifiers are its source ID (Merge's remote id; a file has none), its Employee Id
(trimmed) and its email (case-insensitive). A record is matched to a person of the directory:

    1. by source ID. The HRIS says who the record is; its Employee Id or email pointing at
       someone else is a move the privacy safeguard flags (core/guard.py), not a guess.
       Re-linking: when the person tied to the record is deactivated and no longer carries the
       record's email (or, for a record without one, its Employee Id), and another profile
       (tied to no record of this import) carries it without contradicting the other, the
       record moves to that profile (the seed's duplicate clean-up).
    2. otherwise by Employee Id, then by email, among the people no record claimed by source ID.
       When the Employee Id points at one person and the email at another, the identifiers are
       swapped: an error that blocks the import, naming both people. An email never matches a
       person whose Employee Id is another one.
       A former or deactivated person (or one tied to another HRIS record) is taken only when
       the identifiers both carry agree, and, with only one in common, the name agrees too; else
       the record is a new person, and the review says whose identifier it re-uses.

An identifier the record carries that a person outside the import still holds: an active holder
blocks the import (the admin decides); a former or deactivated one gives an email up (the plan
clears it on them, and says so) and keeps an Employee Id (not unique in the directory: the
active holder is matched first). Pure: both planners (core/plan.py, core/delta.py) call `identify`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field

from peoplesync.core.employee import (
    EMAIL_AT,
    EMPLOYEE_ID_AT,
    NAME_AT,
    Person,
    PersonStatus,
    SourceEmployee,
    fold,
)
from peoplesync.core.issues import Issue, Severity

ACTIVE = PersonStatus.ACTIVE
DEACTIVATED = PersonStatus.DEACTIVATED
_BLOCKED = Person("", ACTIVE)  # a record with swapped identifiers, while its holders are checked


def employee_key(value: str | None) -> str | None:
    """The Employee Id as matched: trimmed, case kept (an empty one is none)."""
    return value.strip() or None if value else None


def name_key(name: str) -> str:
    """A name as compared: case, accents' case and spacing aside."""
    return " ".join(fold(name).split())


def _rank(person: Person) -> tuple[bool, str]:
    """Among people sharing an Employee Id: the active first, then by id (a total order, so that
    the full and the incremental planner pick alike)."""
    return (person.status is not ACTIVE, person.id)


class People:
    """The directory's people by identifier (all of it, or the part an incremental plan loads).

    An Employee Id is not unique in the directory (a former person may keep one a new hire
    re-uses): `first_by_employee` holds its best holder, `shared_employee` every holder of the
    few that several people hold, best first."""

    __slots__ = ("by_email", "by_source", "first_by_employee", "shared_employee")

    def __init__(self, people: Iterable[Person]) -> None:
        # Comprehensions by position, not a loop of statements: this runs once per person of
        # the company (100,000 in the benchmark).
        everyone = people if isinstance(people, list | tuple) else list(people)
        self.by_source = {s: p for p in everyone if (s := p.source_id)}
        self.by_email = {
            e.strip().casefold(): p  # type: ignore[union-attr] # core.employee.fold
            for p in everyone
            if (e := p.values[EMAIL_AT])
        }
        held = [
            (k, p)
            for p in everyone
            if (e := p.values[EMPLOYEE_ID_AT]) and (k := e.strip())  # type: ignore[union-attr]
        ]
        first = dict(held)
        shared: dict[str, list[Person]] = {}
        if len(first) != len(held):  # some Employee Id is held twice: rank its holders
            for key, p in held:
                shared.setdefault(key, []).append(p)
            shared = {k: sorted(ps, key=_rank) for k, ps in shared.items() if len(ps) > 1}
            for key, holders in shared.items():
                first[key] = holders[0]
        self.first_by_employee = first
        self.shared_employee = shared

    def employee_holders(self, key: str) -> Sequence[Person]:
        """Everyone holding this Employee Id, best first."""
        shared = self.shared_employee.get(key)
        if shared is not None:
            return shared
        one = self.first_by_employee.get(key)
        return (one,) if one is not None else ()


@dataclass(slots=True)
class Identified:
    """Who each record is, and what that means beyond the records."""

    people: list[Person | None]  # per record: its person, or None (a new person)
    issues: list[Issue] = field(default_factory=list)  # errors: swapped or taken identifiers
    notes: list[Issue] = field(default_factory=list)  # warnings: re-used, re-linked
    # People outside the import who give up an identifier: person id -> (field, before) pairs.
    released: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    relinked: dict[str, Person] = field(default_factory=dict)  # person id -> profile it replaces


def identify(
    records: Sequence[SourceEmployee],
    email_keys: Sequence[str | None],
    employee_keys: Sequence[str | None],
    people: People,
    *,
    elsewhere: Collection[str] = frozenset(),
) -> Identified:
    """Match every record (see the module's docstring). `elsewhere`: source IDs of records
    outside `records` that are in the company (an incremental plan's unchanged records): their
    people are claimed."""
    match = _Matching(records, email_keys, employee_keys, people, elsewhere)
    pending = match.by_source_id()
    match.by_other_identifiers(pending)
    _holders(records, email_keys, employee_keys, people, match.out, match.free)
    if match.swapped:
        result = match.out.people
        for i, p in enumerate(result):
            if p is _BLOCKED:
                result[i] = None
    return match.out


class _Matching:
    """One `identify` call's state: who is claimed so far."""

    def __init__(
        self,
        records: Sequence[SourceEmployee],
        email_keys: Sequence[str | None],
        employee_keys: Sequence[str | None],
        people: People,
        elsewhere: Collection[str],
    ) -> None:
        self.records, self.email_keys, self.employee_keys = records, email_keys, employee_keys
        self.people, self.elsewhere = people, elsewhere
        self.out = Identified([None] * len(records))
        self.claimed: set[str] = set()
        self.sources = {sid for r in records if (sid := r.source_id)}
        self.unlinked: set[str] = set()  # people whose record moved to another profile
        self.swapped = False

    def free(self, p: Person) -> bool:
        """Not claimed by a record of this import (nor by an unchanged one)."""
        if p.id in self.claimed:
            return False
        s = p.source_id
        return p.id in self.unlinked or not (s and (s in self.sources or s in self.elsewhere))

    def by_source_id(self) -> list[int]:
        """Step 1; returns the records left for step 2."""
        by_source, out = self.people.by_source, self.out
        found = [by_source.get(s) if (s := r.source_id) else None for r in self.records]
        relinks = [i for i, p in enumerate(found) if p is not None and p.status is DEACTIVATED]
        if relinks:
            taken = {p.id for p in found if p is not None}
            for i in relinks:
                tied = found[i]
                assert tied is not None
                other = _relink(
                    tied,
                    mkey=self.email_keys[i],
                    ekey=self.employee_keys[i],
                    people=self.people,
                    sources=self.sources,
                    elsewhere=self.elsewhere,
                )
                if other is not None and other.id not in taken:
                    out.relinked[other.id] = tied
                    out.notes.append(_relinked(self.records[i], other, tied))
                    self.unlinked.add(tied.id)
                    taken.add(other.id)
                    found[i] = other
        out.people[:] = found
        self.claimed.update(p.id for p in found if p is not None)
        return [i for i, p in enumerate(found) if p is None]

    def by_other_identifiers(self, pending: Sequence[int]) -> None:
        """Step 2: by Employee Id, then email; swapped identifiers are issues."""
        free, by_email, holders = self.free, self.people.by_email, self.people.employee_holders
        picks: list[tuple[int, Person, bool]] = []  # record, person, through the Employee Id
        blocked: list[int] = []
        involved: set[str] = set()
        for i in pending:
            ekey, mkey = self.employee_keys[i], self.email_keys[i]
            by_id = _by_employee(holders(ekey), mkey, free) if ekey else None
            by_mail = by_email.get(mkey) if mkey else None
            if by_mail is not None and not free(by_mail):
                by_mail = None
            if by_id is not None and by_mail is not None and by_id.id != by_mail.id:
                self.out.issues.append(_swapped(self.records[i], by_id, by_mail))
                blocked.append(i)
                involved.update((by_id.id, by_mail.id))
                continue
            person = by_id or by_mail
            if person is not None and _trusted(self.records[i], person, ekey, mkey):
                picks.append((i, person, by_id is not None))
            # else a new person: `_holders` says whose identifiers it re-uses
        picks.sort(key=lambda pick: not pick[2])  # Employee Id matches claim first (stable)
        result, claimed = self.out.people, self.claimed
        for i, person, _ in picks:
            if person.id not in claimed:
                result[i] = person
                claimed.add(person.id)
        if blocked:  # the import is blocked: its records' identifiers are not "taken" as well
            self.swapped = True
            claimed.update(involved)
            for i in blocked:
                result[i] = _BLOCKED


def _by_employee(
    held: Sequence[Person], mkey: str | None, free: Callable[[Person], bool]
) -> Person | None:
    """The person an Employee Id names: the one of its free holders that also has the email,
    else the first (the active first: `People`)."""
    first = None
    for p in held:
        if free(p):
            if len(held) == 1 or (mkey and p.email_key == mkey):
                return p
            first = first or p
    return first


def _relink(
    tied: Person,
    *,
    mkey: str | None,
    ekey: str | None,
    people: People,
    sources: Collection[str],
    elsewhere: Collection[str],
) -> Person | None:
    """The profile a record moves to from its deactivated `tied` person, if any."""
    # The admin's clean-up changes the tied profile's email (the seed's "fake ID/email"): the
    # email decides; a record without one, its Employee Id.
    if mkey:
        if tied.email_key == mkey:
            return None  # the tied person still carries the record's email
    elif not ekey or employee_key(tied.employee_id) == ekey:
        return None
    candidates = [by_mail] if mkey and (by_mail := people.by_email.get(mkey)) else []
    if ekey:
        candidates.extend(people.employee_holders(ekey))
    for p in candidates:
        s = p.source_id
        if p.id == tied.id or (s and (s in sources or s in elsewhere)):
            continue
        pe = employee_key(p.employee_id)
        if ekey and pe and pe != ekey:
            continue
        if mkey and p.email_key and p.email_key != mkey:
            continue
        return p
    return None


def _trusted(rec: SourceEmployee, p: Person, ekey: str | None, mkey: str | None) -> bool:
    """Whether a match by Employee Id or email alone may take `p`."""
    pe = employee_key(p.employee_id)
    if ekey and pe and pe != ekey:
        return False  # an email match whose Employee Ids disagree: someone else
    sid = rec.source_id
    if p.status is ACTIVE and not (sid and p.source_id and p.source_id != sid):
        return True
    common = 0
    if ekey and pe:
        common += 1
    if mkey and (pm := p.email_key):
        if pm != mkey:
            return False
        common += 1
    if common >= 2:
        return True
    name, known = rec.values[NAME_AT], p.values[NAME_AT]
    return not (name and known) or name_key(name) == name_key(known)  # type: ignore[arg-type]


def _holders(  # noqa: PLR0917 - the private body of identify
    records: Sequence[SourceEmployee],
    email_keys: Sequence[str | None],
    employee_keys: Sequence[str | None],
    people: People,
    out: Identified,
    is_free: Callable[[Person], bool],
) -> None:
    """Identifiers the records carry that people outside the import still hold. (The usual
    record's person holds both already: the comprehensions below pass over it.)"""
    by_email, first, shared = people.by_email, people.first_by_employee, people.shared_employee
    result = out.people
    ids = [p.id if p is not None else None for p in result]
    others = [
        (i, h)
        for i, k in enumerate(email_keys)
        if k is not None and (h := by_email.get(k)) is not None and h.id != ids[i]
    ]
    for i, holder in others:
        if is_free(holder):
            _held(records[i], holder, "email", out, new=result[i] is None)
    keys = [
        (i, k)
        for i, k in enumerate(employee_keys)
        if k is not None and (one := first.get(k)) is not None and (k in shared or one.id != ids[i])
    ]
    for i, key in keys:
        for holder in shared.get(key) or (first[key],):
            if holder.id != ids[i] and is_free(holder):
                _held(records[i], holder, "employee_id", out, new=result[i] is None)


def _held(rec: SourceEmployee, holder: Person, field: str, out: Identified, *, new: bool) -> None:
    value = holder.email if field == "email" else holder.employee_id
    if holder.id in out.relinked:
        return  # the re-linked profile is the record's own
    if holder.status is ACTIVE:
        out.issues.append(_taken(rec, holder, field))
        return
    if field == "employee_id":  # not unique in the directory: kept, and said once, at the hire
        if new:
            out.notes.append(_reused(rec, holder, field, new=new))
        return
    released = out.released.setdefault(holder.id, [])
    if all(f != field for f, _ in released):
        released.append((field, value or ""))
    out.notes.append(_reused(rec, holder, field, new=new))


# --- what the admin reads --------------------------------------------------------------------

_LABELS = {"email": "Email", "employee_id": "Employee Id"}


def _who(rec: SourceEmployee) -> str:
    who = rec.name or "(no name)"
    return f"{who} <{rec.email}>" if rec.email else who


def _swapped(rec: SourceEmployee, by_id: Person, by_mail: Person) -> Issue:
    return Issue(
        severity=Severity.ERROR,
        code="swapped_identifiers",
        message=f"{rec.describe()}: swapped identifiers: Employee Id '{rec.employee_id}' is "
        f"{by_id.describe()}'s in the directory, but Email '{rec.email}' is "
        f"{by_mail.describe()}'s.",
        hint=f"If {by_id.name or 'one person'} and {by_mail.name or 'the other'} really swapped "
        "these, change one of them on the Users page first (so that each identifier leads to "
        "one person), then import again; otherwise correct the Employee Id or the email in the "
        "HRIS or the file.",
        location=rec.location,
        field="employee_id",
        who=_who(rec),
    )


def _taken(rec: SourceEmployee, holder: Person, field: str) -> Issue:
    label = _LABELS[field]
    value = rec.email if field == "email" else rec.employee_id
    return Issue(
        severity=Severity.ERROR,
        code="email_taken" if field == "email" else "employee_id_taken",
        message=f"{rec.describe()}: {label} '{value}' belongs to {holder.describe()} in the "
        "directory, who is not in this import.",
        hint=f"Give {holder.name or 'that person'} another {label} on the Users page (or "
        f"deactivate them), or fix the {label} in the HRIS; then sync again.",
        location=rec.location,
        field=field,
        who=_who(rec),
    )


def _reused(rec: SourceEmployee, former: Person, field: str, *, new: bool) -> Issue:
    what = "email" if field == "email" else _LABELS[field]
    status = former.status.value
    who = "a new person; " if new else ""
    return Issue(
        severity=Severity.WARNING,
        code="identifier_reused",
        message=f"{rec.describe()}: {who}{what} previously used by {former.describe()} "
        f"({status}), who gives it up.",
        hint=f"If this is {former.name or 'that person'} coming back, give the record the same "
        "Employee Id and email they had; otherwise nothing to do: "
        f"{former.name or 'they'} keep their history.",
        location=rec.location,
        field=field,
        who=_who(rec),
    )


def _relinked(rec: SourceEmployee, profile: Person, tied: Person) -> Issue:
    return Issue(
        severity=Severity.WARNING,
        code="relinked",
        message=f"{rec.describe()}: re-linked to {profile.describe()} (the HRIS record was tied "
        f"to {tied.describe()}, deactivated).",
        hint="Nothing to do: the profile you edited keeps its history and takes the HRIS record.",
        location=rec.location,
        field="source_id",
        who=_who(rec),
    )
