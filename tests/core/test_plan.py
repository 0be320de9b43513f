"""Planning by example: one test per class of change, and the rules on fields and matching."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from itertools import count

from peoplesync.core.changes import FieldChange
from peoplesync.core.employee import LeaverPolicy, Person, PersonStatus, SourceEmployee
from peoplesync.core.plan import ChangeKind, Plan, PlannedChange, directory_after, plan
from peoplesync.core.policy import SyncPolicy
from tests.factories.employees import (
    ALL_FIELDS,
    TODAY,
    email_of,
    person,
    snapshot,
    source_employee,
)

ACTIVE, FORMER, DEACTIVATED = PersonStatus.ACTIVE, PersonStatus.FORMER, PersonStatus.DEACTIVATED


def new_ids() -> Iterator[str]:
    return (f"new-{n}" for n in count(1))


def run(
    records: Iterable[SourceEmployee],
    directory: Sequence[Person] = (),
    *,
    provided: frozenset[str] = ALL_FIELDS,
    demographic_names: Iterable[str] | None = None,
    complete: bool = True,
    policy: LeaverPolicy = LeaverPolicy.FORMER,
) -> Plan:
    ids = new_ids()
    return plan(
        snapshot(records, provided, demographic_names=demographic_names, complete=complete),
        directory,
        import_date=TODAY,
        policy=SyncPolicy(leaver_policy=policy),
        new_id=lambda: next(ids),
    )


def item(result: Plan, person_id: str) -> PlannedChange:
    found = [i for i in result.items if i.person_id == person_id]
    assert len(found) == 1, result.items
    return found[0]


def status(before: PersonStatus | None, after: PersonStatus) -> FieldChange:
    return FieldChange("status", before.value if before else None, after.value)


# --- each class -------------------------------------------------------------------------------


def test_a_record_equal_to_its_person_is_unchanged() -> None:
    result = run([source_employee(1)], [person(1)])

    assert result.items == (
        PlannedChange(ChangeKind.UNCHANGED, "p-1", "Person 1 <person1@acme.example>", (), 0),
    )
    assert result.changed() == ()


def test_an_update_lists_each_changed_field_with_before_and_after() -> None:
    before = person(
        1, name="Old Name", employee_id="E9", preferred_name="Pat", birth_date=date(1989, 2, 3)
    )
    record = source_employee(1, start_date=date(2021, 6, 1))

    result = run([record], [before])

    assert item(result, "p-1").kind is ChangeKind.UPDATE
    assert item(result, "p-1").changes == (
        FieldChange("employee_id", "E9", "E0001"),
        FieldChange("name", "Old Name", "Person 1"),
        FieldChange("preferred_name", "Pat", None),
        FieldChange("birth_date", "1989-02-03", "1990-01-01"),
        FieldChange("start_date", "2020-01-06", "2021-06-01"),
    )


def test_a_former_employee_back_in_the_source_is_a_rehire() -> None:
    before = person(1, status=FORMER, end_date=date(2025, 1, 31))

    result = run([source_employee(1)], [before])

    assert item(result, "p-1").kind is ChangeKind.REHIRE
    assert item(result, "p-1").changes == (
        FieldChange("end_date", "2025-01-31", None),
        status(FORMER, ACTIVE),
    )


def test_a_deactivated_person_back_in_the_source_is_a_rehire() -> None:
    result = run([source_employee(1)], [person(1, status=DEACTIVATED)])

    assert item(result, "p-1").kind is ChangeKind.REHIRE
    assert item(result, "p-1").changes == (status(DEACTIVATED, ACTIVE),)


def test_a_person_missing_from_a_full_import_leaves_as_former_on_the_import_date() -> None:
    result = run([source_employee(1)], [person(1), person(2)])

    leaver = item(result, "p-2")
    assert leaver.kind is ChangeKind.LEAVE
    assert leaver.record_index is None
    assert leaver.label == "Person 2 <person2@acme.example>"
    assert leaver.changes == (
        FieldChange("end_date", None, TODAY.isoformat()),
        status(ACTIVE, FORMER),
    )
    assert item(result, "p-1").kind is ChangeKind.UNCHANGED


def test_with_the_deactivated_policy_a_missing_person_is_deactivated_without_an_end_date() -> None:
    result = run([source_employee(1)], [person(1), person(2)], policy=LeaverPolicy.DEACTIVATED)

    leaver = item(result, "p-2")
    assert leaver.kind is ChangeKind.LEAVE
    assert leaver.changes == (status(ACTIVE, DEACTIVATED),)


def test_a_missing_person_who_already_left_is_unchanged() -> None:
    gone = person(2, status=FORMER, end_date=date(2024, 1, 1))

    result = run([source_employee(1)], [person(1), gone, person(3, status=DEACTIVATED)])

    assert [i.kind for i in result.items] == [ChangeKind.UNCHANGED] * 3


def test_an_end_date_in_the_past_makes_a_leaver_keeping_that_date() -> None:
    last_day = TODAY - timedelta(days=10)

    result = run([source_employee(1, end_date=last_day)], [person(1)])

    leaver = item(result, "p-1")
    assert leaver.kind is ChangeKind.LEAVE
    assert leaver.record_index == 0
    assert leaver.changes == (
        FieldChange("end_date", None, last_day.isoformat()),
        status(ACTIVE, FORMER),
    )


def test_a_person_is_active_through_their_end_date() -> None:
    result = run([source_employee(1, end_date=TODAY)], [person(1)])

    assert item(result, "p-1").kind is ChangeKind.UPDATE
    assert item(result, "p-1").changes == (FieldChange("end_date", None, TODAY.isoformat()),)


def test_a_person_is_former_from_the_day_after_their_end_date() -> None:
    yesterday = TODAY - timedelta(days=1)

    result = run([source_employee(1, end_date=yesterday)], [person(1)])

    assert item(result, "p-1").kind is ChangeKind.LEAVE
    assert item(result, "p-1").changes[-1] == status(ACTIVE, FORMER)


def test_an_end_date_in_the_future_is_an_update_that_stays_active() -> None:
    last_day = TODAY + timedelta(days=1)

    result = run([source_employee(1, end_date=last_day)], [person(1)])

    assert item(result, "p-1").kind is ChangeKind.UPDATE
    assert item(result, "p-1").changes == (FieldChange("end_date", None, last_day.isoformat()),)


def test_a_new_record_with_a_past_end_date_is_created_former() -> None:
    last_day = TODAY - timedelta(days=1)

    result = run([source_employee(1, end_date=last_day)])

    created = item(result, "new-1")
    assert created.kind is ChangeKind.CREATE
    assert created.changes[-1] == status(None, FORMER)


def test_counts_cover_every_class() -> None:
    result = run(
        [
            source_employee(1),
            source_employee(2, name="New"),
            source_employee(3),
            source_employee(5),
        ],
        [person(1), person(2), person(3, status=FORMER), person(4)],
    )

    assert result.counts() == {
        "create": 1,
        "update": 1,
        "rehire": 1,
        "leave": 1,
        "remove": 0,
        "unchanged": 1,
    }
    assert len(result.changed()) == 4


# --- partial imports and fields the source does not provide -----------------------------------


def test_a_partial_import_never_makes_leavers() -> None:
    result = run([source_employee(1)], [person(1), person(2), person(3)], complete=False)

    assert item(result, "p-2").kind is ChangeKind.UNCHANGED
    assert item(result, "p-3").kind is ChangeKind.UNCHANGED
    assert item(result, "p-2").changes == ()


def test_a_field_the_source_does_not_provide_is_never_cleared() -> None:
    before = person(1, preferred_name="Ada", birth_date=date(1980, 5, 5))
    record = source_employee(1, preferred_name=None, birth_date=None)

    result = run([record], [before], provided=ALL_FIELDS - {"preferred_name", "birth_date"})

    assert item(result, "p-1").kind is ChangeKind.UNCHANGED


def test_a_field_the_source_does_not_provide_is_never_compared() -> None:
    record = source_employee(1, name="Someone Else", start_date=date(2001, 1, 1))

    result = run([record], [person(1)], provided=ALL_FIELDS - {"name", "start_date"})

    assert item(result, "p-1").kind is ChangeKind.UNCHANGED


def test_a_provided_field_left_empty_is_cleared() -> None:
    result = run([source_employee(1, preferred_name=None)], [person(1, preferred_name="Ada")])

    assert item(result, "p-1").changes == (FieldChange("preferred_name", "Ada", None),)


def test_without_managers_in_the_source_the_manager_is_kept() -> None:
    record = source_employee(2)

    result = run([record], [person(2, manager_id="p-1")], provided=ALL_FIELDS - {"manager"})

    assert item(result, "p-2").kind is ChangeKind.UNCHANGED


def test_a_source_without_ids_never_clears_a_source_id() -> None:
    result = run([source_employee(1, source_id=None)], [person(1)])

    assert item(result, "p-1").kind is ChangeKind.UNCHANGED


# --- managers and matching --------------------------------------------------------------------


def test_a_manager_change_is_shown_as_person_ids() -> None:
    directory = [person(1), person(2), person(3, manager_id="p-1")]
    records = [
        source_employee(1),
        source_employee(2),
        source_employee(3, manager_email="PERSON2@acme.example"),
    ]

    result = run(records, directory)

    assert item(result, "p-3").changes == (FieldChange("manager", "p-1", "p-2"),)


def test_a_new_manager_is_named_by_the_id_their_create_gets() -> None:
    records = [source_employee(1), source_employee(2, manager_source_id="src-1")]

    result = run(records, [person(2)])

    assert item(result, "new-1").kind is ChangeKind.CREATE
    assert item(result, "p-2").changes == (FieldChange("manager", None, "new-1"),)


def test_an_email_change_with_a_stable_source_id_is_an_update() -> None:
    result = run([source_employee(1, email="ada.lovelace@acme.example")], [person(1)])

    assert result.items == (
        PlannedChange(
            ChangeKind.UPDATE,
            "p-1",
            "Person 1 <ada.lovelace@acme.example>",
            (FieldChange("email", email_of(1), "ada.lovelace@acme.example"),),
            0,
        ),
    )


def test_matching_by_email_ignores_case_and_reports_the_new_spelling() -> None:
    result = run([source_employee(1, source_id=None, email="Person1@ACME.example")], [person(1)])

    assert item(result, "p-1").kind is ChangeKind.UPDATE
    assert item(result, "p-1").changes == (
        FieldChange("email", email_of(1), "Person1@ACME.example"),
    )


def test_matching_by_email_a_person_without_source_id_sets_it() -> None:
    result = run([source_employee(1)], [person(1, source_id=None)])

    assert item(result, "p-1").kind is ChangeKind.UPDATE
    assert item(result, "p-1").changes == (FieldChange("source_id", None, "src-1"),)


def test_the_source_id_wins_over_the_email() -> None:
    # Employee 1 changed address; employee 2 now uses 1's old one.
    records = [
        source_employee(1, email="new1@acme.example"),
        source_employee(2, email=email_of(1)),
    ]

    result = run(records, [person(1), person(2, email="old2@acme.example")])

    assert item(result, "p-1").changes == (FieldChange("email", email_of(1), "new1@acme.example"),)
    assert item(result, "p-2").changes == (FieldChange("email", "old2@acme.example", email_of(1)),)
    assert result.counts()["create"] == 0


def test_a_person_claimed_by_source_id_is_not_matched_again_by_email() -> None:
    records = [
        source_employee(2, source_id="src-2", email=email_of(1)),
        source_employee(1, email="moved@acme.example"),
    ]

    result = run(records, [person(1)])

    assert [(i.kind, i.person_id, i.record_index) for i in result.items] == [
        (ChangeKind.CREATE, "new-1", 0),
        (ChangeKind.UPDATE, "p-1", 1),
    ]


# --- directory_after --------------------------------------------------------------------------


def test_directory_after_applies_creates_updates_and_leaves() -> None:
    directory = [person(1, name="Old"), person(2)]
    records = [source_employee(1), source_employee(3, manager_source_id="src-1")]

    result = run(records, directory)
    after = {p.id: p for p in directory_after(directory, result)}

    assert after["p-1"] == person(1)
    assert after["p-2"] == person(2, status=FORMER, end_date=TODAY)
    assert after["new-1"] == person(3, id="new-1", manager_id="p-1")
    assert directory[0].name == "Old"  # pure: the input is untouched


def test_an_email_held_by_someone_outside_the_import_blocks_it_by_name() -> None:
    # Employee 1 takes over the address of employee 2, who is no longer in the source: the
    # address cannot move while employee 2 (about to be former) still holds it.
    directory = [person(1), person(2)]

    result = run([source_employee(1, email=email_of(2))], directory)

    (issue,) = result.issues
    assert issue.code == "email_taken"
    assert issue.field == "email"
    assert email_of(2) in issue.message
    assert "Users page" in issue.hint
