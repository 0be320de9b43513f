"""Validate a source snapshot: record rules, then set rules. Pure; never raises on bad data.

Every issue names the record (location, name, email), the field, what is wrong and how to fix it.
Errors block the import; warnings do not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from datetime import date
from typing import TypeVar

from peoplesync.core.emails import email_problem
from peoplesync.core.employee import SourceEmployee, SourceSnapshot
from peoplesync.core.fields import FIELD_LABELS
from peoplesync.core.index import RecordIndex
from peoplesync.core.issues import Issue, Severity, ValidationReport
from peoplesync.core.limits import length_issues
from peoplesync.core.perf import gc_paused

EARLIEST_BIRTH_DATE = date(1900, 1, 1)
MAX_NAMED = 10  # a set-wide issue names at most this many people, then says how many more

K = TypeVar("K", bound=Hashable)  # how records are named: their index, or their source ID
Order = TypeVar("Order", int, str)


def validate(
    snapshot: SourceSnapshot, *, today: date, index: RecordIndex | None = None
) -> ValidationReport:
    with gc_paused():
        return _validate(snapshot, today, index or RecordIndex.build(snapshot.records))


def _validate(snapshot: SourceSnapshot, today: date, index: RecordIndex) -> ValidationReport:
    records = snapshot.records
    issues: list[Issue] = []
    for rec in records:
        issues.extend(record_issues(rec, snapshot.provided, today))
    issues.extend(length_issues(records))
    keys = index.email_keys
    issues.extend(duplicates(records, "email", lambda i, r: keys[i]))
    issues.extend(duplicates(records, "employee_id", lambda i, r: employee_id_key(r.employee_id)))
    issues.extend(duplicates(records, "source_id", lambda i, r: r.source_id))
    if "manager" in snapshot.provided:
        issues.extend(_hierarchy(records, index, today))
    return ValidationReport(tuple(issues))


def employee_id_key(value: str | None) -> str | None:
    return value.strip() or None if value else None


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
    if "name" in provided and not (rec.name and rec.name.strip()):
        yield _issue(rec, "name", "missing_name", "is missing.", "Add the employee's full name.")
    if not rec.email or not rec.email.strip():
        yield _issue(
            rec,
            "email",
            "missing_email",
            "is missing.",
            "Add the employee's work email: it is how people are matched and sign in.",
        )
    elif problem := email_problem(rec.email):
        yield _issue(
            rec,
            "email",
            "invalid_email",
            f"'{rec.email}' is not a valid email address ({problem})",
            "Correct the address in the HRIS, e.g. name@company.com.",
        )
    if rec.start_date and rec.end_date and rec.end_date < rec.start_date:
        yield _issue(
            rec,
            "end_date",
            "end_before_start",
            f"{rec.end_date.isoformat()} is before the Start Date {rec.start_date.isoformat()}.",
            "Fix the End Date or the Start Date; an end date cannot come before the start.",
        )
    if rec.birth_date:
        yield from _birth_date_issues(rec, rec.birth_date, today)


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
    records: Sequence[SourceEmployee], index: RecordIndex, today: date
) -> Iterator[Issue]:
    parent: list[int | None] = []
    for i, rec in enumerate(records):
        target, issue = check_manager(rec, i, index.manager[i])
        parent.append(target)
        if issue:
            yield issue
    yield from _loops(records, parent)
    yield from _several_tops(records, parent, today)


def check_manager(rec: SourceEmployee, me: K, target: K | None) -> tuple[K | None, Issue | None]:
    """A record's manager link (`target`: the manager's record, or None when the reference does
    not resolve), checked. Records are named by any key: their index, or their source ID."""
    ref = rec.manager_source_id or rec.manager_email
    if not ref:
        return None, None
    if target is None:
        return None, _issue(
            rec,
            "manager",
            "manager_not_found",
            f"'{ref}' is not in your employee list.",
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
        if not (r.end_date and r.end_date <= today)
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
