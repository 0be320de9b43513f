"""The Employee model as Merge defines it (docs/merge-facts.md), one test per mapping rule."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peoplesync.core.issues import Issue
from peoplesync.errors import ProviderProtocolError
from peoplesync.sources.merge.client import MergeClient
from peoplesync.sources.merge.dates import NotADateError, parse_date
from peoplesync.sources.merge.fetch import fetch_employees
from peoplesync.sources.merge.fields import enum_label
from peoplesync.sources.merge.mapping import expected_keys, is_leaver, map_employee

BASE: dict[str, Any] = {
    "id": "m-1",
    "remote_id": "jw-1",
    "first_name": "Damian",
    "last_name": "Binner",
    "preferred_name": "Sunny",
    "display_full_name": "Sunny Binner",
    "work_email": "damian@acme.example",
    "employment_status": "ACTIVE",
    "start_date": "2020-01-06T00:00:00Z",
    "termination_date": None,
    "remote_was_deleted": False,
}


def mapped(issues: list[Issue] | None = None, **changes: Any) -> Any:
    record = map_employee(BASE | changes, issues=issues)
    assert record is not None
    return record


def test_the_legal_name_is_first_and_last_and_the_preferred_name_stays_apart() -> None:
    record = mapped()
    assert (record.name, record.preferred_name) == ("Damian Binner", "Sunny")
    # Only without first and last name does the display name stand in.
    assert mapped(first_name=None, last_name="").name == "Sunny Binner"
    assert mapped(first_name="Cher", last_name=None).name == "Cher"


def test_the_team_comes_from_the_groups_then_the_deprecated_team() -> None:
    department = {"id": "g1", "name": "Engineering", "type": "DEPARTMENT"}
    team = {"id": "g2", "name": "Platform", "type": "TEAM"}
    usual = {"id": "g3", "name": "Core", "type": "GROUP", "is_commonly_used_as_team": True}
    gone = {"id": "g4", "name": "Old", "type": "TEAM", "remote_was_deleted": True}
    legacy = {"team": {"id": "t", "name": "Legacy"}}
    assert mapped(groups=[department, None, usual, team], team=legacy["team"]).demographics[
        "Team"
    ] == ("Platform")
    assert mapped(groups=[department, usual], team=legacy["team"]).demographics["Team"] == "Core"
    assert mapped(groups=[gone, "g5"], team=legacy["team"]).demographics["Team"] == "Legacy"
    assert "Team" not in mapped(groups=[department], team=None).demographics
    # A TEAM without a name gives way; of two groups commonly used as teams, the first counts.
    unnamed = {"id": "g6", "name": " ", "type": "TEAM"}
    other = {"id": "g7", "name": "Edge", "type": "GROUP", "is_commonly_used_as_team": True}
    assert mapped(groups=[unnamed, usual, other], team=None).demographics["Team"] == "Core"
    assert mapped(groups=[other, unnamed, usual, team], team=None).demographics["Team"] == (
        "Platform"
    )
    # A record carrying neither key is refused (a missing key is not an empty one).
    expected = expected_keys(set(), {"team": "Team"})
    assert map_employee(BASE | {"groups": []}, expected=expected) is not None
    assert map_employee(BASE | legacy, expected=expected) is not None
    with pytest.raises(ProviderProtocolError, match="no 'groups' field"):
        map_employee(BASE, expected=expected)


def test_inactive_without_a_termination_date_is_a_leaver() -> None:
    assert is_leaver(BASE | {"employment_status": "INACTIVE"})
    assert is_leaver(BASE | {"employment_status": "inactive", "termination_date": ""})
    dated = BASE | {"employment_status": "INACTIVE", "termination_date": "2024-05-31T00:00:00Z"}
    assert not is_leaver(dated)
    assert mapped(**dated).end_date == date(2024, 5, 31)
    assert not is_leaver(BASE)
    assert not is_leaver(BASE | {"employment_status": "PENDING"})


def test_pending_is_a_future_start_without_the_earlier_termination() -> None:
    rehire = mapped(
        employment_status="PENDING",
        start_date="2031-02-03T00:00:00Z",
        termination_date="2022-01-31T00:00:00Z",
    )
    assert (rehire.start_date, rehire.end_date) == (date(2031, 2, 3), None)
    # An ACTIVE record keeps what it says (the validator names an end before the start).
    active = mapped(start_date="2031-02-03T00:00:00Z", termination_date="2022-01-31T00:00:00Z")
    assert active.end_date == date(2022, 1, 31)


def test_the_latest_employment_is_by_parsed_effective_date_then_modified_at() -> None:
    def job(title: str, effective: str, modified: str = "2020-01-01T00:00:00Z") -> dict[str, Any]:
        return {"job_title": title, "effective_date": effective, "modified_at": modified}

    # As text 2024-01-01T03:00+09:00 sorts last; it is 2023-12-31T18:00Z, two hours earlier.
    earlier_later = [job("Lead", "2023-12-31T20:00:00Z"), job("Staff", "2024-01-01T03:00:00+09:00")]
    assert mapped(employments=earlier_later).demographics["Job Title"] == "Lead"
    assert (
        mapped(employments=[job("A", "2024-02-01"), job("B", "2024-10-01")]).demographics[
            "Job Title"
        ]
        == "B"
    )
    tie = [
        job("Newer", "2024-01-01T00:00:00Z", "2024-03-01T00:00:00Z"),
        job("Older", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"),
    ]
    assert mapped(employments=tie).demographics["Job Title"] == "Newer"
    assert (
        mapped(employments=[job("Bad", "soon"), job("Good", "2001-01-01")]).demographics[
            "Job Title"
        ]
        == "Good"
    )


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2021-03-02T00:00:00+09:00", date(2021, 3, 2)),
        ("2021-03-02T00:00:00-08:00", date(2021, 3, 2)),
        ("2021-03-02T00:00:00Z", date(2021, 3, 2)),
        ("2021-03-02t00:00:00z", date(2021, 3, 2)),
        ("2021-03-02T00:00:00.000000Z", date(2021, 3, 2)),
        ("2021-03-02", date(2021, 3, 2)),
        ("2021-03-02T00:00:00", date(2021, 3, 2)),
    ],
)
def test_a_date_only_field_keeps_its_calendar_date_as_written(written: str, day: date) -> None:
    issues: list[Issue] = []
    assert mapped(issues, date_of_birth=written).birth_date == day
    assert issues == []


def test_a_late_utc_time_keeps_its_date_and_is_named_in_a_warning() -> None:
    issues: list[Issue] = []
    record = mapped(issues, start_date="2021-03-01T23:00:00Z")
    assert record.start_date == date(2021, 3, 1)
    (warning,) = issues
    assert not warning.blocking
    assert (warning.location, warning.field) == ("employee jw-1", "start_date")
    assert "2021-03-02" in warning.message
    assert "Damian Binner" in warning.message


@pytest.mark.parametrize("bad", ["31/12/2020", "2020-02-30", 20200101, "2020-01-01T25:00:00Z"])
def test_a_bad_value_costs_that_field_of_that_record_only(bad: object) -> None:
    issues: list[Issue] = []
    record = mapped(issues, date_of_birth=bad)
    assert record.birth_date is None
    assert record.start_date == date(2020, 1, 6)  # the rest of the record is read
    (error,) = issues
    assert error.blocking
    assert (error.location, error.field) == ("employee jw-1", "birth_date")
    with pytest.raises(NotADateError):
        parse_date(bad)


def test_a_fetch_reads_every_page_despite_a_bad_value_and_drops_inactive_leavers() -> None:
    people = [
        BASE,
        BASE | {"id": "m-2", "remote_id": "jw-2", "start_date": "yesterday"},
        BASE | {"id": "m-3", "remote_id": "jw-3", "employment_status": "INACTIVE"},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        if cursor is None:
            return httpx.Response(200, json={"next": "c2", "previous": None, "results": people[:2]})
        return httpx.Response(200, json={"next": None, "previous": "c1", "results": people[2:]})

    client = MergeClient(
        base_url="https://merge.test/api",
        api_key="k",
        account_token="t",
        transport=httpx.MockTransport(handler),
    )
    with client:
        fetched = fetch_employees(client, modified_after=None)
    assert sorted(r.source_id for r in fetched.records) == ["m-1", "m-2"]  # type: ignore[type-var]
    assert fetched.deleted_source_ids == {"m-3"}
    assert [(i.location, i.field) for i in fetched.issues] == [("employee jw-2", "start_date")]


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.text(max_size=30), st.integers(), st.sampled_from(["NON-BINARY", " FULL_TIME "]))
)
def test_an_enum_reads_the_same_however_often_it_is_read(value: object) -> None:
    """enum_label keeps the label of each spelling it has seen (a fetch reads a few values
    100,000 times): the kept label is the one the value gives, whatever it is."""
    text = str(value).strip() or None
    expected = (
        None
        if text is None
        else ({"NON-BINARY": "Non-binary"}.get(text) or text.replace("_", " ").capitalize())
    )
    assert enum_label(value) == expected
    assert enum_label(value) == expected  # read again: from what was kept
    assert enum_label(" FULL_TIME ") == "Full time"
