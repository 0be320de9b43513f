"""People stay who they are (issue 11): one test per identity rule, on both sources.

A CSV carries no source ID (records are matched by Employee Id, then email); Merge carries the
remote id (matched by it first). `as_source` turns the same records into either.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

import pytest

from peoplesync.core.changes import FieldChange
from peoplesync.core.delta import Changes, MemoryCompany, plan_changes
from peoplesync.core.employee import Person, PersonStatus, SourceEmployee
from peoplesync.core.guard import guard
from peoplesync.core.plan import ChangeKind, Plan, directory_after, plan
from peoplesync.core.validate import validate
from tests.factories.employees import TODAY, email_of, person, snapshot, source_employee

SOURCES = ("csv", "merge")
FORMER, DEACTIVATED = PersonStatus.FORMER, PersonStatus.DEACTIVATED


def as_source(records: Iterable[SourceEmployee], kind: str) -> list[SourceEmployee]:
    return [r if kind == "merge" else r.changed(source_id=None) for r in records]


def run(records: Iterable[SourceEmployee], directory: Sequence[Person], kind: str) -> Plan:
    ids = iter(f"new-{n}" for n in range(1, 1000))
    return plan(
        snapshot(as_source(records, kind), kind=kind),
        directory,
        import_date=TODAY,
        new_id=lambda: next(ids),
    )


def kinds(result: Plan) -> dict[str, int]:
    return {k: n for k, n in result.counts().items() if n and k != "unchanged"}


def codes(result: Plan) -> list[str]:
    return [i.code for i in result.issues]


def the(result: Plan, code: str) -> str:
    found = [i.message for i in result.issues if i.code == code]
    assert len(found) == 1, result.issues
    return found[0]


TEN = [person(n) for n in range(1, 11)]


# --- 1. match by source ID, then Employee Id, then email -----------------------------------------


@pytest.mark.parametrize("kind", SOURCES)
def test_a_new_email_domain_keeps_everyone_by_their_employee_id(kind: str) -> None:
    renamed = [source_employee(n, email=f"person{n}@new.example") for n in range(1, 11)]

    result = run(renamed, TEN, kind)

    assert kinds(result) == {"update": 10}
    assert result.issues == ()
    for item in result.changed():
        assert [c.field for c in item.changes] == ["email"]


def test_a_file_swapping_two_peoples_emails_is_blocked_naming_both() -> None:
    p2, p5 = TEN[1], TEN[4]
    records = [source_employee(n) for n in range(1, 11)]
    records[1] = records[1].changed(email=p5.email)
    records[4] = records[4].changed(email=p2.email)

    result = run(records, TEN, "csv")

    assert codes(result) == ["swapped_identifiers", "swapped_identifiers"]
    message = result.issues[0].message
    assert "Employee Id 'E0002' is Person 2 <person2@acme.example>'s" in message
    assert "Email 'person5@acme.example' is Person 5 <person5@acme.example>'s" in message
    assert result.issues[0].blocking
    assert "Users page" in result.issues[0].hint


def test_a_file_swapping_two_employee_ids_is_blocked_naming_both() -> None:
    records = [source_employee(n) for n in range(1, 11)]
    records[2] = records[2].changed(employee_id="E0007")
    records[6] = records[6].changed(employee_id="E0003")

    result = run(records, TEN, "csv")

    assert codes(result) == ["swapped_identifiers", "swapped_identifiers"]
    assert "Person 7 <person7@acme.example>" in result.issues[0].message
    assert "Person 3 <person3@acme.example>" in result.issues[0].message


@pytest.mark.parametrize("field", ["email", "employee_id"])
def test_with_source_ids_a_swap_is_a_privacy_finding_that_changes_only_that_field(
    field: str,
) -> None:
    p2, p5 = TEN[1], TEN[4]
    records = [source_employee(n) for n in range(1, 11)]
    records[1] = records[1].changed(**{field: p5.value(field)})
    records[4] = records[4].changed(**{field: p2.value(field)})

    result = run(records, TEN, "merge")
    report = guard(result, TEN)

    assert result.issues == ()
    assert [f.code for f in report.findings] == [f"{field}_swapped"]
    label = "email" if field == "email" else "Employee Id"
    assert report.findings[0].message.startswith(
        f"{p2.describe()}: {label} swapped with {p5.describe()}"
    )
    after = {p.id: p for p in directory_after(TEN, result)}  # confirmed: exactly the field
    assert after["p-2"].values == p2.changed(**{field: p5.value(field)}).values
    assert after["p-5"].values == p5.changed(**{field: p2.value(field)}).values
    assert [c.field for i in result.changed() for c in i.changes] == [field, field]


# --- a new hire given a former person's identifiers ------------------------------------------


@pytest.mark.parametrize("kind", SOURCES)
def test_a_new_hire_given_a_former_persons_email_is_a_create(kind: str) -> None:
    gone = person(9, status=FORMER, end_date=TODAY - timedelta(days=40))
    directory = [*TEN[:3], gone]
    hire = source_employee(20, name="New Hire", email=gone.email)
    records = [*(source_employee(n) for n in range(1, 4)), hire]

    result = run(records, directory, kind)

    assert kinds(result) == {"create": 1, "update": 1}
    released = next(i for i in result.changed() if i.person_id == "p-9")
    assert released.changes == (FieldChange("email", gone.email, None),)  # history stays
    assert "a new person; email previously used by Person 9 <person9@acme.example> (former)" in the(
        result, "identifier_reused"
    )
    assert not any(i.blocking for i in result.issues)
    findings = guard(result, directory).findings
    assert [f.code for f in findings] == ["email_moved"]
    assert findings[0].message.startswith("A new person (New Hire <person9@acme.example>)")


@pytest.mark.parametrize("kind", SOURCES)
def test_a_former_person_coming_back_with_the_same_identifiers_is_a_rehire(kind: str) -> None:
    gone = person(9, status=FORMER, end_date=TODAY - timedelta(days=40))
    back = source_employee(9, end_date=None)

    result = run([*(source_employee(n) for n in range(1, 4)), back], [*TEN[:3], gone], kind)

    assert kinds(result) == {"rehire": 1}
    assert result.issues == ()


def test_a_new_hire_given_a_former_persons_employee_id_is_a_create_said_once() -> None:
    gone = person(9, status=FORMER, end_date=TODAY - timedelta(days=40))
    hire = source_employee(20, name="New Hire", employee_id=gone.employee_id)

    first = run([source_employee(1), hire], [TEN[0], gone], "csv")

    assert kinds(first) == {"create": 1}
    assert "Employee Id previously used by Person 9" in the(first, "identifier_reused")
    second = run([source_employee(1), hire], directory_after([TEN[0], gone], first), "csv")
    assert second.changed() == ()
    assert second.issues == ()


@pytest.mark.parametrize("kind", SOURCES)
def test_an_active_person_outside_the_import_keeps_their_email_and_blocks(kind: str) -> None:
    outside = person(9, source_id=None)
    moving = source_employee(2, email=outside.email)

    result = plan(
        snapshot(as_source([moving], kind), complete=False, kind=kind),
        [TEN[1], outside],
        import_date=TODAY,
    )

    if kind == "merge":  # the source ID says who the record is: the email is taken
        assert codes(result) == ["email_taken"]
        assert "belongs to Person 9 <person9@acme.example>" in the(result, "email_taken")
    else:  # a file's Employee Id says Person 2, its email Person 9
        assert codes(result) == ["swapped_identifiers"]
        assert "Person 9 <person9@acme.example>" in the(result, "swapped_identifiers")


@pytest.mark.parametrize("kind", SOURCES)
def test_an_email_never_matches_a_person_with_another_employee_id(kind: str) -> None:
    outside = person(9, source_id=None)
    hire = source_employee(20, name="New Hire", email=outside.email)

    result = plan(
        snapshot(as_source([source_employee(1), hire], kind), complete=False, kind=kind),
        [TEN[0], outside],
        import_date=TODAY,
    )

    assert codes(result) == ["email_taken"]  # a new person, whose email Person 9 holds
    assert "belongs to Person 9 <person9@acme.example>" in the(result, "email_taken")


# --- 3. re-linking: the seed's duplicate clean-up after changes are applied -------------------


def duplicated() -> tuple[Person, Person, SourceEmployee]:
    """A CSV-era profile (former since the first Justworks sync left it out) and the profile
    that sync created for the same person under their Justworks email."""
    original = person(1, source_id=None, email="ada@csv-era.example", status=FORMER)
    created = person(2, name="Person 1", source_id="jw-1", email="ada@justworks.example")
    record = source_employee(1, source_id="jw-1", email="ada@justworks.example")
    return original, created, record


def test_the_seeds_clean_up_relinks_the_record_to_the_original_profile() -> None:
    original, created, record = duplicated()
    # 1. Deactivate the newest employee profile and remove their email (a placeholder to Save).
    created = created.changed(status=DEACTIVATED, email="placeholder-2@invalid.example")
    # 2. Update the original user profile to match emails in Justworks.
    original = original.changed(email="ada@justworks.example")

    result = run([record], [original, created], "merge")

    assert not any(i.blocking for i in result.issues), result.issues
    message = the(result, "relinked")
    assert "re-linked to Person 1 <ada@justworks.example>" in message
    assert "tied to Person 1 <placeholder-2@invalid.example>, deactivated" in message
    items = {i.person_id: i for i in result.changed()}
    assert items["p-1"].kind is ChangeKind.REHIRE
    assert FieldChange("source_id", None, "jw-1") in items["p-1"].changes
    assert items["p-2"].changes == (FieldChange("source_id", "jw-1", None),)
    after = {p.id: p for p in directory_after([original, created], result)}
    assert after["p-1"].source_id == "jw-1"
    assert after["p-1"].status is PersonStatus.ACTIVE
    assert after["p-2"].source_id is None
    assert run([record], list(after.values()), "merge").changed() == ()  # and it stays so


def test_a_deactivated_profile_still_carrying_the_records_email_keeps_the_record() -> None:
    original, created, record = duplicated()
    created = created.changed(status=DEACTIVATED)  # email left as it was: no clean-up yet

    result = run([record], [original, created], "merge")

    assert "relinked" not in codes(result)
    assert next(i for i in result.changed() if i.person_id == "p-2").kind is ChangeKind.REHIRE


def test_relinking_is_planned_alike_from_the_changes_alone() -> None:
    original, created, record = duplicated()
    created = created.changed(status=DEACTIVATED, email="placeholder-2@invalid.example")
    original = original.changed(email="ada@justworks.example")
    directory = [original, created]
    changes = Changes(snapshot([record]), frozenset())

    part = plan_changes(changes, MemoryCompany([record], directory), import_date=TODAY)
    full = run([record], directory, "merge")

    assert part is not None
    assert sorted((i.kind, i.person_id, i.changes) for i in part.plan.changed()) == sorted(
        (i.kind, i.person_id, i.changes) for i in full.changed()
    )
    assert [i.code for i in part.plan.issues] == ["relinked"]


# --- 4. active through the end date ---------------------------------------------------------


@pytest.mark.parametrize("kind", SOURCES)
def test_active_on_the_last_day_former_from_the_next(kind: str) -> None:
    last_day = source_employee(1, end_date=TODAY)
    left = source_employee(2, end_date=TODAY - timedelta(days=1))

    result = run([last_day, left], TEN[:2], kind)

    items = {i.person_id: i for i in result.changed()}
    assert items["p-1"].kind is ChangeKind.UPDATE
    assert items["p-2"].kind is ChangeKind.LEAVE


# --- 5. email rules ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", SOURCES)
@pytest.mark.parametrize(
    "email", ["sam@corp.local", "sam@hq.internal", "sam@acme.test", "sam@intranet"]
)
def test_a_reserved_domain_is_a_warning_naming_the_person(kind: str, email: str) -> None:
    records = as_source([source_employee(1, name="Sam Reyes", email=email)], kind)

    report = validate(snapshot(records, kind=kind), today=TODAY)

    assert report.ok
    assert [i.code for i in report.warnings] == ["reserved_email_domain"]
    assert report.warnings[0].who == f"Sam Reyes <{email}>"
    assert "Sam Reyes" in report.warnings[0].message


@pytest.mark.parametrize("kind", SOURCES)
def test_syntax_errors_stay_errors_and_plus_addressing_is_kept(kind: str) -> None:
    records = as_source(
        [source_employee(1, email="sam@@corp.local"), source_employee(2, email="ada+hr@acme.io")],
        kind,
    )

    report = validate(snapshot(records, kind=kind), today=TODAY)

    assert [(i.code, i.location) for i in report.errors] == [("invalid_email", "row 2")]
    assert "reserved_email_domain" not in [i.code for i in report.issues]
    result = run(records[1:], [], kind)
    assert result.items[0].label == "Person 2 <ada+hr@acme.io>"


# --- 7. people named, not ids --------------------------------------------------------------


def test_a_missing_manager_is_named_from_the_directory_not_by_a_merge_id() -> None:
    boss = person(7, source_id="003b401f-5d8c-4f40-9a56-1d37c5d3b1e0", name="Grace Boss")
    report_to = source_employee(1, manager_source_id=boss.source_id)

    report = validate(snapshot([report_to]), today=TODAY, directory=[boss])

    (issue,) = report.errors
    assert issue.code == "manager_not_found"
    assert "Grace Boss <person7@acme.example>" in issue.message
    assert "003b401f" not in issue.message + issue.hint


def test_a_missing_manager_named_by_email_in_a_file_quotes_the_email() -> None:
    report_to = source_employee(1, source_id=None, manager_email=email_of(7))

    report = validate(snapshot([report_to], kind="csv"), today=TODAY)

    assert "'person7@acme.example' is not in your employee list" in report.errors[0].message
