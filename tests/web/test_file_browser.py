"""An admin imports a correction workbook in a real browser (issue 13): upload an XLSX, choose a
partial import, review (it says it is partial; nobody leaves), import, and the history says so.
The system's Chromium, driven by Playwright; screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from tests.factories.workbooks import workbook
from tests.web.browsing import chromium, shoot
from tests.web.site import PASSWORD, Site
from tests.web.tenants import import_csv

pytestmark = pytest.mark.browser

WAIT_MS = 15_000
ADMIN = "hana@files.example"
COMPANY = (
    "Name,Email,Start Date,Team\n"
    "Hana Ito,hana@files.example,2019-04-01,People\n"
    "Omar Haddad,omar@files.example,2020-02-03,Core\n"
    "Lena Berg,lena@files.example,2021-09-13,Sales\n"
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    try:
        yield opened
    finally:
        context.close()


def test_admin_uploads_a_workbook_as_a_partial_import_reviews_and_imports(
    site: Site, page: Page
) -> None:
    account_id = site.account("Files Inc.")
    api = site.api(site.token(account_id))
    assert import_csv(api, COMPANY.encode(), "everyone.csv")["state"] == "succeeded"
    site.add_login(account_id, ADMIN)
    correction = workbook(
        [
            ("Name", "Email", "Start Date", "Team"),
            ("Omar Haddad", "omar@files.example", date(2020, 2, 3), "Platform"),
            (),
            ("Ines Costa", "ines@files.example", date(2026, 11, 30), "Platform"),
        ]
    )

    page.goto(f"{site.url}/login?account=Files%20Inc.")
    page.get_by_label("Email").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_have_text(ADMIN)

    page.goto(f"{site.url}/sync")
    full = page.get_by_role("radio", name=re.compile("^Full"))
    expect(full).to_be_checked()  # no HRIS: a file is the whole company unless chosen otherwise
    page.locator("input[type=file]").set_input_files(
        files=FilePayload(name="correction.xlsx", mimeType=XLSX, buffer=correction)
    )
    page.get_by_role("radio", name=re.compile("^Partial")).check()
    shoot(page, "upload-partial-xlsx")
    page.get_by_role("button", name="Upload and validate").click()

    expect(page).to_have_url(re.compile(r"/runs/\d+$"))
    run_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("h1 [data-state]")).to_have_attribute("data-state", "awaiting_review")
    expect(page.locator(".import-kind")).to_have_attribute("data-partial", "yes")
    expect(page.locator('[data-count="create"]')).to_have_text("1")
    expect(page.locator('[data-count="update"]')).to_have_text("1")
    expect(page.locator('[data-count="leave"]')).to_have_text("0")
    page.get_by_role("link", name="Next").click()

    expect(page).to_have_url(f"{site.url}/runs/{run_id}/review")
    expect(page.locator(".import-kind")).to_contain_text(
        "Partial import: the people in the file are created or updated; nobody leaves."
    )
    expect(page.locator('tr[data-kind="create"]')).to_contain_text("Ines Costa")
    page.get_by_role("navigation", name="Kinds of change").get_by_role(
        "link", name="Updates"
    ).click()
    update = page.locator('tr[data-kind="update"]')
    expect(update).to_contain_text("Omar Haddad")
    expect(update).to_contain_text("Platform")
    shoot(page, "review-partial-xlsx")
    page.get_by_role("button", name="Import Data").click()
    expect(page.locator("h1 [data-state]")).to_have_attribute("data-state", "succeeded")

    page.goto(f"{site.url}/history")
    latest = page.locator("table tbody tr").first
    expect(latest).to_contain_text("File upload")
    expect(latest).to_contain_text("partial")
    shoot(page, "history-partial")
    people = {p["email"]: p["status"] for p in api.get("/api/v1/people").json()["people"]}
    assert people == {
        "hana@files.example": "active",
        "omar@files.example": "active",
        "lena@files.example": "active",
        "ines@files.example": "active",
    }


SQUADS = (
    "Name,Email,Start Date,Squad\n"
    "Omar Haddad,omar@files.example,2020-02-03,Platform\n"
    "Lena Berg,lena@files.example,2021-09-13,Sales\n"
)


def test_admin_maps_a_column_to_an_existing_demographic_and_sees_it_in_the_next_review(
    site: Site, browser: Browser
) -> None:
    account_id = site.account("Mapped Inc.")
    api = site.api(site.token(account_id))
    assert import_csv(api, COMPANY.encode(), "everyone.csv")["state"] == "succeeded"
    site.add_login(account_id, ADMIN)
    for width, size in (("narrow", 390), ("wide", 1280)):  # the narrow one only previews
        context = browser.new_context(viewport={"width": size, "height": 900})
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{site.url}/login?account=Mapped%20Inc.")
        page.get_by_label("Email").fill(ADMIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".who")).to_have_text(ADMIN)
        page.goto(f"{site.url}/settings/mappings/file")
        expect(page.get_by_role("heading", name="Map fields")).to_be_visible()
        # The last upload's column, under its own name by default.
        expect(page.locator('input[data-field="Team"]')).to_have_value("Team")
        page.get_by_label("File to preview").set_input_files(
            files=FilePayload(name="squads.csv", mimeType="text/csv", buffer=SQUADS.encode())
        )
        page.get_by_role("button", name="Preview", exact=True).click()
        squad = page.locator('input[data-field="Squad"]')
        expect(squad).to_have_value("Squad")  # a new column: under its own name by default
        expect(page.locator('#preview tr[data-person="omar@files.example"]')).to_contain_text(
            "Squad: Platform"
        )
        shoot(page, f"map-fields-preview-{width}")
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        if width == "narrow":
            context.close()
            continue
        squad.fill("Team")  # the existing demographic, by its exact name
        page.get_by_role("button", name="Save mapping").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "'Team' and 'Squad' are both mapped to 'Team'"
        )
        page.locator('input[data-field="Squad"]').fill("Team")
        page.locator('input[data-field="Team"]').fill("")  # the old column: no longer sent
        page.get_by_role("button", name="Save mapping").click()
        expect(page.locator('input[data-field="Squad"]')).to_have_value("Team")
        shoot(page, f"map-fields-saved-{width}")

        page.goto(f"{site.url}/sync")
        page.locator("input[type=file]").set_input_files(
            files=FilePayload(name="squads.csv", mimeType="text/csv", buffer=SQUADS.encode())
        )
        page.get_by_role("radio", name=re.compile("^Partial")).check()
        page.get_by_role("button", name="Upload and validate").click()
        expect(page).to_have_url(re.compile(r"/runs/\d+$"))
        run_id = int(page.url.rsplit("/", 1)[1])
        expect(page.locator('[data-count="update"]')).to_have_text("1")
        page.goto(f"{site.url}/runs/{run_id}/review?kind=update")
        update = page.locator('tr[data-kind="update"]')
        expect(update).to_contain_text("Omar Haddad")
        expect(update).to_contain_text("Team")
        expect(update).to_contain_text("Platform")
        expect(update).not_to_contain_text("Squad")
        shoot(page, f"review-mapped-{width}")
        page.get_by_role("button", name="Import Data").click()
        expect(page.locator("h1 [data-state]")).to_have_attribute("data-state", "succeeded")
        context.close()
    people = {p["email"]: p for p in api.get("/api/v1/people").json()["people"]}
    omar = api.get(f"/api/v1/people/{people['omar@files.example']['id']}").json()
    assert omar["demographics"]["Team"] == "Platform"
