"""Validate a source snapshot: record rules, then set rules. Pure; never raises on bad data.

Every issue names the record (location, name, email), the field, what is wrong and how to fix it.
Errors block the import; warnings do not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from datetime import date
from typing import TypeVar

from peoplesync.core.emails import RESERVED_TLDS, email_problem, plain_public, reserved_domain
from peoplesync.core.employee import (
    BIRTH_DATE_AT,
    EMAIL_AT,
    END_DATE_AT,
    NAME_AT,
    START_DATE_AT,
    Person,
    SourceEmployee,
    SourceSnapshot,
    fold,
    has_left,
)
from peoplesync.core.fields import FIELD_LABELS
from peoplesync.core.identity import employee_key
from peoplesync.core.index import RecordIndex
from peoplesync.core.issues import Issue, Severity, ValidationReport
from peoplesync.core.perf import gc_paused

EARLIEST_BIRTH_DATE = date(1900, 1, 1)
MAX_NAMED = 10  # a set-wide issue names at most this many people, then says how many more

K = TypeVar("K", bound=Hashable)  # how records are named: their index, or their source ID
Order = TypeVar("Order", int, str)


def validate(
    snapshot: SourceSnapshot,
    *,
    today: date,
    index: RecordIndex | None = None,
    directory: Iterable[Person] = (),
    partial: bool = False,
) -> ValidationReport:
    """`directory`: the people the records are planned against (a missing manager the directory
    knows is named by name and email, not by an HRIS id). `partial`: a partial import (a file
    of only some people), whose Manager Email may name a person of the directory."""
    with gc_paused():
        index = index or RecordIndex.build(snapshot.records)
        return _validate(snapshot, today, index, directory, partial)


def _validate(
    snapshot: SourceSnapshot,
    today: date,
    index: RecordIndex,
    directory: Iterable[Person],
    partial: bool,
) -> ValidationReport:
    records = snapshot.records
    issues: list[Issue] = []
    for rec in records:
        issues.extend(record_issues(rec, snapshot.provided, today))
    keys, ids = index.email_keys, index.employee_keys
    sources = [r.source_id for r in records]
    for field, carried in (("email", keys), ("employee_id", ids), ("source_id", sources)):
        if _repeats(carried):
            issues.extend(duplicates(records, field, _at(carried)))
    if "manager" in snapshot.provided:
        issues.extend(_hierarchy(records, index, today, directory, partial))
    return ValidationReport(tuple(issues))


employee_id_key = employee_key  # the identity rule's Employee Id key


def _issue(
    rec: SourceEmployee, field: str, code: str, what: str, hint: str, *, warning: bool = False
) -> Issue:
    label = FIELD_LABELS.get(field, field)
    return Issue(
        severity=Severity.WARNING if warning else Severity.ERROR,
        code=code,
        message=f"{rec.describe()}: {label} {what}",
        hint=hint,
        location=rec.location,
        field=field,
        who=_who(rec),
    )


def _who(rec: SourceEmployee) -> str:
    who = rec.name or "(no name)"
    return f"{who} <{rec.email}>" if rec.email else who


def record_issues(rec: SourceEmployee, provided: frozenset[str], today: date) -> Iterator[Issue]:
    values = rec.values  # read by position: this runs once per record of every import
    name, email = values[NAME_AT], values[EMAIL_AT]
    if "name" in provided and not (name and name.strip()):  # type: ignore[union-attr]
        yield _issue(rec, "name", "missing_name", "is missing.", "Add the employee's full name.")
    if not email or not email.strip():  # type: ignore[union-attr]
        yield _issue(
            rec,
            "email",
            "missing_email",
            "is missing.",
            "Add the employee's work email: it is how people are matched and sign in.",
        )
    elif plain_public(email):  # type: ignore[arg-type]
        pass  # the usual address: no regex or lookup beyond the fast path
    elif problem := email_problem(email):  # type: ignore[arg-type]
        yield _issue(
            rec,
            "email",
            "invalid_email",
            f"'{email}' is not a valid email address ({problem})",
            "Correct the address in the HRIS, e.g. name@company.com.",
        )
    elif (reserved := reserved_email(rec)) is not None:
        yield reserved
    start, end, born = values[START_DATE_AT], values[END_DATE_AT], values[BIRTH_DATE_AT]
    if start and end and end < start:  # type: ignore[operator]
        yield _issue(
            rec,
            "end_date",
            "end_before_start",
            f"{end.isoformat()} is before the Start Date {start.isoformat()}.",  # type: ignore[union-attr]
            "Fix the End Date or the Start Date; an end date cannot come before the start.",
        )
    if born:
        yield from _birth_date_issues(rec, born, today)  # type: ignore[arg-type]


def reserved_email(rec: SourceEmployee) -> Issue | None:
    """The warning for a valid email on a reserved domain (None for the usual public ones)."""
    email = rec.values[EMAIL_AT]
    if not email:
        return None
    tld = email.rpartition(".")[2]  # type: ignore[union-attr]
    if "@" not in tld and len(tld) >= 2 and tld.lower() not in RESERVED_TLDS:
        return None  # the usual public domain, without reserved_domain's work
    reserved = reserved_domain(email)  # type: ignore[arg-type]
    if reserved is None:
        return None
    return _issue(
        rec,
        "email",
        "reserved_email_domain",
        f"'{email}' cannot receive mail from outside the company: {reserved}.",
        "Nothing blocks the import. If this person should get email from the people "
        "platform (invitations, surveys), give them an address on a public domain.",
        warning=True,
    )


def _birth_date_issues(rec: SourceEmployee, born: date, today: date) -> Iterator[Issue]:
    if born > today:
        what = f"{born.isoformat()} is in the future."
    elif born < EARLIEST_BIRTH_DATE:
        what = f"{born.isoformat()} is before {EARLIEST_BIRTH_DATE.isoformat()}."
    elif rec.start_date and born >= rec.start_date:
        what = f"{born.isoformat()} is not before the Start Date {rec.start_date.isoformat()}."
    else:
        return
    yield _issue(
        rec,
        "birth_date",
        "impossible_birth_date",
        what,
        "Correct the Date of Birth (YYYY-MM-DD) or leave it empty.",
    )


def _at(keys: Sequence[str | None]) -> Callable[[int, SourceEmployee], str | None]:
    return lambda i, _: keys[i]


def _repeats(keys: Sequence[str | None]) -> bool:
    """Whether any key is carried twice (a set built in C: the usual import has none)."""
    present = [k for k in keys if k]
    return len(set(present)) != len(present)


def duplicates(
    records: Sequence[SourceEmployee],
    field: str,
    key_of: Callable[[int, SourceEmployee], str | None],
) -> Iterator[Issue]:
    first: dict[str, int] = {}
    seen: dict[str, list[SourceEmployee]] = defaultdict(list)
    for i, rec in enumerate(records):
        if key := key_of(i, rec):
            j = first.setdefault(key, i)
            if j != i:
                if not seen[key]:
                    seen[key].append(records[j])
                seen[key].append(rec)
    label = FIELD_LABELS.get(field, field)
    for key, recs in seen.items():
        for rec in recs:
            others = [r for r in recs if r is not rec]
            yield _issue(
                rec,
                field,
                f"duplicate_{field}",
                f"'{key}' is also used by {_named(others)}.",
                f"Each employee needs their own {label}: fix it in the HRIS so that only one "
                "employee carries it.",
            )


def _named(records: Sequence[SourceEmployee]) -> str:
    named = ", ".join(r.describe() for r in records[:MAX_NAMED])
    more = len(records) - MAX_NAMED
    return f"{named} and {more} more" if more > 0 else named


def _hierarchy(
    records: Sequence[SourceEmployee],
    index: RecordIndex,
    today: date,
    directory: Iterable[Person],
    partial: bool = False,
) -> Iterator[Issue]:
    managers = index.manager
    if partial:
        directory = list(directory)
        managers = outside_managers(records, managers, directory)
    missing = {
        ref for i, r in enumerate(records) if managers[i] is None and (ref := r.manager_source_id)
    }
    known = {s: p for p in directory if (s := p.source_id) in missing} if missing else {}
    parent: list[int | None] = []
    for i, rec in enumerate(records):
        if managers[i] == OUTSIDE:  # in the directory: no loop through the file to find
            parent.append(None)
            continue
        ref = rec.manager_source_id
        target, issue = check_manager(rec, i, managers[i], known.get(ref) if ref else None)
        parent.append(target)
        if issue:
            yield issue
    yield from _loops(records, parent)
    yield from _several_tops(records, parent, today)


OUTSIDE = -1  # a partial import's manager found in the directory, not in the file


def outside_managers(
    records: Sequence[SourceEmployee], managers: Sequence[int | None], directory: Iterable[Person]
) -> tuple[int | None, ...]:
    """`managers`, with each Manager Email the records do not resolve but the directory does
    (a partial import's manager outside the file) resolved to `OUTSIDE`."""
    unresolved = [i for i, m in enumerate(managers) if m is None and records[i].manager_email]
    if not unresolved:
        return tuple(managers)
    emails = {fold(p.email) for p in directory if p.email}
    found = list(managers)
    for i in unresolved:
        if fold(records[i].manager_email or "") in emails:
            found[i] = OUTSIDE
    return tuple(found)


def check_manager(
    rec: SourceEmployee, me: K, target: K | None, known: Person | None = None
) -> tuple[K | None, Issue | None]:
    """A record's manager link (`target`: the manager's record, or None when the reference does
    not resolve), checked. Records are named by any key: their index, or their source ID.
    `known`: the directory's person the unresolved reference names, if any."""
    ref = rec.manager_source_id or rec.manager_email
    if not ref:
        return None, None
    if target is None:
        if known is not None:
            return None, _issue(
                rec,
                "manager",
                "manager_not_found",
                f"{known.describe()} is not in your employee list (they are in the directory, "
                "but not in this import).",
                f"Every manager must be an employee in the same import: add {known.name or 'them'}"
                " to the HRIS data you sync, or give the employee another manager in the HRIS.",
            )
        named = (
            f"'{ref}'"
            if rec.manager_email and not rec.manager_source_id
            else (f"with HRIS ID '{ref}'")
        )
        return None, _issue(
            rec,
            "manager",
            "manager_not_found",
            f"{named} is not in your employee list.",
            "Every manager must be an employee in the same import: add the manager, or fix "
            "the employee's manager in the HRIS.",
        )
    if target == me:
        return None, _issue(
            rec,
            "manager",
            "self_manager",
            "is the employee themself.",
            "An employee cannot be their own manager: set their real manager, or leave it "
            "empty for the top of the organisation.",
        )
    return target, None


def _loops(records: Sequence[SourceEmployee], parent: Sequence[int | None]) -> Iterator[Issue]:
    """Each reporting loop once (any length), found by walking manager links with colours."""
    state = [0] * len(parent)  # 0 unvisited, 1 on the current walk, 2 done
    for start in range(len(parent)):
        path: list[int] = []
        node: int | None = start
        while node is not None and state[node] == 0:
            state[node] = 1
            path.append(node)
            node = parent[node]
        if node is not None and state[node] == 1:
            loop = path[path.index(node) :]
            yield loop_issue(records.__getitem__, first_lowest(loop))
        for n in path:
            state[n] = 2


def first_lowest(loop: Sequence[Order]) -> list[Order]:
    """The loop turned to start at its lowest key (the first record in the source's order), so
    that a loop reads the same however it was found."""
    start = loop.index(min(loop))
    return list(loop[start:]) + list(loop[:start])


def loop_issue(record: Callable[[K], SourceEmployee], loop: Sequence[K]) -> Issue:
    """A reporting loop, named from its first record (`record` finds a record by its key)."""
    first = record(loop[0])
    chain = " -> ".join(record(i).describe() for i in (*loop, loop[0]))
    return _issue(
        first,
        "manager",
        "reporting_loop",
        f"forms a reporting loop: {chain}.",
        "Import blocked due to reporting loops: break the loop so that the hierarchy is a "
        "simple top-down tree.",
    )


def _several_tops(
    records: Sequence[SourceEmployee], parent: Sequence[int | None], today: date
) -> Iterator[Issue]:
    tops = [
        r
        for r, p in zip(records, parent, strict=True)
        if p is None and not r.manager_email and not r.manager_source_id
        if not has_left(r.end_date, today)
    ]
    if len(tops) >= 2:
        yield tops_issue(len(tops), tops[:MAX_NAMED])


def tops_issue(count: int, first: Sequence[SourceEmployee]) -> Issue:
    """`count` active employees have no manager; `first` are the first of them, in order."""
    more = count - len(first)
    named = ", ".join(r.describe() for r in first) + (f" and {more} more" if more > 0 else "")
    return Issue(
        severity=Severity.WARNING,
        code="several_without_manager",
        message=f"{count} active employees have no manager: {named}.",
        hint="Only the top of the organisation should have no manager: give the others a "
        "manager (or a proxy manager such as the CEO).",
        field="manager",
    )
