"""Two accounts with data (one with hostile values), and helpers to drive imports over the API."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from peoplesync.store.db import unit_of_work
from peoplesync.store.models import HeldChange
from tests.web.site import Site

NOW = datetime.now(UTC)
HOSTILE = '<script>alert("x")</script> Mallory'
QUOTED_HOSTILE = HOSTILE.replace('"', '""')
CSV_WITH_HOSTILE_NAME = (
    "Name,Preferred Name,Employee Id,Email,Date of Birth,Start Date,End Date,Manager Email,Team\n"
    f'"{QUOTED_HOSTILE}",,H1,mallory@beta.example,1990-01-01,2020-01-01,,,<b>Red</b>\n'
    "Bob Stone,,H2,bob@beta.example,1980-01-01,2019-01-01,,mallory@beta.example,Blue\n"
)


def wait_run(api: httpx.Client, run_id: int | None = None, *, until: set[str]) -> dict[str, Any]:
    """Poll the API until the (latest) run reaches one of `until`."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = api.get("/api/v1/runs").json()["runs"]
        found = next((r for r in runs if run_id is None or r["id"] == run_id), None)
        if found and found["state"] in until:
            return dict(found)
        time.sleep(0.05)
    raise AssertionError(f"no run reached {until}")


def import_csv(api: httpx.Client, data: bytes, name: str) -> dict[str, Any]:
    queued = api.post("/api/v1/syncs/csv", files={"file": (name, data, "text/csv")})
    assert queued.status_code == 202, queued.text
    run = wait_run(api, until={"awaiting_review", "blocked", "failed"})
    assert run["state"] == "awaiting_review", run
    applied = api.post(f"/api/v1/runs/{run['id']}/apply", json={"confirm": False})
    assert applied.status_code == 202, applied.text
    return wait_run(api, run["id"], until={"succeeded", "failed"})


@dataclass
class Tenant:
    account_id: int
    api: httpx.Client
    browser: httpx.Client  # signed in as an admin, with the session's CSRF header
    run_id: int
    person_id: str
    demographic_id: int
    token_id: int
    login_id: int
    held_id: int  # a change held back for review (as an automated sync's hold stores it)


def hold_change(site: Site, account_id: int, run_id: int, person_id: str) -> int:
    """A held change of one person's first name, stored as `runs.hold` stores it."""
    with unit_of_work(site.web.factory) as session:
        held = HeldChange(
            account_id=account_id,
            run_id=run_id,
            person_id=person_id,
            kind="update",
            label="a held change",
            changes=[["first_name", "Ada", "Mallory", None]],
            fingerprint="tenant-fixture",
            reason="privacy",
            why="Name and birth date changed at once.",
            status="held",
            created_at=NOW,
        )
        session.add(held)
        session.flush()
        return held.id


def make_tenant(site: Site, name: str, csv: bytes, admin: str) -> Tenant:
    account_id = site.account(name)
    api = site.api(site.token(account_id))
    run = import_csv(api, csv, f"{name}.csv")
    assert run["state"] == "succeeded", run
    person = api.get("/api/v1/people").json()["people"][0]
    demographic = api.get("/api/v1/demographics").json()["demographics"][0]
    token = api.get("/api/v1/api-tokens").json()["tokens"][0]
    browser = site.login(account_id, admin)
    (login,) = api.get("/api/v1/logins").json()["logins"]
    held = hold_change(site, account_id, run["id"], person["id"])
    ids = (run["id"], person["id"], demographic["id"], token["id"], login["id"], held)
    return Tenant(account_id, api, browser, *ids)
