"""Every accepted sync request has a run, and a failure is a failed run saying why (issue 19):
Merge's status call failing, a BOM-only file; an API-only setup learns that Merge's first sync
finished; a sync can be cancelled while it fetches. The real server, its worker, the sandbox."""

from __future__ import annotations

import time

import httpx

from tests.web.site import Site
from tests.web.tenants import wait_run


def connected(
    site: Site, name: str, *, initial_sync_seconds: float = 0
) -> tuple[httpx.Client, str]:
    account_id = site.account(name)
    api = site.api(site.token(account_id))
    company = site.sandbox.control.create_company(
        seed=5, size=30, initial_sync_seconds=initial_sync_seconds
    )
    time.sleep(0.06)
    answer = api.put("/api/v1/connections/justworks", json={"account_token": company.account_token})
    assert answer.status_code == 200, answer.text
    return api, company.account_token


def test_a_failing_status_call_is_a_failed_run_that_says_why(site: Site) -> None:
    api, token = connected(site, "Status fails")
    site.sandbox.control.inject_fault(token, "error", status=400, endpoint="sync-status")
    queued = api.post("/api/v1/syncs")
    assert queued.status_code == 202, queued.text
    run = wait_run(api, queued.json()["run_id"], until={"failed"})
    assert "HTTP 400" in run["error"]
    assert "sync-status" in run["error"]


def test_a_file_of_only_a_bom_is_a_failed_run_that_says_why(site: Site) -> None:
    api = site.api(site.token(site.account("Bom")))
    queued = api.post("/api/v1/syncs/csv", files={"file": ("bom.csv", b"\xef\xbb\xbf", "text/csv")})
    assert queued.status_code == 202, queued.text
    run = wait_run(api, queued.json()["run_id"], until={"failed"})
    assert run["error"].startswith("Line 1: The file is empty.")


def test_an_api_only_setup_can_sync_once_merge_finished_its_first_sync(site: Site) -> None:
    # A first sync longer than the steps before the refusal take on a loaded machine (a second
    # was not: CI saw it finish first), ended on cue below.
    api, token = connected(site, "Api only", initial_sync_seconds=120.0)
    assert api.get("/api/v1/connections/justworks").json()["status"] == "initial_sync"
    refused = api.post("/api/v1/syncs")
    assert refused.status_code == 409  # Merge is still at it
    # Merge's first sync is done; nobody looked at the Justworks page.
    site.sandbox.control.set_sync_status(token, "DONE", is_initial_sync=False)
    queued = api.post("/api/v1/syncs")
    assert queued.status_code == 202, queued.text
    assert wait_run(api, queued.json()["run_id"], until={"awaiting_review"})


def test_the_periodic_check_marks_a_finished_first_sync_connected(site: Site) -> None:
    api, _ = connected(site, "Periodic", initial_sync_seconds=0.5)
    time.sleep(0.7)
    assert site.web.jobs.syncs.refresh_initial_syncs() >= 1
    assert api.get("/api/v1/connections/justworks").json()["status"] == "connected"


def test_a_fetching_sync_can_be_cancelled_from_its_page(site: Site) -> None:
    api, token = connected(site, "Cancel me")
    admin = site.login(_account_id(api), "cancel.admin@acme.example")
    site.sandbox.control.inject_fault(token, "slow", delay_seconds=3, endpoint="employees")
    run_id = api.post("/api/v1/syncs").json()["run_id"]
    wait_run(api, run_id, until={"fetching"})
    page = admin.get(f"/runs/{run_id}")
    assert f'action="/runs/{run_id}/cancel"' in page.text
    cancelled = admin.post(
        f"/runs/{run_id}/cancel", data={"csrf_token": admin.headers["X-CSRF-Token"]}
    )
    assert cancelled.status_code == 303, cancelled.text
    assert api.get(f"/api/v1/runs/{run_id}").json()["state"] == "cancelled"
    time.sleep(3.5)  # the worker's fetch ends: the run stays cancelled, nothing imported
    assert api.get(f"/api/v1/runs/{run_id}").json()["state"] == "cancelled"
    assert api.get("/api/v1/people").json()["total"] == 0


def _account_id(api: httpx.Client) -> int:
    return int(api.get("/api/v1/account").json()["id"])
