"""The synthetic company: deterministic, lazy, and as messy as a real HRIS."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from email_validator import validate_email

from peoplesync.sandbox.catalog import build_catalog
from peoplesync.sandbox.company import SyntheticCompany
from peoplesync.sandbox.ids import member_id, ordered_uuid, slot_of, slot_of_member
from peoplesync.sandbox.names import fold_latin
from peoplesync.sandbox.people import Person
from peoplesync.sandbox.records import EMPLOYEE_EXPANDS, RenderOptions, employee_json

EMPLOYEE_FIELDS = {
    "id", "remote_id", "created_at", "modified_at", "employee_number", "company", "first_name",
    "last_name", "preferred_name", "display_full_name", "username", "groups", "work_email",
    "personal_email", "mobile_phone_number", "employments", "home_location", "work_location",
    "manager", "team", "pay_group", "ssn", "gender", "ethnicity", "marital_status",
    "date_of_birth", "hire_date", "start_date", "remote_created_at", "employment_status",
    "termination_date", "avatar", "custom_fields", "employee_url", "remote_was_deleted",
    "field_mappings", "remote_data",
}  # fmt: skip


@pytest.fixture(scope="module")
def people() -> list[Person]:
    company = SyntheticCompany(3, 2000)
    return [company.person(i) for i in range(2000)]


def render_all(seed: int, size: int) -> list[dict[str, Any]]:
    cat = build_catalog(SyntheticCompany(seed, size), base_time=1_700_000_000_000_000)
    options = RenderOptions(expand=EMPLOYEE_EXPANDS, remote_data=True, sensitive=True)
    entries = (cat.employees.get(i) for i in range(size))
    return [employee_json(cat, entry, options) for entry in entries if entry is not None]


def test_same_seed_same_company_and_another_seed_another() -> None:
    first, again, other = render_all(5, 60), render_all(5, 60), render_all(6, 60)
    assert first == again
    assert [e["work_email"] for e in first] != [e["work_email"] for e in other]
    assert {e["id"] for e in first}.isdisjoint({e["id"] for e in other})


def test_every_employee_field_is_present_plus_forward_compatible_extras() -> None:
    record = render_all(5, 10)[0]
    assert set(record) == EMPLOYEE_FIELDS | {"pronouns"}
    assert record["field_mappings"]["organization_defined_targets"]["cost_center"]
    assert record["remote_data"][0]["path"].startswith("/v1/members/")


def test_reporting_tree_has_one_ceo_and_no_loops(people: list[Person]) -> None:
    roots = [p for p in people if p.manager is None]
    assert [p.index for p in roots] == [0]
    assert all(p.manager is not None and p.manager < p.index for p in people[1:])


def test_emails_are_unique_valid_ascii_at_the_company_domain(people: list[Person]) -> None:
    company = SyntheticCompany(3, 2000)
    emails = [p.work_email for p in people]
    assert len(set(emails)) == len(emails)
    for email in emails[:300]:
        assert email.isascii()
        assert email.endswith("@" + company.facts.domain)
        validate_email(email, check_deliverability=False)


def test_the_company_is_realistically_messy(people: list[Person]) -> None:
    statuses = Counter(p.employment_status for p in people)
    assert statuses["ACTIVE"] > 1500
    assert statuses["INACTIVE"] > 40
    assert statuses["PENDING"] > 0
    gone = [p for p in people if p.employment_status == "INACTIVE"]
    assert all(
        p.termination_date and p.start_date and p.termination_date > p.start_date for p in gone
    )
    rehired = [p for p in people if p.start_date and p.hire_date and p.start_date > p.hire_date]
    assert rehired
    assert all(len(p.employments) == 2 for p in rehired)
    assert sum(p.preferred_name is not None for p in people) > 100
    assert sum(p.date_of_birth is None for p in people) > 20
    assert sum(p.employee_number is None for p in people) > 10


def test_names_come_in_several_scripts(people: list[Person]) -> None:
    names = [p.first_name + p.last_name for p in people]
    scripts = {
        "latin": any(n.isascii() for n in names),
        "cyrillic": any("\u0400" <= ch <= "\u04ff" for n in names for ch in n),
        "cjk": any("\u4e00" <= ch <= "\u9fff" for n in names for ch in n),
        "devanagari": any("\u0900" <= ch <= "\u097f" for n in names for ch in n),
        "arabic": any("\u0600" <= ch <= "\u06ff" for n in names for ch in n),
    }
    assert all(scripts.values()), scripts


def test_a_million_people_cost_nothing_until_asked_for() -> None:
    started = time.perf_counter()
    company = SyntheticCompany(9, 1_000_000)
    last = company.person(999_999)
    assert time.perf_counter() - started < 3.0
    assert last.manager == (999_999 - 1) // 8


def test_ids_sort_by_slot_and_invert() -> None:
    ids = [ordered_uuid(4, "employee", slot) for slot in (0, 1, 2, 999_999)]
    assert ids == sorted(ids)
    assert slot_of(4, "employee", ids[3]) == 999_999
    assert slot_of(4, "employment", ids[3]) is None
    assert slot_of(4, "employee", "not-a-uuid") is None
    assert slot_of_member(4, member_id(4, 123_456)) == 123_456


def test_sizes_outside_the_supported_range_are_refused() -> None:
    with pytest.raises(ValueError, match="between 10 and 1000000"):
        SyntheticCompany(1, 9)


def test_accents_fold_to_ascii() -> None:
    assert fold_latin("José Müller-Łukasz") == "Jose Muller-Lukasz"
    assert fold_latin("王伟") is None
