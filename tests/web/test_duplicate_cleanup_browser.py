"""The seed's "Duplicate Employees" clean-up, in a real browser, step by step as the page says.

A person is in the directory from the CSV era under another email (and no Employee Id); the
first Justworks sync would create them again. The seed:

  Before Changes are Applied: "ideally, you'd stop the sync and update employee emails in
  Culture Amp to match those in Justworks": Go to the Users page. Click on the name of the
  employee you want to update. Update their email. Click Save and Exit. Then, try the
  integration sync again.

  After Changes are Applied: "Deactivate the newest employee profile and remove their email
  (you'll need to assign a fake ID/email to Save). Update the original user profile to match
  emails in Justworks."

Both must leave one profile (the original, with its history) tied to the Justworks record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect
from sqlalchemy import select

from peoplesync.store.db import unit_of_work
from peoplesync.store.models import Person
from tests.web.browsing import chromium, shoot
from tests.web.site import Site
from tests.web.tenants import import_csv
from tests.web.test_browser import (
    ADMIN,
    WAIT_MS,
    Json,
    connect_justworks,
    employees,
    import_reviewed,
    sign_in,
    start_sync,
    sync_again,
)

pytestmark = pytest.mark.browser

HEADER = "Name,Preferred Name,Employee Id,Email,Date of Birth,Start Date,End Date,Manager Email\n"


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

    def accept(dialog: Dialog) -> None:  # "Deactivate <name>?": the admin confirms
        dialog.accept()

    opened.on("dialog", accept)
    try:
        yield opened
    finally:
        context.close()


def profiles(site: Site, name: str) -> list[Person]:
    with unit_of_work(site.web.factory) as session:
        found = session.scalars(
            select(Person).where(Person.name == name).order_by(Person.created_at)
        )
        return list(found)


def csv_era(site: Site, account_id: int, person: Json) -> str:
    """The person as a CSV once imported them: another email, no Employee Id."""
    old = f"{person['first_name'].lower()}.old@csv-era.example"
    line = f"{person['display_full_name']},,,{old},,,,\n"
    import_csv(site.api(site.token(account_id)), (HEADER + line).encode(), "csv-era.csv")
    return old


def open_user(page: Page, site: Site, name: str, row_text: str) -> None:
    """Go to the Users page. Click on the name of the employee (the row showing `row_text`)."""
    page.goto(f"{site.url}/users?q={name.split(maxsplit=1)[0]}")
    row = page.locator("table.users tr", has_text=row_text)
    row.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def update_email(page: Page, email: str) -> None:
    """Update their email. Click Save and Exit."""
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Save and Exit").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved: the email is changed.")


def pick(company: list[Json], n: int) -> Json:
    plain = [p for p in company if p["employment_status"] == "ACTIVE" and not p["preferred_name"]]
    return plain[n]


def test_the_seeds_duplicate_clean_up_works_before_and_after_changes_are_applied(
    site: Site, page: Page
) -> None:
    account_id = site.account("Acme")
    site.add_login(account_id, ADMIN)
    sign_in(page, site)
    token = connect_justworks(page, site)
    company = employees(site, token)
    before, after = pick(company, 0), pick(company, 1)
    csv_era(site, account_id, before)
    csv_era(site, account_id, after)
    page.goto(f"{site.url}/settings/integrations/justworks")  # after the CSV imports
    expect(page.locator("[data-status]")).to_have_text("Connected", timeout=60_000)

    # --- Before Changes are Applied -----------------------------------------------------------
    run_id = start_sync(page)
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(f"{site.url}/runs/{run_id}/review")
    expect(page.locator("table.review")).to_contain_text(before["display_full_name"])
    # "ideally, you'd stop the sync and update employee emails ... to match those in Justworks"
    page.goto(f"{site.url}/runs/{run_id}")
    page.get_by_role("button", name="Cancel sync").click()
    open_user(page, site, before["display_full_name"], "csv-era.example")
    update_email(page, before["work_email"])
    # "Then, try the integration sync again."
    run_id = sync_again(page, site)
    page.get_by_role("link", name="Next").click()
    import_reviewed(page, run_id)
    kept = profiles(site, before["display_full_name"])
    assert [(p.status, p.source_id is not None) for p in kept] == [("active", True)]

    # --- After Changes are Applied: `after` was created twice by that import -------------------
    twice = profiles(site, after["display_full_name"])
    assert [(p.status, p.source_kind) for p in twice] == [("former", "csv"), ("active", "merge")]
    original, newest = twice
    # 1. Deactivate the newest employee profile and remove their email (a fake email to Save).
    open_user(page, site, after["display_full_name"], "Active")
    page.get_by_role("button", name="Deactivate user").click()
    expect(page.get_by_role("status").first).to_contain_text("The user is deactivated.")
    update_email(page, "removed-duplicate@invalid.example")
    # 2. Update the original user profile to match emails in Justworks.
    open_user(page, site, after["display_full_name"], "csv-era.example")
    update_email(page, after["work_email"])
    shoot(page, "duplicate-cleanup-original")

    run_id = sync_again(page, site)
    expect(page.locator("main")).to_contain_text("re-linked to")
    page.get_by_role("link", name="Next").click()
    page.goto(f"{site.url}/runs/{run_id}/review?kind=rehire")  # the original comes back
    review = page.locator("table.review")
    expect(review).to_contain_text("linked to this profile")
    link = review.get_by_role("link", name=re.compile(re.escape(after["display_full_name"])))
    expect(link.first).to_have_attribute("href", f"/users/{original.id}")  # tied to: original
    shoot(page, "duplicate-cleanup-review")
    page.goto(f"{site.url}/runs/{run_id}/review?kind=update")  # the newest lets go
    expect(review).to_contain_text("moves to another profile (re-linked)")
    import_reviewed(page, run_id)

    final = {p.id: p for p in profiles(site, after["display_full_name"])}
    assert final[original.id].status == "active"
    assert final[original.id].source_id == newest.source_id  # the original has the record
    assert final[original.id].email == after["work_email"]
    assert final[newest.id].status == "deactivated"
    assert final[newest.id].source_id is None
