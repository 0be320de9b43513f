"""One test per validation rule: severity, code, field, location, a message naming the record."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from peoplesync.core.employee import SourceEmployee
from peoplesync.core.issues import Issue, Severity, ValidationReport
from peoplesync.core.validate import validate
from tests.factories.employees import (
    ALL_FIELDS,
    TODAY,
    reporting_to,
    snapshot,
    source_employee,
)


def check(*records: SourceEmployee, provided: frozenset[str] = ALL_FIELDS) -> ValidationReport:
    return validate(snapshot(records, provided), today=TODAY)


def company(*extra: SourceEmployee) -> list[SourceEmployee]:
    """A valid company: employee 1 at the top, 2 to 4 reporting to them, then `extra`."""
    return [source_employee(1), *reporting_to(1, 2, 3, 4), *extra]


def only(report: ValidationReport, code: str) -> Issue:
    found = [i for i in report.issues if i.code == code]
    assert len(found) == 1, report.issues
    return found[0]


def assert_names_record(issue: Issue, rec: SourceEmployee, label: str) -> None:
    """The issue points at `rec` (location, name, email) and names the field by its label."""
    assert issue.location == rec.location
    assert rec.location in issue.message
    if rec.name:
        assert rec.name in issue.message
    if rec.email:
        assert rec.email in issue.message
    assert label in issue.message
    assert issue.hint


def test_a_valid_company_has_no_issues() -> None:
    report = check(*company())

    assert report.issues == ()
    assert report.ok


# --- record rules -----------------------------------------------------------------------------


def test_missing_name_is_an_error_on_the_name_field() -> None:
    bad = source_employee(5, name=None, manager_source_id="src-1")

    issue = only(check(*company(bad)), "missing_name")

    assert issue.severity is Severity.ERROR
    assert issue.field == "name"
    assert_names_record(issue, bad, "Name")
    assert "(no name)" in issue.message


def test_missing_name_is_not_reported_when_the_source_does_not_carry_names() -> None:
    bad = source_employee(5, name=None, manager_source_id="src-1")

    report = check(*company(bad), provided=ALL_FIELDS - {"name"})

    assert [i.code for i in report.issues] == []


def test_missing_email_is_an_error_on_the_email_field() -> None:
    bad = source_employee(5, email=None, manager_source_id="src-1")

    report = check(*company(bad))
    issue = only(report, "missing_email")

    assert issue.severity is Severity.ERROR
    assert issue.field == "email"
    assert_names_record(issue, bad, "Email")
    assert "is missing" in issue.message
    assert not report.ok


@pytest.mark.parametrize(
    "address", ["ada.example.com", "ada@", "ada@@example.com", "ada@ex ample.com"]
)
def test_malformed_email_is_an_error_quoting_the_address(address: str) -> None:
    bad = source_employee(5, email=address, manager_source_id="src-1")

    issue = only(check(*company(bad)), "invalid_email")

    assert issue.severity is Severity.ERROR
    assert issue.field == "email"
    assert_names_record(issue, bad, "Email")
    assert f"'{address}' is not a valid email address" in issue.message


def test_end_date_before_start_date_is_an_error_on_the_end_date() -> None:
    bad = source_employee(
        5, start_date=date(2024, 3, 1), end_date=date(2024, 2, 29), manager_source_id="src-1"
    )

    issue = only(check(*company(bad)), "end_before_start")

    assert issue.severity is Severity.ERROR
    assert issue.field == "end_date"
    assert_names_record(issue, bad, "End Date")
    assert "2024-02-29" in issue.message
    assert "2024-03-01" in issue.message


def test_end_date_on_the_start_date_is_fine() -> None:
    one_day = source_employee(
        5, start_date=date(2024, 3, 1), end_date=date(2024, 3, 1), manager_source_id="src-1"
    )

    assert check(*company(one_day)).issues == ()


@pytest.mark.parametrize(
    ("born", "start", "why"),
    [
        (date(2026, 11, 26), None, "2026-11-26 is in the future"),
        (date(1899, 12, 31), None, "1899-12-31 is before 1900-01-01"),
        (date(2020, 1, 6), date(2020, 1, 6), "2020-01-06 is not before the Start Date 2020-01-06"),
    ],
)
def test_impossible_birth_date_is_an_error_saying_why(
    born: date, start: date | None, why: str
) -> None:
    bad = source_employee(5, birth_date=born, start_date=start, manager_source_id="src-1")

    issue = only(check(*company(bad)), "impossible_birth_date")

    assert issue.severity is Severity.ERROR
    assert issue.field == "birth_date"
    assert_names_record(issue, bad, "Date of Birth")
    assert why in issue.message


@pytest.mark.parametrize("born", [date(1900, 1, 1), TODAY])
def test_birth_dates_on_the_bounds_are_possible(born: date) -> None:
    edge = source_employee(5, birth_date=born, start_date=None, manager_source_id="src-1")

    assert check(*company(edge)).issues == ()


# --- set rules --------------------------------------------------------------------------------


def test_duplicate_emails_differing_in_case_are_an_error_on_each_record() -> None:
    first = source_employee(5, email="Jo@acme.example", manager_source_id="src-1")
    second = source_employee(6, email="jo@ACME.example", manager_source_id="src-1")

    issues = [i for i in check(*company(first, second)).issues if i.code == "duplicate_email"]

    assert [i.location for i in issues] == [first.location, second.location]
    for issue, rec, other in ((issues[0], first, second), (issues[1], second, first)):
        assert issue.severity is Severity.ERROR
        assert issue.field == "email"
        assert_names_record(issue, rec, "Email")
        assert f"also used by {other.describe()}" in issue.message


def test_duplicate_employee_ids_are_an_error_on_each_record() -> None:
    first = source_employee(5, employee_id="E42", manager_source_id="src-1")
    second = source_employee(6, employee_id="E42", manager_source_id="src-1")

    issues = [i for i in check(*company(first, second)).issues if i.code == "duplicate_employee_id"]

    assert [i.location for i in issues] == [first.location, second.location]
    for issue, rec, other in ((issues[0], first, second), (issues[1], second, first)):
        assert issue.severity is Severity.ERROR
        assert issue.field == "employee_id"
        assert_names_record(issue, rec, "Employee Id")
        assert "'E42'" in issue.message
        assert other.describe() in issue.message


def test_duplicate_source_ids_are_an_error_on_each_record() -> None:
    first = source_employee(5, source_id="x-1", manager_source_id="src-1")
    second = source_employee(6, source_id="x-1", manager_source_id="src-1")

    issues = [i for i in check(*company(first, second)).issues if i.code == "duplicate_source_id"]

    assert [i.location for i in issues] == [first.location, second.location]
    for issue, rec in zip(issues, (first, second), strict=True):
        assert issue.severity is Severity.ERROR
        assert issue.field == "source_id"
        assert_names_record(issue, rec, "Source ID")
        assert "'x-1'" in issue.message


def test_three_records_sharing_an_email_each_name_both_others() -> None:
    recs = [
        source_employee(n, email="same@acme.example", manager_source_id="src-1") for n in (5, 6, 7)
    ]

    issues = [i for i in check(*company(*recs)).issues if i.code == "duplicate_email"]

    assert len(issues) == 3
    for issue, rec in zip(issues, recs, strict=True):
        others = [r for r in recs if r is not rec]
        assert all(o.location in issue.message for o in others)


@pytest.mark.parametrize(
    ("bad", "ref"),
    [
        (source_employee(5, manager_source_id="src-99"), "src-99"),
        (source_employee(5, manager_email="gone@acme.example"), "gone@acme.example"),
    ],
    ids=["by-source-id", "by-email"],
)
def test_manager_not_in_the_list_is_an_error_on_the_manager_field(
    bad: SourceEmployee, ref: str
) -> None:

    issue = only(check(*company(bad)), "manager_not_found")

    assert issue.severity is Severity.ERROR
    assert issue.field == "manager"
    assert_names_record(issue, bad, "Manager")
    assert f"'{ref}' is not in your employee list" in issue.message


def test_manager_email_matches_case_insensitively() -> None:
    managed = source_employee(5, manager_email="PERSON1@Acme.Example")

    assert check(*company(managed)).issues == ()


def test_self_manager_is_an_error_on_the_manager_field() -> None:
    bad = source_employee(5, manager_email="person5@acme.example")

    report = check(*company(bad))
    issue = only(report, "self_manager")

    assert issue.severity is Severity.ERROR
    assert issue.field == "manager"
    assert_names_record(issue, bad, "Manager")
    assert "themself" in issue.message
    assert [i.code for i in report.issues] == ["self_manager"]


@pytest.mark.parametrize("length", [2, 3, 5])
def test_a_reporting_loop_is_reported_once_naming_every_member(length: int) -> None:
    members = range(10, 10 + length)
    loop = [
        source_employee(n, manager_source_id=f"src-{10 + (i + 1) % length}")
        for i, n in enumerate(members)
    ]

    report = check(*company(*loop))
    issue = only(report, "reporting_loop")

    assert issue.severity is Severity.ERROR
    assert issue.field == "manager"
    assert_names_record(issue, loop[0], "Manager")
    for rec in loop:
        assert rec.describe() in issue.message
    assert issue.message.count(" -> ") == length
    assert not report.ok


def test_two_separate_loops_are_two_issues() -> None:
    pair = [
        source_employee(10, manager_source_id="src-11"),
        source_employee(11, manager_source_id="src-10"),
    ]
    trio = [
        source_employee(20, manager_email="person21@acme.example"),
        source_employee(21, manager_email="person22@acme.example"),
        source_employee(22, manager_email="person20@acme.example"),
    ]

    issues = [i for i in check(*company(*pair, *trio)).issues if i.code == "reporting_loop"]

    assert sorted(str(i.location) for i in issues) == ["row 11", "row 21"]


def test_people_hanging_below_a_loop_do_not_make_another_loop_issue() -> None:
    loop = [
        source_employee(10, manager_source_id="src-11"),
        source_employee(11, manager_source_id="src-10"),
    ]
    below = reporting_to(10, 12, 13)

    issues = [i for i in check(*company(*loop, *below)).issues if i.code == "reporting_loop"]

    assert len(issues) == 1


def test_several_people_without_a_manager_is_a_warning_naming_them() -> None:
    second_top = source_employee(5)
    third_top = source_employee(6)

    report = check(*company(second_top, third_top))
    issue = only(report, "several_without_manager")

    assert issue.severity is Severity.WARNING
    assert issue.field == "manager"
    assert issue.location is None
    assert "3 active employees have no manager" in issue.message
    for rec in (source_employee(1), second_top, third_top):
        assert rec.describe() in issue.message
    assert report.ok
    assert report.warnings == (issue,)
    assert report.errors == ()


def test_several_without_manager_names_ten_and_counts_the_rest() -> None:
    tops = [source_employee(n) for n in range(1, 13)]

    issue = only(check(*tops), "several_without_manager")

    assert "12 active employees" in issue.message
    assert tops[9].describe() in issue.message
    assert tops[10].describe() not in issue.message
    assert issue.message.endswith("and 2 more.")


def test_leavers_without_a_manager_do_not_count_as_tops() -> None:
    leaver = source_employee(5, end_date=TODAY - timedelta(days=1))

    report = check(*company(leaver))

    assert report.issues == ()


def test_a_person_on_their_last_day_still_counts_as_active() -> None:
    last_day = source_employee(5, end_date=TODAY)

    report = check(*company(last_day))

    assert [i.code for i in report.issues] == ["several_without_manager"]


def test_hierarchy_rules_are_skipped_when_the_source_has_no_managers() -> None:
    records = [
        source_employee(1),
        source_employee(2),
        source_employee(3, manager_source_id="src-9"),
    ]

    report = check(*records, provided=ALL_FIELDS - {"manager"})

    assert report.issues == ()


def test_an_issue_round_trips_through_its_dict() -> None:
    issue = only(
        check(*company(source_employee(5, name=None, manager_source_id="src-1"))), "missing_name"
    )

    assert Issue.from_dict(issue.to_dict()) == issue
