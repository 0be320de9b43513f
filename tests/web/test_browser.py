"""The admin's whole journey in a real browser (the system's Chromium, driven by Playwright):
sign in, connect Justworks through the Merge Link stand-in, wait out the initial sync, sync,
validate, review, import, see the users; then an HR change in the sandbox shows up as an update,
auto-sync is switched on and off through its dialog, and a hostile name renders as plain text.

Screenshots of the main pages land in `test-artifacts/screenshots/` (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from peoplesync.connections.service import by_linked_account
from tests.web.browsing import chromium, shoot
from tests.web.site import PASSWORD, Site

pytestmark = pytest.mark.browser

WAIT_MS = 15_000  # the longest any step may take: syncs of 40 people take a second or two
ADMIN = "ada@acme.example"
HOSTILE = "<script>alert(1)</script>"

Json = dict[str, Any]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture
def dialogs() -> list[str]:
    """The messages of every alert/confirm the page raised (each is dismissed)."""
    return []


@pytest.fixture
def page(browser: Browser, dialogs: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    opened.on("dialog", dismiss)
    try:
        yield opened
    finally:
        context.close()


def employees(site: Site, token: str) -> list[Json]:
    """The linked company's employees, as the sandbox serves them to our Merge client."""
    headers = {"Authorization": f"Bearer {site.sandbox.api_key}", "X-Account-Token": token}
    found: list[Json] = []
    cursor: str | None = None
    with httpx.Client(base_url=f"{site.sandbox.base_url}/hris/v1", headers=headers) as client:
        while True:
            params: dict[str, str | int] = {"page_size": 100}
            if cursor:
                params["cursor"] = cursor
            response = client.get("/employees", params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            found.extend(body["results"])
            cursor = body["next"]
            if cursor is None:
                return found


def count(page: Page, key: str) -> int:
    return int(page.locator(f'[data-count="{key}"]').inner_text())


def sign_in(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/settings/integrations")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)settings(/|%2F)integrations$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shoot(page, "login")
    page.get_by_label("Email").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site.url}/settings/integrations")
    expect(page.locator(".who")).to_have_text(ADMIN)


def connect_justworks(page: Page, site: Site) -> str:
    """Settings > Data Integrations > Justworks > Continue setup > consent > Merge Link; returns
    the linked account's token."""
    expect(page.get_by_role("heading", name="Data Integrations", exact=True)).to_be_visible()
    expect(page.locator(".provider.featured .badge")).to_have_text("Not connected")
    shoot(page, "data-integrations")
    page.locator(".provider.featured").click()
    expect(page.get_by_role("heading", name="Justworks")).to_be_visible()
    page.get_by_role("link", name="Continue setup").click()
    expect(
        page.get_by_text("peoplesync would like to read your Justworks employee data")
    ).to_be_visible()
    consent_url = page.url
    page.get_by_role("button", name="Continue").click()
    # Embedded Link: the stand-in's initialize.js lays its dialog over our page (no redirect).
    link = page.frame_locator("#merge-link-frame")
    expect(link.get_by_role("heading", name="Connect your Justworks account")).to_be_visible()
    assert page.url == consent_url
    shoot(page, "merge-link")
    link.get_by_label("I added the service account and sent the invitation").check()
    link.get_by_role("button", name="Submit").click()
    expect(page).to_have_url(f"{site.url}/settings/integrations/justworks")
    expect(page.get_by_role("status").first).to_contain_text("Justworks is connected.")
    expect(page.get_by_text("Initial sync in progress.")).to_be_visible()
    expect(page.locator("[data-status]")).to_have_text("Initial sync in progress")
    expect(page.get_by_role("button", name="Sync", exact=True)).to_be_disabled()
    tokens = list(site.sandbox.state.accounts)
    assert len(tokens) == 1, tokens
    linked = site.sandbox.state.accounts[tokens[0]]
    with site.web.uow() as session:  # the exchange's `id`: what Merge's webhooks name
        connection = by_linked_account(session, linked.id)
        assert connection is not None
        assert (connection.integration_name, connection.integration_slug) == (
            "Justworks",
            "justworks",
        )
    return tokens[0]


def start_sync(page: Page) -> int:
    """From the Justworks page: Sync, then follow /sync to the run's page; returns its id."""
    sync = page.get_by_role("button", name="Sync", exact=True)
    expect(sync).to_be_enabled()
    sync.click()
    expect(page).to_have_url(re.compile(r"/runs/\d+"))
    found = re.search(r"/runs/(\d+)", page.url)
    assert found is not None
    # The run page reloads itself as the run moves on; it stops at the validation step.
    expect(page.get_by_role("link", name="Next")).to_be_visible()
    expect(page.locator("h1 [data-state]")).to_have_attribute("data-state", "awaiting_review")
    expect(page.locator(".steps .current")).to_have_text("Validate")
    return int(found.group(1))


def import_reviewed(page: Page, run_id: int) -> None:
    """On the review page: Import Data, then wait for the success state and Go to Users."""
    confirm = page.locator('input[name="confirm"]')
    if confirm.count():
        confirm.check()
    page.get_by_role("button", name="Import Data").click()
    expect(page.locator("h1 [data-state]")).to_have_attribute("data-state", "succeeded")
    expect(page.locator(".alert.green")).to_contain_text("Imported")
    expect(page).to_have_url(re.compile(rf"/runs/{run_id}"))


def first_sync_and_import(page: Page, site: Site, company: list[Json]) -> None:
    # The page polls the connection and reloads itself once the initial sync is done.
    expect(page.locator("[data-status]")).to_have_text("Connected")
    expect(page.get_by_text("Initial sync in progress.")).to_have_count(0)
    shoot(page, "justworks")
    run_id = start_sync(page)
    everyone = len(company)
    assert count(page, "create") == everyone
    assert count(page, "update") == 0
    assert count(page, "leave") == 0
    assert count(page, "errors") == 0
    shoot(page, "run-validation")
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(f"{site.url}/runs/{run_id}/review")
    tab = page.get_by_role("navigation", name="Kinds of change").get_by_role("link", name="New")
    expect(tab).to_have_attribute("aria-current", "page")
    expect(tab.locator(".count")).to_have_text(str(everyone))
    rows = page.locator('tr[data-kind="create"]')
    expect(rows).to_have_count(min(everyone, 50))
    someone = legal_name(company[0])
    expect(page.locator("table.review")).to_contain_text(someone)
    shoot(page, "review")
    import_reviewed(page, run_id)
    page.get_by_role("link", name="Go to Users").click()
    expect(page).to_have_url(f"{site.url}/users")
    expect(page.locator("h1 .muted")).to_have_text(str(everyone))
    users = page.locator("table.users")
    for person in company[:5]:
        expect(users).to_contain_text(legal_name(person))
    shoot(page, "users")
    page.get_by_role("link", name=someone, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(someone)
    expect(page.locator(".facts").first).to_contain_text(someone_email(company[0]))
    expect(page.locator(".facts").first).to_contain_text("Justworks (Merge)")
    shoot(page, "user")


def legal_name(person: Json) -> str:
    """The name peoplesync imports: first + last (Merge's display name may carry the preferred
    first name)."""
    return f"{person['first_name']} {person['last_name']}"


def someone_email(person: Json) -> str:
    email = person["work_email"]
    assert isinstance(email, str)
    return email


def sync_again(page: Page, site: Site) -> int:
    page.goto(f"{site.url}/settings/integrations/justworks")
    expect(page.locator("[data-status]")).to_have_text("Connected")
    return start_sync(page)


def rename_shows_as_update(page: Page, site: Site, token: str, person: Json) -> None:
    before = legal_name(person)
    renamed = site.sandbox.control.rename(token, person["id"], last_name="Okafor-Lindqvist")
    after = legal_name(renamed)
    assert after != before
    run_id = sync_again(page, site)
    assert count(page, "update") == 1
    assert count(page, "create") == 0
    page.get_by_role("link", name="Next").click()
    tabs = page.get_by_role("navigation", name="Kinds of change")
    expect(tabs.get_by_role("link", name="Updates")).to_contain_text("1")
    tabs.get_by_role("link", name="Updates").click()
    expect(page).to_have_url(f"{site.url}/runs/{run_id}/review?kind=update")
    row = page.locator('tr[data-kind="update"]')
    expect(row).to_have_count(1)
    change = row.locator(".changes li", has_text="Name")
    expect(change.locator("del")).to_have_text(before)
    expect(change.locator("ins")).to_have_text(after)
    shoot(page, "review-updates")
    import_reviewed(page, run_id)
    page.goto(f"{site.url}/users?q={quote(after)}")  # a prefix search on name or email
    expect(page.locator("table.users tbody tr")).to_have_count(1)
    expect(page.locator("table.users")).to_contain_text(after)


def switch_auto_sync(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/settings/integrations/justworks")
    toggle = page.locator("button.toggle")
    expect(toggle).to_have_text("Off")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    dialog = page.locator("#autosync-dialog")
    expect(dialog).to_be_hidden()
    toggle.click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Turn on auto sync?")
    dialog.get_by_role("button", name="Cancel").click()  # cancelling changes nothing
    expect(dialog).to_be_hidden()
    expect(toggle).to_have_text("Off")
    toggle.click()
    dialog.get_by_role("button", name="Turn on auto sync").click()
    expect(page.get_by_role("status").first).to_have_text("Auto sync is on.")
    expect(toggle).to_have_text("On")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_text("Next:")).to_be_visible()
    toggle.click()
    expect(dialog.get_by_role("heading")).to_have_text("Turn off auto sync?")
    dialog.get_by_role("button", name="Turn off auto sync").click()
    expect(page.get_by_role("status").first).to_have_text("Auto sync is off.")
    expect(toggle).to_have_text("Off")


def hostile_name_is_text(page: Page, site: Site, token: str, person: Json) -> None:
    renamed = site.sandbox.control.rename(token, person["id"], first_name=HOSTILE)
    shown = legal_name(renamed)
    assert HOSTILE in shown
    run_id = sync_again(page, site)
    assert count(page, "update") == 1
    page.get_by_role("link", name="Next").click()
    page.get_by_role("navigation", name="Kinds of change").get_by_role(
        "link", name="Updates"
    ).click()
    expect(page.locator('tr[data-kind="update"] ins')).to_have_text(shown)
    import_reviewed(page, run_id)
    page.get_by_role("link", name="Go to Users").click()
    page.get_by_label("Search").fill("<script>")
    page.get_by_role("button", name="Filter").click()
    link = page.locator("table.users tbody a")
    expect(link).to_have_count(1)
    expect(link).to_have_text(shown)
    scripts = page.locator("script").evaluate_all("els => els.map(e => e.outerHTML)")
    assert all("alert(1)" not in s for s in scripts), scripts
    shoot(page, "users-hostile-name")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(shown)
    expect(page.locator("table").last).to_contain_text(shown)  # the history's "after"
    scripts = page.locator("script").evaluate_all("els => els.map(e => e.outerHTML)")
    assert all("alert(1)" not in s for s in scripts), scripts


def history(page: Page, site: Site) -> None:
    page.get_by_role("link", name="Import History").click()
    expect(page).to_have_url(f"{site.url}/history")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    for row in range(3):
        expect(rows.nth(row).locator("[data-state]")).to_have_attribute("data-state", "succeeded")
        expect(rows.nth(row)).to_contain_text("Manual")
    shoot(page, "import-history")


def test_admin_connects_justworks_imports_and_keeps_in_step(
    site: Site, page: Page, dialogs: list[str]
) -> None:
    site.add_login(site.account("Acme"), ADMIN)
    sign_in(page, site)
    token = connect_justworks(page, site)
    company = employees(site, token)
    assert len(company) >= 40
    first_sync_and_import(page, site, company)

    plain = [p for p in company if p["employment_status"] == "ACTIVE" and not p["preferred_name"]]
    assert len(plain) >= 2
    rename_shows_as_update(page, site, token, plain[0])
    switch_auto_sync(page, site)
    hostile_name_is_text(page, site, token, plain[1])
    history(page, site)
    assert dialogs == []
