"""Integrations the sandbox plays, teams among the groups, opt-in quirks, created_at windows,
the request budget and the page latency."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
import pytest

from peoplesync.sandbox import SandboxServer
from peoplesync.sandbox.providers import INTEGRATIONS
from tests.sandbox.helpers import Hris

Json = dict[str, Any]


def account(sandbox: SandboxServer, **options: Any) -> Hris:
    created = sandbox.control.create_company(seed=4, size=120, initial_sync_seconds=0, **options)
    return Hris(sandbox.base_url, sandbox.api_key, created.account_token)


def supported(hris: Hris) -> set[str]:
    models = hris.json("/available-actions")["available_model_operations"]
    return set(next(m for m in models if m["model_name"] == "Employee")["supported_fields"])


def test_each_integration_lacks_other_fields_and_serves_them_null(sandbox: SandboxServer) -> None:
    fields = {}
    for slug in ("justworks", "bamboohr", "hibob"):
        hris = account(sandbox, integration=slug)
        fields[slug] = supported(hris)
        details = hris.json("/account-details")
        assert (details["integration"], details["integration_slug"]) == (
            INTEGRATIONS[slug].name,
            slug,
        )
        assert hris.json("/available-actions")["integration"]["slug"] == slug
        people, _ = hris.walk(page_size=100)
        for field in INTEGRATIONS[slug].missing:
            assert all(p[field] is None for p in people), (slug, field)
        hris.close()
    assert fields["justworks"] >= {"team", "employee_number", "date_of_birth", "ssn"}
    assert "team" not in fields["bamboohr"]
    assert {"employee_number", "date_of_birth"}.isdisjoint(fields["hibob"])
    assert len({frozenset(f) for f in fields.values()}) == 3


def test_every_employee_has_a_department_and_a_team_among_its_groups(
    sandbox: SandboxServer,
) -> None:
    for slug, team_type in (("justworks", "TEAM"), ("hibob", "GROUP")):
        hris = account(sandbox, integration=slug)
        people, _ = hris.walk(page_size=100, expand="groups,team")
        for person in people:
            department, team = person["groups"]
            assert (department["type"], department["is_commonly_used_as_team"]) == (
                "DEPARTMENT",
                False,
            )
            assert (team["type"], team["is_commonly_used_as_team"]) == (team_type, True)
            if person["team"] is not None:
                assert team["name"] == person["team"]["name"]
        someone = people[50]
        team_id = someone["groups"][1]["id"]
        members, _ = hris.walk(page_size=100, groups=team_id)
        assert someone["id"] in {m["id"] for m in members}
        assert {m["groups"][1]["id"] for m in hris.walk(groups=team_id, expand="groups")[0]} == {
            team_id
        }
        group = hris.json(f"/groups/{team_id}")
        assert group["parent_group"] in {None, someone["groups"][0]["id"]}
        hris.close()


def test_quirks_are_off_by_default_and_on_when_asked(sandbox: SandboxServer) -> None:
    plain = account(sandbox)
    people, _ = plain.walk(page_size=100, expand="employments")
    stamps = [p[f] for p in people for f in ("start_date", "modified_at") if p[f]]
    assert all(s.endswith("Z") for s in stamps)
    assert all(p["team"] is not None for p in people)
    plain.close()
    odd = account(sandbox, quirks=True)
    people, _ = odd.walk(page_size=100, expand="employments")
    by_index = {int(p["employee_number"]) - 1: p for p in people if p["employee_number"]}
    assert by_index[1]["start_date"].endswith("T00:00:00+09:00")
    assert by_index[5]["start_date"].endswith("+05:30")
    assert by_index[8]["employments"][0]["effective_date"].endswith("+09:00")
    assert by_index[4]["modified_at"].endswith("z")
    assert by_index[4]["start_date"].endswith("T00:00:00z")
    assert by_index[3]["team"] is None
    assert [g is not None for g in by_index[3]["groups"]] == [True, True]
    undated = [
        p for p in people if p["employment_status"] == "INACTIVE" and not p["termination_date"]
    ]
    assert undated
    assert odd.json("/employees", page_size=1)["results"]  # still a working company
    odd.close()


def test_only_some_quirks_can_be_asked_for(sandbox: SandboxServer) -> None:
    hris = account(sandbox, quirks=["team_null"])
    people, _ = hris.walk(page_size=100)
    assert any(p["team"] is None for p in people)
    assert all(p["modified_at"].endswith("Z") for p in people)
    hris.close()


def test_disjoint_created_windows_split_the_company(sandbox: SandboxServer) -> None:
    hris = account(sandbox)
    everyone, _ = hris.walk(page_size=100)
    created = sorted(p["created_at"] for p in everyone)
    assert len(set(created)) == len(created)  # an initial sync creates them one by one
    middle = created[60]
    first, _ = hris.walk(page_size=100, created_before=middle)
    second, _ = hris.walk(page_size=100, created_after=middle)
    exact, _ = hris.walk(page_size=100, created_after=created[59], created_before=created[61])
    assert len(first) == 60
    assert len(second) == len(everyone) - 61  # both bounds are strict
    assert [p["created_at"] for p in exact] == [middle]
    ids = Counter(p["id"] for p in (*first, *second, *exact))
    assert set(ids) == {p["id"] for p in everyone}
    assert max(ids.values()) == 1
    hris.close()


def test_a_plan_budget_answers_429_with_retry_after(sandbox: SandboxServer) -> None:
    hris = account(sandbox, plan="launch")
    answers = [hris.get("/sync-status").status_code for _ in range(101)]
    assert answers[:100] == [200] * 100
    assert answers[100] == 429
    throttled = hris.get("/employees")
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert "throttled" in throttled.json()["detail"]
    assert sandbox.control.account(hris.token)["rate_limit_per_minute"] == 100
    other = account(sandbox)  # the budget is per linked account
    assert other.get("/sync-status").status_code == 200
    hris.close()
    other.close()


def test_page_latency_slows_list_pages_only(sandbox: SandboxServer) -> None:
    hris = account(sandbox, page_latency_seconds=0.3)
    started = time.monotonic()
    hris.json("/employees", page_size=10)
    page = time.monotonic() - started
    started = time.monotonic()
    hris.json("/sync-status")
    status = time.monotonic() - started
    assert page >= 0.3
    assert status < 0.3
    hris.close()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"integration": "workday"}, "integration"),
        ({"quirks": ["sideways"]}, "unknown quirks sideways"),
        ({"plan": "gold"}, "plan"),
    ],
)
def test_bad_company_options_are_clear_400s(
    sandbox: SandboxServer, body: Json, message: str
) -> None:
    answer = httpx.post(f"{sandbox.url}/control/companies", json={"size": 20, **body})
    assert answer.status_code in {400, 422}
    assert message in answer.text
