"""An admin undoes an import from its run page in a real browser (issue 17): "Undo this import"
opens a new sync to review (the person the import created is removed, the update is put back),
Import Data, and both runs say so. The system's Chromium, driven by Playwright; screenshots at
desktop and phone widths in test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.browsing import chromium, shoot
from tests.web.site import PASSWORD, Site
from tests.web.tenants import import_csv

pytestmark = pytest.mark.browser

WAIT_MS = 15_000
ADMIN = "mara@undo.example"
COMPANY = (
    "Name,Email,Start Date,Team\n"
    "Mara Quist,mara@undo.example,2019-04-01,People\n"
    "Omar Haddad,omar@undo.example,2020-02-03,Core\n"
)
CORRECTION = (
    "Name,Email,Start Date,Team\n"
    "Mara Quist,mara@undo.example,2019-04-01,People\n"
    "Omar Haddad,omar@undo.example,2020-02-03,Platform\n"
    "Ines Costa,ines@undo.example,2026-11-30,Platform\n"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture(params=[(1280, 900), (390, 844)], ids=["desktop", "phone"])
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    try:
        yield opened
    finally:
        context.close()


def test_admin_undoes_an_import_from_its_run_page(site: Site, page: Page) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    account_id = site.account(f"Undo Inc. {width}")
    api = site.api(site.token(account_id))
    assert import_csv(api, COMPANY.encode(), "everyone.csv")["state"] == "succeeded"
    correction = import_csv(api, CORRECTION.encode(), "correction.csv")
    assert correction["state"] == "succeeded"
    site.add_login(account_id, ADMIN)

    page.goto(f"{site.url}/login?account=Undo%20Inc.%20{width}")
    page.get_by_label("Email").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_have_text(ADMIN)

    page.goto(f"{site.url}/runs/{correction['id']}")
    shoot(page, f"undo-imported-run-{width}")
    page.get_by_role("button", name="Undo this import").click()

    expect(page).to_have_url(re.compile(r"/runs/\d+$"))
    undo_id = int(page.url.rsplit("/", 1)[1])
    assert undo_id != correction["id"]
    expect(page.locator("h1 [data-state]")).to_have_attribute("data-state", "awaiting_review")
    expect(page.locator("[data-undoes]")).to_contain_text(f"Undo of sync {correction['id']}")
    expect(page.locator('[data-count="remove"]')).to_have_text("1")
    expect(page.locator('[data-count="update"]')).to_have_text("1")
    shoot(page, f"undo-planned-{width}")
    page.get_by_role("link", name="Next").click()

    expect(page).to_have_url(f"{site.url}/runs/{undo_id}/review")
    tabs = page.get_by_role("navigation", name="Kinds of change")
    tabs.get_by_role("link", name=re.compile("^Removed")).click()
    removed = page.locator('tr[data-kind="remove"]')
    expect(removed).to_contain_text("Ines Costa")
    expect(removed).to_contain_text("Removed from the directory")
    shoot(page, f"undo-review-removed-{width}")
    tabs.get_by_role("link", name=re.compile("^Updates")).click()
    update = page.locator('tr[data-kind="update"]')
    expect(update).to_contain_text("Omar Haddad")
    expect(update.locator("ins")).to_contain_text("Core")
    page.get_by_role("button", name="Import Data").click()
    expect(page.locator("h1 [data-state]")).to_have_attribute("data-state", "succeeded")

    page.goto(f"{site.url}/runs/{correction['id']}")
    expect(page.locator("[data-undone-by]")).to_contain_text(f"undone by sync {undo_id}")
    expect(page.get_by_role("button", name="Undo this import")).to_have_count(0)
    shoot(page, f"undo-undone-run-{width}")
    page.goto(f"{site.url}/history")
    expect(page.locator("table tbody tr").first).to_contain_text("Undo")
    people = {p["email"]: p for p in api.get("/api/v1/people").json()["people"]}
    assert sorted(people) == ["mara@undo.example", "omar@undo.example"]
