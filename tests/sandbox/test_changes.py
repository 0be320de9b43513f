"""HR changes through the control API, and what an incremental fetch sees of them."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import httpx

from peoplesync.sandbox import SandboxAccount, SandboxServer
from tests.sandbox.helpers import Hris, Json


def employees_by_id(hris: Hris, **params: Any) -> dict[str, Json]:
    found, _ = hris.walk(page_size=100, **params)
    return {e["id"]: e for e in found}


def test_modified_after_returns_only_the_changed_records(
    sandbox: SandboxServer, hris: Hris, company: SandboxAccount
) -> None:
    token, control = company.account_token, sandbox.control
    before = employees_by_id(hris)
    since = max(e["modified_at"] for e in before.values())
    assert hris.json("/employees", modified_after=since)["results"] == []
    ids = list(before)
    renamed = control.rename(token, ids[3], last_name="Okafor")
    control.change_email(token, ids[4], "new.address@example.com")
    control.set_preferred_name(token, ids[5], "Sunny")
    control.move_manager(token, ids[6], ids[1])
    control.terminate(token, ids[7], date(2026, 1, 15))
    hired = control.hire(token, first_name="Zoë", last_name="Nakamura", manager_id=ids[0])
    changed = employees_by_id(hris, modified_after=since)
    assert list(changed) == [*ids[3:8], hired["id"]]  # in the order they changed
    assert changed[ids[3]]["last_name"] == "Okafor"
    assert renamed["modified_at"] > since
    assert changed[ids[4]]["work_email"] == "new.address@example.com"
    assert changed[ids[5]]["display_full_name"].startswith("Sunny ")
    assert changed[ids[6]]["manager"] == ids[1]
    assert changed[ids[7]]["employment_status"] == "INACTIVE"
    assert changed[ids[7]]["termination_date"] == "2026-01-15T00:00:00Z"
    assert changed[hired["id"]]["first_name"] == "Zoë"
    assert hired["manager"] == ids[0]
    assert len(employees_by_id(hris)) == 251
    strictly_after = employees_by_id(hris, modified_after=changed[ids[5]]["modified_at"])
    assert list(strictly_after) == [ids[6], ids[7], hired["id"]]


def test_swapped_emails_get_distinct_increasing_timestamps(
    sandbox: SandboxServer, hris: Hris, company: SandboxAccount
) -> None:
    first, second = hris.json("/employees", page_size=2)["results"]
    swapped = sandbox.control.swap_emails(company.account_token, first["id"], second["id"])
    assert [s["work_email"] for s in swapped] == [second["work_email"], first["work_email"]]
    assert first["modified_at"] < swapped[0]["modified_at"] < swapped[1]["modified_at"]


def test_rehire_moves_the_start_date_and_adds_an_employment(
    sandbox: SandboxServer, hris: Hris, company: SandboxAccount
) -> None:
    leaver = hris.json("/employees", employment_status="INACTIVE")["results"][0]
    back = sandbox.control.rehire(company.account_token, leaver["id"], date(2026, 11, 2))
    assert back["employment_status"] == "ACTIVE"
    assert back["termination_date"] is None
    assert back["start_date"] == "2026-11-02T00:00:00Z"
    assert back["hire_date"] < back["start_date"]
    assert len(back["employments"]) == len(leaver["employments"]) + 1
    newest = hris.json(f"/employments/{back['employments'][0]}")
    assert newest["effective_date"] == "2026-11-02T00:00:00Z"


def test_deleted_records_are_hidden_unless_include_deleted_data(
    sandbox: SandboxServer, hris: Hris, company: SandboxAccount
) -> None:
    victim = hris.json("/employees", page_size=9)["results"][8]
    sandbox.control.delete(company.account_token, victim["id"])
    visible = employees_by_id(hris)
    everything = employees_by_id(hris, include_deleted_data="true")
    assert victim["id"] not in visible
    assert len(visible) == 249
    assert everything[victim["id"]]["remote_was_deleted"] is True


def test_accounts_are_isolated(sandbox: SandboxServer, hris: Hris) -> None:
    other = sandbox.control.create_company(seed=11, size=250)
    other_hris = Hris(sandbox.base_url, sandbox.api_key, other.account_token)
    target = hris.json("/employees", page_size=1)["results"][0]
    sandbox.control.rename(other.account_token, target["id"], first_name="Changed")
    assert other_hris.json(f"/employees/{target['id']}")["first_name"] == "Changed"
    assert hris.json(f"/employees/{target['id']}")["first_name"] == target["first_name"]
    other_hris.close()


def test_bad_control_calls_say_what_is_wrong(
    sandbox: SandboxServer, company: SandboxAccount
) -> None:
    accounts = f"{sandbox.url}/control/accounts"
    token = company.account_token
    response = httpx.post(f"{accounts}/{token}/employees/nope/rename", json={"x": 1})
    assert response.status_code == 400
    assert "first_name" in response.json()["detail"]
    missing = httpx.post(f"{accounts}/{token}/employees/{'0' * 36}/delete")
    assert missing.status_code == 404
    assert "no employee" in missing.json()["detail"]
    assert httpx.get(f"{accounts}/unknown-token").status_code == 404


def test_incremental_fetch_of_a_large_company_reads_only_changed_pages(
    sandbox: SandboxServer,
) -> None:
    big = sandbox.control.create_company(seed=2, size=100_000)
    hris = Hris(sandbox.base_url, sandbox.api_key, big.account_token)
    since = hris.json("/employees", page_size=1)["results"][0]["modified_at"]
    changed = sandbox.control.churn(big.account_token, 1000, seed=4)
    started = time.perf_counter()
    fetched, pages = hris.walk(page_size=100, modified_after=since)
    elapsed = time.perf_counter() - started
    assert pages == 10
    assert {e["id"] for e in fetched} == set(changed)
    assert elapsed < 5.0  # ~0.2 s; scanning 100,000 generated records would take many seconds
    hris.close()
