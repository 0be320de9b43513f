"""Properties of planning and validation over generated companies and directories."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import count

from hypothesis import example, given
from hypothesis import strategies as st

from peoplesync.core.changes import FieldChange
from peoplesync.core.employee import LeaverPolicy, Person, SourceSnapshot
from peoplesync.core.plan import ChangeKind, Plan, directory_after, plan
from peoplesync.core.policy import SyncPolicy
from peoplesync.core.validate import validate
from tests.factories.employees import TODAY, email_of, person, snapshot, source_employee
from tests.factories.strategies import (
    IMPORT_DATE,
    Hierarchy,
    SyncCase,
    arbitrary_snapshots,
    hierarchies,
    sync_cases,
)

policies = st.sampled_from(LeaverPolicy)


def make_plan(
    source: SourceSnapshot,
    directory: Sequence[Person],
    policy: LeaverPolicy = LeaverPolicy.FORMER,
) -> Plan:
    """A plan whose new people get predictable ids, so two plans can be compared item by item."""
    ids = (f"new-{n}" for n in count(1))
    return plan(
        source,
        directory,
        import_date=IMPORT_DATE,
        policy=SyncPolicy(policy),
        new_id=lambda: next(ids),
    )


# --- plan -------------------------------------------------------------------------------------


@given(sync_cases(), policies)
def test_every_record_and_every_person_lands_in_exactly_one_item(
    case: SyncCase, policy: LeaverPolicy
) -> None:
    result = make_plan(case.snapshot, case.directory, policy)

    from_records = [i.record_index for i in result.items if i.record_index is not None]
    assert sorted(from_records) == list(range(len(case.snapshot.records)))
    per_person = Counter(i.person_id for i in result.items)
    assert set(per_person.values()) <= {1}
    assert {p.id for p in case.directory} <= per_person.keys()
    for absent in (i for i in result.items if i.record_index is None):
        if absent.kind is ChangeKind.UPDATE:  # giving up an identifier a record re-uses
            assert {c.field for c in absent.changes} <= {"email", "source_id"}
            assert all(c.after is None for c in absent.changes)
        else:
            assert absent.kind in {ChangeKind.LEAVE, ChangeKind.UNCHANGED}


@given(sync_cases(), policies)
def test_replanning_after_apply_changes_nothing(case: SyncCase, policy: LeaverPolicy) -> None:
    first = make_plan(case.snapshot, case.directory, policy)
    if any(issue.blocking for issue in first.issues):
        return  # a plan that names a conflict and blocks the import is never applied
    applied = directory_after(case.directory, first)

    second = make_plan(case.snapshot, applied, policy)

    assert second.changed() == ()
    assert len(second.items) == len(applied)


@example(
    SyncCase(
        snapshot([source_employee(1, email=email_of(2))]),
        (person(1), person(2)),
    ),
    LeaverPolicy.FORMER,
)
@given(sync_cases(), policies)
def test_a_plan_without_errors_keeps_emails_and_source_ids_unique(
    case: SyncCase, policy: LeaverPolicy
) -> None:
    result = make_plan(case.snapshot, case.directory, policy)
    if validate(case.snapshot, today=IMPORT_DATE).errors:
        return  # an invalid source is never applied
    applied = directory_after(case.directory, result)

    emails = [p.email_key for p in applied if p.email_key]
    source_ids = [p.source_id for p in applied if p.source_id]
    if len(emails) != len(set(emails)):
        # the only way two people end with one email: the plan names it and blocks the import
        blocking = {"email_taken", "swapped_identifiers"}
        assert any(i.code in blocking and i.blocking for i in result.issues), result.issues
    assert len(source_ids) == len(set(source_ids))


def _without_email(changes: Sequence[FieldChange]) -> list[FieldChange]:
    return [c for c in changes if c.field != "email"]


@given(sync_cases(), st.sampled_from((str.upper, str.lower, str.swapcase)))
def test_email_case_changes_nothing_but_email_fields(
    case: SyncCase, recase: Callable[[str], str]
) -> None:
    recased = tuple(
        r.changed(email=recase(r.email) if r.email else None) for r in case.snapshot.records
    )
    first = make_plan(case.snapshot, case.directory)

    second = make_plan(replace(case.snapshot, records=recased), case.directory)

    assert len(first.items) == len(second.items)
    for before, after in zip(first.items, second.items, strict=True):
        assert (after.person_id, after.record_index) == (before.person_id, before.record_index)
        assert _without_email(after.changes) == _without_email(before.changes)
        if after.kind is not before.kind:
            assert {before.kind, after.kind} == {ChangeKind.UPDATE, ChangeKind.UNCHANGED}


@given(sync_cases(with_ids=True), policies)
def test_new_emails_with_stable_source_ids_are_only_updates(
    case: SyncCase, policy: LeaverPolicy
) -> None:
    synced = directory_after(case.directory, make_plan(case.snapshot, case.directory, policy))
    moved = tuple(
        r.changed(
            email=f"new.{r.email}",
            manager_email=f"new.{r.manager_email}" if r.manager_email else None,
        )
        for r in case.snapshot.records
    )

    result = make_plan(replace(case.snapshot, records=moved), synced, policy)

    for item in result.items:
        if item.record_index is None:
            assert item.kind is ChangeKind.UNCHANGED
            continue
        old = case.snapshot.records[item.record_index].email
        assert item.kind is ChangeKind.UPDATE
        assert item.changes == (FieldChange("email", old, f"new.{old}"),)


# --- validate ---------------------------------------------------------------------------------


@given(arbitrary_snapshots())
def test_validate_never_raises_and_locates_every_record_issue(source: SourceSnapshot) -> None:
    report = validate(source, today=TODAY)

    locations = {r.location for r in source.records}
    for issue in report.issues:
        assert issue.field is not None
        if issue.code == "several_without_manager":
            assert issue.location is None
        else:
            assert issue.location in locations
            assert issue.message.startswith(f"{issue.location} (")
    assert report.ok == (report.errors == ())


def _parents(h: Hierarchy) -> list[int | None]:
    """Each record's manager as an index; a dangling or self reference is no manager."""
    return [link if isinstance(link, int) and link != i else None for i, link in enumerate(h.links)]


def _loop_through(parents: Sequence[int | None], start: int) -> frozenset[int] | None:
    """Brute force: the loop `start` is on, if following n manager links leads back to it."""
    node: int | None = start
    seen: list[int] = []
    for _ in range(len(parents)):
        node = parents[node] if node is not None else None
        if node is None:
            return None
        seen.append(node)
        if node == start:
            return frozenset(seen)
    return None


def _row_index(location: str | None) -> int:
    assert location is not None
    return int(location.removeprefix("row ")) - 2


@given(hierarchies())
def test_loop_detection_agrees_with_brute_force(h: Hierarchy) -> None:
    parents = _parents(h)
    loops = {loop for i in range(len(parents)) if (loop := _loop_through(parents, i)) is not None}

    report = validate(snapshot(h.records), today=TODAY)

    reported = [_row_index(i.location) for i in report.issues if i.code == "reporting_loop"]
    assert len(reported) == len(loops)
    assert {_loop_through(parents, i) for i in reported} == loops


@given(hierarchies())
def test_manager_rules_agree_with_the_links(h: Hierarchy) -> None:
    report = validate(snapshot(h.records), today=TODAY)

    def rows(code: str) -> list[int]:
        return [_row_index(i.location) for i in report.issues if i.code == code]

    assert rows("self_manager") == [i for i, link in enumerate(h.links) if link == i]
    assert rows("manager_not_found") == [i for i, link in enumerate(h.links) if link == "dangling"]
    tops = sum(link is None for link in h.links)
    warned = [i for i in report.issues if i.code == "several_without_manager"]
    assert len(warned) == (1 if tops > 1 else 0)
