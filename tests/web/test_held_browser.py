"""The "Held for review" list over real HTTP: the API (list, release, discard; another account's
held change is not found), the page forms (CSRF, back only to the list's pages), and in the
system's Chromium a held person released from the Data Integrations banner."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.browsing import chromium, shoot
from tests.web.site import PASSWORD, Site
from tests.web.tenants import wait_run
from tests.web.test_run_states import connected, form, waiting_run

NEW_EMAIL = "quentin.different@example.com"


def held_account(site: Site, name: str) -> tuple[int, httpx.Client, httpx.Client, dict[str, Any]]:
    """An account whose automated sync held one person (name and email at once): its id, API,
    an admin's browser session and the held person."""
    account_id, api, admin, token = connected(site, name)
    first = waiting_run(api)
    assert api.post(f"/api/v1/runs/{first}/apply").status_code == 202
    wait_run(api, first, until={"succeeded"})
    listed = api.get("/api/v1/people?limit=100").json()["people"]
    target = api.get(f"/api/v1/people/{listed[3]['id']}").json()
    control = site.sandbox.control
    control.rename(token, target["source_id"], first_name="Quentin", last_name="Different")
    control.change_email(token, target["source_id"], NEW_EMAIL)
    site.web.jobs.syncs.from_hris(account_id, trigger="automatic")
    return account_id, api, admin, target


def test_the_api_lists_releases_and_discards_held_changes_of_its_own_account(site: Site) -> None:
    _account_id, api, _, target = held_account(site, "Held API Co")
    (held,) = api.get("/api/v1/held").json()["held"]
    assert (held["person_id"], held["reason"], held["status"]) == (target["id"], "privacy", "held")
    assert api.get("/api/v1/connections").json()["held"][0]["id"] == held["id"]
    assert api.get(f"/api/v1/runs/{held['run_id']}/held").json()["held"][0]["id"] == held["id"]
    other = site.api(site.token(site.account("Someone Else Co")))
    refused = other.post("/api/v1/held/release", json={"ids": [held["id"]]})
    assert refused.status_code == 404, refused.text
    assert other.post("/api/v1/held/discard", json={"ids": [held["id"]]}).status_code == 404
    assert api.post("/api/v1/held/release", json={"ids": [0]}).status_code == 422

    discarded = api.post("/api/v1/held/discard", json={"ids": [held["id"]]})

    assert discarded.status_code == 200, discarded.text
    assert discarded.json() == {"discarded": [held["id"]], "held": []}
    assert api.get(f"/api/v1/people/{target['id']}").json()["email"] == target["email"]
    again = api.post("/api/v1/held/release", json={"ids": [held["id"]]})
    assert again.status_code == 404
    assert "not waiting for review" in again.json()["error"]["message"]


def test_the_page_forms_need_csrf_and_come_back_only_to_the_lists_pages(site: Site) -> None:
    _, api, admin, target = held_account(site, "Held Form Co")
    (held,) = api.get("/api/v1/held").json()["held"]
    without = admin.post(f"/held/{held['id']}/release", data={"back": "/settings/integrations"})
    assert without.status_code == 403
    assert api.get("/api/v1/held").json()["held"]  # still held

    done = admin.post(f"/held/{held['id']}/release", data=form(admin, back="https://evil.example"))

    assert done.status_code == 303
    assert done.headers["location"] == "/settings/integrations"
    assert api.get(f"/api/v1/people/{target['id']}").json()["email"] == NEW_EMAIL
    run_page = admin.get(f"/runs/{held['run_id']}").text
    assert "Held for review" in run_page
    assert "Released" in run_page


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    try:
        yield opened
    finally:
        context.close()


@pytest.mark.browser
def test_a_held_person_is_released_from_the_data_integrations_banner(
    site: Site, page: Page
) -> None:
    account_id, api, _, target = held_account(site, "Held Browser Co")
    email = "held.admin@held-browser.example"
    site.add_login(account_id, email)
    page.goto(f"{site.url}/login")
    page.get_by_label("Account").fill("Held Browser Co")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_have_text(email)
    page.goto(f"{site.url}/settings/integrations")
    banner = page.locator("[data-held-count]")
    expect(banner).to_have_attribute("data-held-count", "1")
    expect(banner).to_contain_text("Name and Email change at once")
    expect(banner).to_contain_text(target["email"])
    shoot(page, "held-banner")

    banner.get_by_role("button", name="Release").click()

    expect(page).to_have_url(f"{site.url}/settings/integrations")
    expect(
        page.get_by_text(re.compile(r"1 held change\(s\) released \(sync \d+\)"))
    ).to_be_visible()
    expect(page.locator("[data-held-count]")).to_have_count(0)
    shoot(page, "held-released")
    assert api.get(f"/api/v1/people/{target['id']}").json()["email"] == NEW_EMAIL
    runs = api.get("/api/v1/runs").json()["runs"]
    assert (runs[0]["trigger"], runs[0]["state"]) == ("release", "succeeded")
