"""Planning only what changed gives what planning the whole company gives.

The directory is in step with a company (it was planned and applied); then HR hires, changes and
deletes people. Validating and planning the changed records alone, with the rest of the company
reached through look-ups, must find the same issues, the same changes, the same counts and the
same guard findings as validating and planning everyone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from itertools import count
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from peoplesync.core.delta import (
    Changes,
    MemoryCompany,
    plan_changes,
    plannable,
    validate_changes,
)
from peoplesync.core.employee import LeaverPolicy, Person, PersonStatus, SourceEmployee
from peoplesync.core.guard import guard
from peoplesync.core.issues import Issue
from peoplesync.core.plan import ChangeKind, Plan, directory_after, plan
from peoplesync.core.policy import SyncPolicy
from peoplesync.core.validate import validate
from tests.factories.employees import email_of, person, reporting_to, snapshot, source_employee
from tests.factories.strategies import IMPORT_DATE, ChangeCase, by_source_id, change_cases

policies = st.sampled_from(LeaverPolicy)
many = settings(
    max_examples=300, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow]
)


def _changes(case: ChangeCase) -> Changes:
    records = tuple(r for r in case.after.records if r.source_id in case.changed)
    return Changes(snapshot=replace(case.after, records=records), deleted=case.deleted)


def _sorted_issues(issues: Iterable[Issue]) -> list[tuple[Any, ...]]:
    return sorted(
        (i.severity.value, i.code, i.message, i.hint, i.location or "", i.field or "", i.who or "")
        for i in issues
    )


def _normal(result: Plan, records: Sequence[SourceEmployee]) -> list[tuple[Any, ...]]:
    """The plan's changes, with a new person's random id replaced by their record's source ID."""
    new = {
        i.person_id: f"new:{records[i.record_index].source_id}"
        for i in result.items
        if i.kind is ChangeKind.CREATE and i.record_index is not None
    }

    def name(value: str | None) -> str | None:
        return new.get(value, value) if value is not None else None

    return sorted(
        (
            i.kind.value,
            name(i.person_id),
            i.label,
            tuple((c.field, name(c.before), name(c.after), c.demographic) for c in i.changes),
        )
        for i in result.items
        if i.kind is not ChangeKind.UNCHANGED
    )


def _ids() -> Callable[[], str]:
    numbers = count(1)
    return lambda: f"id{next(numbers)}"


@many
@given(change_cases(), policies)
def test_planning_the_changes_equals_planning_the_company(
    case: ChangeCase, policy: LeaverPolicy
) -> None:
    event(", ".join(assert_same(case, policy)) or "no issues, no findings")


def assert_same(case: ChangeCase, policy: LeaverPolicy = LeaverPolicy.FORMER) -> tuple[str, ...]:
    """Checks the two ways agree; returns the codes of the issues and findings they found."""
    company = MemoryCompany(case.after.records, case.directory)
    changes = _changes(case)
    assert plannable(changes)

    whole = validate(case.after, today=case.today, directory=case.directory)
    alone = validate_changes(changes, company, today=case.today)

    assert _sorted_issues(alone.issues) == _sorted_issues(whole.issues)
    found: tuple[str, ...] = tuple(sorted({i.code for i in whole.issues}))
    if not whole.ok:
        return found
    full = plan(
        case.after, case.directory, import_date=case.today, policy=SyncPolicy(policy), new_id=_ids()
    )
    part = plan_changes(
        changes, company, import_date=case.today, policy=SyncPolicy(policy), new_id=_ids()
    )
    assert part is not None
    assert _normal(part.plan, by_source_id(changes.snapshot.records)) == _normal(
        full, case.after.records
    )
    assert part.plan.counts() == full.counts()
    assert _sorted_issues(part.plan.issues) == _sorted_issues(full.issues)
    found = (*found, *sorted({i.code for i in full.issues}))
    if any(i.blocking for i in full.issues):  # warnings (re-used, re-linked) still guard
        return found
    whole_guard = guard(full, case.directory)
    part_guard = guard(part.plan, part.people, active=part.active)
    assert _findings(part_guard.to_dicts()) == _findings(whole_guard.to_dicts())
    return (*found, *sorted({f.code for f in whole_guard.findings}))


def _findings(found: list[dict[str, Any]]) -> list[str]:
    """Findings as comparable text: who is named in which order follows how the people were
    found, so lists are sorted (and a mass-leaver message is compared up to its list)."""
    normal = []
    for f in found:
        message = f["message"]
        if f["code"] == "mass_leavers":
            message = message.split(":")[0]
        normal.append(
            repr(
                (
                    f["reason"],
                    f["code"],
                    message,
                    sorted(f["person_ids"]),
                    sorted(f["people"]),
                    f["fields"],
                    sorted(map(tuple, f["changes"])),
                )
            )
        )
    return sorted(normal)


# --- the cases that matter, by hand ---------------------------------------------------------


def _case(
    before: Sequence[SourceEmployee],
    after: Sequence[SourceEmployee],
    *,
    deleted: Iterable[str] = (),
    people: Sequence[Person] = (),
    today: date = IMPORT_DATE,
) -> ChangeCase:
    """`before` planned and applied (over `people`), then `after`: the changed records are those
    that differ, and those whose end date has come."""
    first = snapshot(by_source_id(before), demographic_names=())
    applied = tuple(directory_after(people, plan(first, people, import_date=IMPORT_DATE)))
    old = {r.source_id: r for r in before}
    changed = {
        r.source_id or ""
        for r in after
        if old.get(r.source_id) != r or (r.end_date and IMPORT_DATE < r.end_date <= today)
    }
    now = snapshot(by_source_id(after), demographic_names=())
    return ChangeCase(first, applied, now, frozenset(changed), frozenset(deleted), today)


def test_a_loop_through_a_changed_record_is_found_alike() -> None:
    company = [source_employee(1), *reporting_to(1, 2), *reporting_to(2, 3)]
    looped = [source_employee(1, manager_source_id="src-3"), *company[1:]]

    assert "reporting_loop" in assert_same(_case(company, looped))


def test_a_deleted_manager_leaves_their_unchanged_reports_without_one_alike() -> None:
    company = [source_employee(1), *reporting_to(1, 2, 3)]

    found = assert_same(_case(company, company[1:], deleted=["src-1"]))

    assert found.count("manager_not_found") == 1


def test_swapped_emails_are_found_alike() -> None:
    company = [source_employee(1), *reporting_to(1, 2)]
    swapped = [
        source_employee(1, email=email_of(2)),
        source_employee(2, email=email_of(1), manager_source_id="src-1"),
    ]

    assert "email_swapped" in assert_same(_case(company, swapped))


def test_an_email_a_former_employee_still_holds_is_given_up_alike() -> None:
    former = person(9, status=PersonStatus.FORMER, source_id="src-9")
    company = [source_employee(1), *reporting_to(1, 2)]
    moved = [company[0], source_employee(2, email=email_of(9), manager_source_id="src-1")]

    assert "identifier_reused" in assert_same(_case(company, moved, people=[former]))


def test_an_end_date_that_has_come_makes_a_leaver_alike() -> None:
    later = IMPORT_DATE + timedelta(days=3)
    company = [source_employee(1), *reporting_to(1, 2)]
    leaving = [company[0], source_employee(2, manager_source_id="src-1", end_date=later)]
    case = _case(company, leaving, today=IMPORT_DATE)
    settled = _case(leaving, leaving, today=later + timedelta(days=1))

    assert_same(case)
    assert settled.changed == {"src-2"}  # nothing fetched: only the date has come
    assert_same(settled)


def test_a_hire_with_an_unclaimed_persons_email_is_that_person_alike() -> None:
    old_timer = person(7, status=PersonStatus.FORMER, source_id=None)
    company = [source_employee(1)]
    rehired = [company[0], source_employee(7)]

    assert_same(_case(company, rehired, people=[old_timer]))


def test_more_than_one_top_is_counted_over_the_whole_company_alike() -> None:
    company = [source_employee(1), source_employee(2), *reporting_to(1, 3)]
    changed = [*company[:2], source_employee(3, name="Renamed")]

    assert "several_without_manager" in assert_same(_case(company, changed))


def test_a_value_too_long_for_the_directory_is_found_alike() -> None:
    company = [source_employee(1), *reporting_to(1, 2)]
    longer = [company[0], source_employee(2, name="N" * 501, manager_source_id="src-1")]

    assert "too_long" in assert_same(_case(company, longer))
