"""The guard on plain plans: each rule, its edges, and what a finding may say."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

import peoplesync.core.guard as guard_module
from peoplesync.core.guard import GuardReason, GuardReport, SourceState
from tests.guard.people import check, person, record

TEN = [person(n) for n in range(1, 11)]


def codes(report: GuardReport) -> list[str]:
    return [f.code for f in report.findings]


def test_a_clean_sync_has_no_findings() -> None:
    report = check(TEN, *(record(p) for p in TEN))
    assert report.findings == ()
    assert not report.blocked
    assert report.reason is None


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "Someone Else", "email": "someone@acme.example"},
        {"name": "Someone Else", "birth_date": date(1999, 9, 9)},
        {"email": "someone@acme.example", "birth_date": date(1999, 9, 9)},
    ],
)
def test_two_identity_fields_changing_at_once_is_a_privacy_finding(
    changes: dict[str, object],
) -> None:
    records = [record(p, **changes) if p.id == "p3" else record(p) for p in TEN]
    report = check(TEN, *records)
    assert codes(report) == ["identity_change"]
    finding = report.findings[0]
    assert finding.reason is GuardReason.PRIVACY
    assert finding.person_ids == ("p3",)
    assert finding.people == ("Person 3 <person3@acme.example>",)
    assert set(finding.fields) == set(changes)
    assert report.reason is GuardReason.PRIVACY


def test_one_identity_field_alone_is_fine() -> None:
    for changes in ({"name": "Person Three"}, {"email": "p3@acme.example"}):
        records = [record(p, **changes) if p.id == "p3" else record(p) for p in TEN]
        assert check(TEN, *records).findings == ()


def test_case_and_spacing_are_no_identity_change() -> None:
    records = [
        record(p, name="  PERSON   3 ", email="Person3@ACME.example") if p.id == "p3" else record(p)
        for p in TEN
    ]
    assert check(TEN, *records).findings == ()


def test_filling_in_a_missing_value_is_no_identity_change() -> None:
    directory = [person(1, birth_date=None), *TEN[1:]]
    records = [record(directory[0], name="New Name", birth_date=date(1990, 1, 1))]
    records += [record(p) for p in directory[1:]]
    assert check(directory, *records).findings == ()


def test_birth_date_values_are_never_shown() -> None:
    changed = {"name": "Someone Else", "birth_date": date(1999, 9, 9)}
    records = [record(p, **changed) if p.id == "p3" else record(p) for p in TEN]
    finding = check(TEN, *records).findings[0]
    text = str(finding.to_dict())
    assert "1999-09-09" not in text
    assert str(TEN[2].birth_date) not in text
    assert "Date of Birth changed" in finding.message
    assert "'Person 3' -> 'Someone Else'" in finding.message


def test_an_email_swap_is_one_finding_naming_both() -> None:
    p2, p5 = TEN[1], TEN[4]
    records = [
        record(p, email=p5.email)
        if p is p2
        else record(p, email=p2.email)
        if p is p5
        else record(p)
        for p in TEN
    ]
    report = check(TEN, *records)
    assert codes(report) == ["email_swapped"]
    assert set(report.findings[0].person_ids) == {"p2", "p5"}
    message = report.findings[0].message
    assert message.startswith(f"{p2.describe()}: email swapped with {p5.describe()}")
    assert "name" not in message.replace(p2.describe(), "").replace(p5.describe(), "").lower()


def test_an_employee_id_swap_is_one_finding_naming_both() -> None:
    p2, p5 = TEN[1], TEN[4]
    records = [
        record(p, employee_id=p5.employee_id)
        if p is p2
        else record(p, employee_id=p2.employee_id)
        if p is p5
        else record(p)
        for p in TEN
    ]
    report = check(TEN, *records)
    assert codes(report) == ["employee_id_swapped"]
    assert report.findings[0].message.startswith(
        f"{p2.describe()}: Employee Id swapped with {p5.describe()}"
    )


def test_two_identity_fields_at_once_include_the_employee_id() -> None:
    p3 = TEN[2]
    records = [
        record(p, employee_id="E-NEW", name="Someone Else") if p is p3 else record(p) for p in TEN
    ]
    report = check(TEN, *records)
    assert codes(report) == ["identity_change"]
    assert report.findings[0].fields == ("employee_id", "name")


def test_an_email_moving_to_another_person_is_a_finding() -> None:
    p2, p5 = TEN[1], TEN[4]
    records = [
        record(p, email=p5.email)
        if p is p2
        else record(p, email="new5@acme.example")
        if p is p5
        else record(p)
        for p in TEN
    ]
    report = check(TEN, *records)
    assert codes(report) == ["email_moved"]
    assert report.findings[0].person_ids == ("p5", "p2")


def test_a_new_person_taking_a_current_persons_email_is_a_finding() -> None:
    p5 = TEN[4]
    newcomer = record(person(99), email=p5.email.upper() if p5.email else None)
    records = [record(p, email="renamed@acme.example") if p is p5 else record(p) for p in TEN]
    report = check(TEN, *records, newcomer)
    assert "email_moved" in codes(report)
    moved = next(f for f in report.findings if f.code == "email_moved")
    assert moved.person_ids == ("p5",)
    assert moved.message.startswith("A new person (Person 99")


def test_mass_leavers_above_the_share_and_the_count() -> None:
    two_gone = [record(p) for p in TEN[2:]]  # 2 of 10 leave: 20%, not more
    assert check(TEN, *two_gone, count=1).findings == ()
    three_gone = [record(p) for p in TEN[3:]]  # 30%
    report = check(TEN, *three_gone, count=1)
    assert codes(report) == ["mass_leavers"]
    assert set(report.findings[0].person_ids) == {"p1", "p2", "p3"}
    assert "3 of 10 active people would leave (30%)" in report.findings[0].message


def test_mass_leavers_need_both_the_share_and_the_count() -> None:
    thirty = [person(n) for n in range(1, 31)]
    seven_gone = [record(p) for p in thirty[7:]]
    report = check(thirty, *seven_gone)  # the defaults: more than 20% and at least 5
    assert codes(report) == ["mass_leavers"]
    assert report.findings[0].message.startswith(
        "7 of 30 active people would leave (23%); the account flags more than 20% and at least 5"
    )
    nine = [person(n) for n in range(1, 10)]
    assert check(nine, *(record(p) for p in nine[2:])).findings == ()  # 2 of 9: 22%, < 5
    three = [person(n) for n in range(1, 4)]
    assert check(three, *(record(p) for p in three[1:])).findings == ()  # 1 of 3
    twenty = [person(n) for n in range(1, 21)]
    assert codes(check(twenty, *(record(p) for p in twenty[5:]))) == ["mass_leavers"]  # 5, 25%
    assert check(thirty, *(record(p) for p in thirty[6:])).findings == ()  # 6 of 30: 20%


def test_mass_leavers_with_a_count_and_a_share() -> None:
    three_gone = [record(p) for p in TEN[3:]]
    assert check(TEN, *three_gone, count=4).findings == ()
    assert codes(check(TEN, *three_gone, count=3)) == ["mass_leavers"]
    assert check(TEN, *three_gone, share=0.5, count=1).findings == ()


def test_former_people_do_not_count_as_active() -> None:
    directory = [*TEN[:5], *(person(n, status="former") for n in range(6, 11))]
    report = check(directory, *(record(p) for p in directory[1:5]))  # 1 of 5 active: 20%
    assert report.findings == ()


@pytest.mark.parametrize("status", ["FAILED", "PAUSED", "SYNCING", "DISABLED", "UNKNOWN"])
def test_a_source_whose_sync_is_not_done_is_stale(status: str) -> None:
    source = SourceState(status=status, provider="Justworks")
    report = check(TEN, *(record(p) for p in TEN), source=source)
    assert codes(report) == ["source_not_ready"]
    assert report.findings[0].message.startswith("Justworks reports that")


@pytest.mark.parametrize("status", ["DONE", "PARTIALLY_SYNCED", "done"])
def test_a_source_that_finished_is_fresh(status: str) -> None:
    report = check(TEN, *(record(p) for p in TEN), source=SourceState(status=status))
    assert report.findings == ()


def test_reasons_come_privacy_first_and_round_trip() -> None:
    records = [record(p, name="X", email=f"x{p.id}@acme.example") for p in TEN[4:]]
    report = check(TEN, *records, count=1, source=SourceState(status="FAILED"))
    assert report.reasons == (
        GuardReason.PRIVACY,
        GuardReason.MASS_LEAVER,
        GuardReason.STALE_SOURCE,
    )
    assert GuardReport.from_dicts(report.to_dicts()) == report


def test_the_guard_is_pure() -> None:
    tree = ast.parse(Path(guard_module.__file__).read_text())
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    allowed = ("peoplesync.core.", "__future__", "enum", "collections", "dataclasses", "typing")
    assert all(name.startswith(allowed) for name in imported), imported
