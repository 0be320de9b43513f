"""What the pages say while syncs run, wait and block (issue 14, items 1-4 and 7): a run waiting
for review is "waiting for your review", not "Syncing data"; Sync beside it lets the admin open
it or replace it (the old run says which run replaced it; the API answers 409 with its id); a
blocked automatic sync is a banner on Data Integrations and the Justworks page linking to the
run, whose page has a Sync button; the list shows the latest sync's time and result in the
account's zone. The real server, its worker and the sandbox."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update

from peoplesync.runs.service import get_run
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import Account, Person
from tests.jobs.world import database
from tests.web.site import Site, running_site
from tests.web.tenants import wait_run


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The real site on each database (the one-run rule is the database's unique index)."""
    folder = tmp_path_factory.mktemp(f"states-{request.param}")
    with database(request.param, folder) as db, running_site(folder, database_url=db.url) as found:
        yield found


def connected(site: Site, name: str) -> tuple[int, httpx.Client, httpx.Client, str]:
    """An account connected to a fresh sandbox company, its API and an admin's browser."""
    account_id = site.account(name)
    api = site.api(site.token(account_id))
    company = site.sandbox.control.create_company(seed=7, size=12, initial_sync_seconds=0)
    answer = api.put("/api/v1/connections/justworks", json={"account_token": company.account_token})
    assert answer.status_code == 200, answer.text
    slug = re.sub(r"\W+", ".", name.lower())
    admin = site.login(account_id, f"admin@{slug}.example")
    return account_id, api, admin, company.account_token


def form(client: httpx.Client, **fields: str) -> dict[str, str]:
    return {"csrf_token": client.headers["X-CSRF-Token"], **fields}


def waiting_run(api: httpx.Client) -> int:
    queued = api.post("/api/v1/syncs")
    assert queued.status_code == 202, queued.text
    run_id = int(queued.json()["run_id"])
    wait_run(api, run_id, until={"awaiting_review"})
    return run_id


def test_a_run_waiting_for_review_is_not_syncing_and_sync_asks_to_open_or_replace_it(
    site: Site,
) -> None:
    account_id, api, admin, _ = connected(site, "Waiting Co")
    waiting = waiting_run(api)

    page = admin.get("/settings/integrations/justworks").text
    assert "A sync is waiting for your review" in page
    assert "Syncing data" not in page
    assert f'href="/runs/{waiting}">Open the waiting review' in page
    assert "Replace it with a new sync" in page
    status = admin.get("/settings/integrations/justworks/status.json").json()
    assert (status["active_run"]["active"], status["active_run"]["working"]) == (True, False)

    # A plain Sync (a stale page, a double click) lands on the waiting review, which is intact.
    plain = admin.post("/settings/integrations/justworks/sync", data=form(admin))
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/runs/{waiting}"
    told = admin.get(plain.headers["location"]).text
    assert f"Sync {waiting} is waiting for your review." in told
    assert "data-replace" in told  # the run's own page offers the replacement too
    assert api.get(f"/api/v1/runs/{waiting}").json()["state"] == "awaiting_review"

    # The API says the same: 409, which run, and how to replace it.
    refused = api.post("/api/v1/syncs")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert (error["code"], error["context"]["run_id"]) == ("review_waiting", waiting)

    # Replace: the old run ends saying which run replaced it; the admin lands on the new one.
    replaced = admin.post("/settings/integrations/justworks/sync", data=form(admin, replace="yes"))
    assert replaced.status_code == 303
    new = int(replaced.headers["location"].removeprefix("/runs/"))
    assert new != waiting
    old = api.get(f"/api/v1/runs/{waiting}").json()
    assert (old["state"], old["error"]) == ("cancelled", f"Replaced by sync {new}.")
    assert wait_run(api, new, until={"awaiting_review"})["id"] == new

    # And by the API, with "replace": the same.
    again = api.post("/api/v1/syncs", json={"replace": True})
    assert again.status_code == 202, again.text
    newest = again.json()["run_id"]
    assert api.get(f"/api/v1/runs/{new}").json()["error"] == f"Replaced by sync {newest}."
    wait_run(api, newest, until={"awaiting_review"})
    assert api.post(f"/api/v1/runs/{newest}/cancel").status_code == 200
    del account_id


def test_two_sync_requests_at_once_start_one_run(site: Site) -> None:
    """A double click or a retry: one run, the other request told which one (never a second
    run that ends the first)."""
    account_id, api, _, _ = connected(site, "Double Click")
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: api.post("/api/v1/syncs"), range(4)))
    started = [a.json()["run_id"] for a in answers if a.status_code == 202]
    refused = [a.json()["error"] for a in answers if a.status_code == 409]
    assert len(started) == 1, [a.text for a in answers]
    assert len(refused) == 3
    assert {e["context"]["run_id"] for e in refused} == set(started)
    run = wait_run(api, started[0], until={"awaiting_review"})
    runs = api.get("/api/v1/runs").json()["runs"]
    assert [r["id"] for r in runs] == [run["id"]]  # no other run, expired or otherwise
    assert api.post(f"/api/v1/runs/{run['id']}/cancel").status_code == 200
    del account_id


def test_a_blocked_automatic_sync_is_a_banner_linking_to_its_run_with_a_sync_button(
    site: Site,
) -> None:
    account_id, api, admin, token = connected(site, "Blocked Co")
    with unit_of_work(site.web.factory) as session:
        session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(timezone="Asia/Tokyo", hold_per_person=False)  # the whole sync blocks
        )
    first = waiting_run(api)
    applied = api.post(f"/api/v1/runs/{first}/apply")
    assert applied.status_code == 202, applied.text
    wait_run(api, first, until={"succeeded"})
    with unit_of_work(site.web.factory) as session:
        a, b = session.scalars(
            select(Person.source_id).where(Person.account_id == account_id).limit(2)
        ).all()
    site.sandbox.control.swap_emails(token, str(a), str(b))
    blocked = site.web.jobs.syncs.from_hris(account_id, trigger="automatic").run_id
    with unit_of_work(site.web.factory) as session:
        run = get_run(session, account_id, blocked)
        assert (run.state, run.blocked_reason) == ("blocked", "privacy")
        created = run.created_at

    admin = site.login(account_id, "second.admin@blocked.example")  # a fresh session: Tokyo
    for path in ("/settings/integrations", "/settings/integrations/justworks"):
        page = admin.get(path).text
        banner = re.search(
            r'<p class="alert red" role="alert" data-blocked-run="(\d+)">(.*?)</p>', page, re.S
        )
        assert banner is not None, path
        assert int(banner.group(1)) == blocked
        assert "automatic sync" in banner.group(2)
        assert "was blocked" in banner.group(2)
        assert f'href="/runs/{blocked}"' in banner.group(2)
        assert "confirm" in banner.group(2)  # the reason's own hint: what to do

    listing = admin.get("/settings/integrations").text
    latest = re.search(r"<p class=\"muted\" data-latest-sync>(.*?)</p>", listing, re.S)
    assert latest is not None
    local = created.astimezone(ZoneInfo("Asia/Tokyo")) if created.tzinfo else None
    assert "Blocked" in latest.group(1)
    assert "JST" in latest.group(1)  # the account's zone, in a human form
    if local is not None:
        assert f"{local.day} {local:%b %Y}" in latest.group(1)

    run_page = admin.get(f"/runs/{blocked}").text
    assert "data-sync-again" in run_page
    again = admin.post("/settings/integrations/justworks/sync", data=form(admin))
    assert again.status_code == 303
    review = wait_run(
        api, int(again.headers["location"].removeprefix("/runs/")), until={"awaiting_review"}
    )
    assert review["findings"]  # the manual sync shows the same finding, to confirm
    # The people the safeguards flagged are marked in the review, and counted on their tab.
    listed = admin.get(f"/runs/{review['id']}/review?kind=update").text
    assert listed.count("data-flagged>") == 2
    assert listed.count("Flagged: identity change") == 2
    assert 'data-flagged-count="2"' in listed
    assert "data-flagged-count" not in listed.split("Updates", 1)[0]  # not on the New tab
    # A newer run clears the banner.
    assert "data-blocked-run" not in admin.get("/settings/integrations").text
    assert api.post(f"/api/v1/runs/{review['id']}/cancel").status_code == 200
    time.sleep(0.05)
