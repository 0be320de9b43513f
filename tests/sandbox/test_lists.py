"""Merge's list and retrieve endpoints over real HTTP: envelope, cursors, expand, filters."""

from __future__ import annotations

import base64

from peoplesync.sandbox import SandboxAccount
from tests.sandbox.helpers import Hris

ALL_EXPANDS = "manager,team,work_location,home_location,employments,company,groups,pay_group"


def test_pagination_walks_every_employee_exactly_once_in_order(hris: Hris) -> None:
    employees, pages = hris.walk(page_size=100)
    ids = [e["id"] for e in employees]
    assert len(ids) == len(set(ids)) == 250
    assert pages == 3
    assert [(e["modified_at"], e["id"]) for e in employees] == sorted(
        (e["modified_at"], e["id"]) for e in employees
    )


def test_envelope_cursor_and_page_size(hris: Hris) -> None:
    page = hris.json("/employees")
    assert set(page) == {"next", "previous", "results"}
    assert len(page["results"]) == 30
    assert page["previous"] is None
    assert base64.b64decode(page["next"])  # a bare base64 cursor, not a URL
    assert len(hris.json("/employees", page_size=500)["results"]) == 100
    second = hris.json("/employees", cursor=page["next"])
    back = hris.json("/employees", cursor=second["previous"])
    assert [e["id"] for e in back["results"]] == [e["id"] for e in page["results"]]


def test_a_cursor_that_does_not_decode_is_a_404(hris: Hris) -> None:
    response = hris.get("/employees", cursor="bm90IGEgY3Vyc29y")
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


def test_expand_replaces_ids_with_objects_in_csv_or_repeated_form(hris: Hris) -> None:
    plain = hris.json("/employees", page_size=12)["results"][11]
    csv = hris.json("/employees", page_size=12, expand=ALL_EXPANDS)["results"][11]
    repeated = hris.get("/employees", page_size=12, expand=["manager", "team"]).json()
    assert isinstance(plain["manager"], str)
    assert csv["manager"]["id"] == plain["manager"]
    assert isinstance(csv["manager"]["team"], str)  # nested objects are not expanded again
    assert csv["team"]["id"] == plain["team"]
    assert csv["company"]["id"] == plain["company"]
    assert [job["id"] for job in csv["employments"]] == plain["employments"]
    assert repeated["results"][11]["team"]["name"]


def test_an_unknown_expand_is_a_400(hris: Hris) -> None:
    response = hris.get("/employees", expand="manager,salary")
    assert response.status_code == 400
    assert "salary" in response.json()["expand"][0]


def test_remote_data_and_sensitive_fields_only_when_asked(hris: Hris) -> None:
    plain = hris.json("/employees", page_size=100)["results"]
    full = hris.json(
        "/employees", page_size=100, include_remote_data="true", include_sensitive_fields="true"
    )["results"]
    assert all(e["remote_data"] is None and e["ssn"] is None for e in plain)
    assert all(e["remote_data"][0]["data"]["id"] == e["remote_id"] for e in full)
    assert any(e["ssn"] for e in full)


def test_filters_by_status_email_remote_id_manager_and_team(hris: Hris) -> None:
    everyone, _ = hris.walk(page_size=100)
    inactive, _ = hris.walk(page_size=100, employment_status="INACTIVE")
    assert inactive
    assert {e["employment_status"] for e in inactive} == {"INACTIVE"}
    assert len(inactive) == sum(e["employment_status"] == "INACTIVE" for e in everyone)
    target = everyone[57]
    by_email = hris.json("/employees", work_email=target["work_email"].upper())["results"]
    assert [e["id"] for e in by_email] == [target["id"]]
    by_remote = hris.json("/employees", remote_id=target["remote_id"])["results"]
    assert [e["id"] for e in by_remote] == [target["id"]]
    reports = hris.json("/employees", manager_id=target["manager"])["results"]
    expected = [e["id"] for e in everyone if e["manager"] == target["manager"]]
    assert [e["id"] for e in reports] == expected
    assert target["id"] in expected
    team, _ = hris.walk(page_size=100, team_id=target["team"])
    assert {e["team"] for e in team} == {target["team"]}
    assert target["id"] in {e["id"] for e in team}


def test_a_malformed_filter_is_a_400_in_drf_shape(hris: Hris) -> None:
    bad_date = hris.get("/employees", modified_after="yesterday")
    bad_status = hris.get("/employees", employment_status="RETIRED")
    assert bad_date.status_code == 400
    assert "modified_after" in bad_date.json()
    assert bad_status.status_code == 400
    assert "employment_status" in bad_status.json()


def test_retrieve_one_and_404_for_unknown_ids(hris: Hris) -> None:
    first = hris.json("/employees", page_size=1)["results"][0]
    again = hris.json(f"/employees/{first['id']}", expand="manager")
    assert again["id"] == first["id"]
    assert again["work_email"] == first["work_email"]
    missing = hris.get("/employees/0a3bce26-e010-4760-aae9-44710521c925")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found."}


def test_the_other_models_list_and_resolve_the_employee_references(hris: Hris) -> None:
    employee = hris.json("/employees", page_size=20)["results"][19]
    team = hris.json(f"/teams/{employee['team']}", expand="parent_team")
    assert team["name"]
    assert team["parent_team"]["parent_team"] is None
    job = hris.json(f"/employments/{employee['employments'][0]}", expand="employee")
    assert job["employee"]["id"] == employee["id"]
    assert job["employment_type"]
    jobs = hris.json("/employments", employee_id=employee["id"])["results"]
    assert [j["id"] for j in jobs] == sorted(employee["employments"])
    companies = hris.json("/companies")["results"]
    assert [c["id"] for c in companies] == [employee["company"]]
    offices = hris.json("/locations", location_type="WORK")["results"]
    assert employee["work_location"] is None or employee["work_location"] in {
        o["id"] for o in offices
    }
    assert hris.json("/groups")["results"]
    assert hris.json("/pay-groups")["results"]


def test_account_details_and_available_actions(hris: Hris, company: SandboxAccount) -> None:
    details = hris.json("/account-details")
    assert details["id"] == company.linked_account_id
    assert details["integration_slug"] == "justworks"
    assert details["category"] == "hris"
    actions = hris.json("/available-actions")
    employee = next(
        m for m in actions["available_model_operations"] if m["model_name"] == "Employee"
    )
    assert "work_email" in employee["supported_fields"]
    assert "ethnicity" not in employee["supported_fields"]


def test_date_and_name_filters_and_raw_enum_values(hris: Hris) -> None:
    everyone, _ = hris.walk(page_size=100)
    pivot = everyone[100]
    later, _ = hris.walk(page_size=100, started_after=pivot["start_date"])
    expected = [e["id"] for e in everyone if (e["start_date"] or "") > pivot["start_date"]]
    assert [e["id"] for e in later] == expected
    assert pivot["id"] not in expected
    named = hris.json("/employees", first_name=pivot["first_name"])["results"]
    assert pivot["id"] in {e["id"] for e in named}
    raw = hris.json("/employees", page_size=100, show_enum_origins="employment_status")
    assert {e["employment_status"] for e in raw["results"]} <= {
        "active",
        "terminated",
        "onboarding",
    }
