"""Layouts that hold: every page, at 1280 px and at 390 px wide, with a hostile directory (long
names, long unbroken emails, long demographic values, many demographics, HTML-looking text), in
the system's Chromium. No page scrolls sideways, no box's content runs out of it (text over its
neighbour, a table out of its card), the labels and values of a field grid never overlap, and
a table's columns stay under their headers.

Screenshots of every page at both widths land in `test-artifacts/screenshots/layout-*.png`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from peoplesync.access.service import Role
from peoplesync.accounts.service import get_account
from peoplesync.accounts.settings import add_alert
from peoplesync.runs import service as runs
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import HeldChange
from tests.web import hostile
from tests.web.browsing import chromium, shoot
from tests.web.site import OPERATOR_TOKEN, PASSWORD, Site
from tests.web.tenants import import_csv, wait_run

pytestmark = pytest.mark.browser

WIDTHS = {"wide": 1280, "narrow": 390}
# The hostile account (the site has others: the operator page lists them).
ACCOUNT = "Konstantinopoulou-Vanderbilt Global Holdings & <b>Partners</b> Ltd"
ADMIN = "layout.admin.with.a.rather.long.address@people-operations.acme.example"

# Everything that can run out of its box, as one script run in the page: a list of problems.
PROBLEMS_JS = """
() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) {
    problems.push(`the page scrolls sideways: ${root.scrollWidth} px > ${root.clientWidth} px`);
  }
  const name = (el) => {
    const classes = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    return `<${el.tagName.toLowerCase()}${classes}> "${(el.innerText || "").trim().slice(0, 50)}"`;
  };
  const controls = new Set(["INPUT", "SELECT", "TEXTAREA", "OPTION"]);
  for (const el of document.body.querySelectorAll("*")) {
    if (controls.has(el.tagName) || el.closest("dialog:not([open])")) continue;
    const style = getComputedStyle(el);
    if (style.display === "inline" || style.display === "none" || el.clientWidth === 0) continue;
    if (style.overflowX !== "visible") continue;  // it scrolls or clips on purpose
    if (el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${name(el)} runs out of its box by ${el.scrollWidth - el.clientWidth} px`);
    }
  }
  const painted = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return range.getBoundingClientRect();
  };
  for (const grid of document.querySelectorAll("dl")) {
    const cells = [...grid.querySelectorAll("dt, dd")]
      .map((el) => [el, painted(el)]).filter(([, box]) => box.width > 0);
    for (let i = 0; i < cells.length; i++) {
      for (let j = i + 1; j < cells.length; j++) {
        const [a, p] = cells[i];
        const [b, q] = cells[j];
        if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 &&
            q.top < p.bottom - 1) {
          problems.push(`${name(a)} overlaps ${name(b)}`);
        }
      }
    }
  }
  for (const table of document.querySelectorAll("table")) {
    if (getComputedStyle(table).display !== "table") continue;  // a phone's list of rows
    const heads = [...table.querySelectorAll("thead th")];
    const rows = [...table.querySelectorAll("tbody tr")];
    const row = rows.find((r) => r.cells.length === heads.length);
    if (!row || !heads.length) continue;
    heads.forEach((th, i) => {
      const left = row.cells[i].getBoundingClientRect().left;
      const drift = Math.abs(th.getBoundingClientRect().left - left);
      if (drift > 1) problems.push(`${name(th)}: its column is ${Math.round(drift)} px off`);
    });
  }
  return problems;
}
"""


@dataclass(frozen=True)
class Hostile:
    """The hostile account's pages' ids."""

    applied: int
    blocked: int
    pending: int
    boss: str
    unbroken: str
    html: str
    email: int


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture(scope="module")
def company(site: Site) -> Hostile:
    """The hostile account: three runs applied, one blocked by validation, one awaiting review;
    Justworks connected; a long login, recipient, token and email; a plain user for /me; two
    held changes."""
    account_id = site.account(ACCOUNT)
    api = site.api(site.token(account_id))
    site.add_login(account_id, ADMIN)
    import_csv(api, hostile.csv_bytes(hostile.people(1)), "first export.csv")
    applied = import_csv(api, hostile.csv_bytes(hostile.people(2)), hostile.UNBROKEN_VALUE + ".csv")
    queued = api.post("/api/v1/syncs/csv", files={"file": ("bad.csv", hostile.invalid_csv())})
    assert queued.status_code == 202, queued.text
    blocked = wait_run(api, until={"blocked"})
    people = {p["email"]: p["id"] for p in api.get("/api/v1/people?limit=100").json()["people"]}
    boss = people[hostile.LONG_EMAIL]
    site.add_login(account_id, hostile.LONG_EMAIL, role=Role.USER, person_id=boss)
    company = site.sandbox.control.create_company(seed=3, size=10, initial_sync_seconds=0)
    connected = api.put(
        "/api/v1/connections/justworks", json={"account_token": company.account_token}
    )
    assert connected.status_code == 200, connected.text
    with unit_of_work(site.web.factory) as session:
        account = get_account(session, account_id)
        add_alert(session, account, "alerts." + hostile.LONG_EMAIL[-80:], now=datetime.now(UTC))
        site.web.jobs.notifier.reconnect_needed(
            session, account, "justworks", hostile.UNBROKEN_VALUE, datetime.now(UTC)
        )
    queued = api.post(
        "/api/v1/syncs/csv", files={"file": ("third.csv", hostile.csv_bytes(hostile.people(3)))}
    )
    assert queued.status_code == 202, queued.text
    pending = wait_run(api, until={"awaiting_review"})
    hold_hostile_changes(site, account_id, applied["id"], boss)
    fleet_for_the_operator(site)
    return Hostile(
        applied=applied["id"],
        blocked=blocked["id"],
        pending=pending["id"],
        boss=boss,
        unbroken=people[hostile.UNBROKEN_EMAIL.replace("@", "2@", 1)[1:]],
        html=people["bobby@acme.example"],
        email=_outbox_id(api),
    )


def hold_hostile_changes(site: Site, account_id: int, run_id: int, person_id: str) -> None:
    """Two held changes with hostile labels and reasons (the "Held for review" list on Data
    Integrations, the provider's page and the run's page), as an automated sync stores them."""
    now = datetime.now(UTC)
    labels = (f"{hostile.LONG_NAME} <{hostile.LONG_EMAIL}>", hostile.HTML_NAME)
    with unit_of_work(site.web.factory) as session:
        for n, label in enumerate(labels):
            session.add(
                HeldChange(
                    account_id=account_id,
                    run_id=run_id,
                    person_id=person_id if n == 0 else f"new{n:029d}",
                    kind="update" if n == 0 else "create",
                    label=label,
                    changes=[["name", "A", "B", 0], ["email", "a@x.example", "b@x.example", 0]],
                    fingerprint=f"layout-{n}",
                    reason="privacy" if n == 0 else "dependency",
                    why=f"{label}: Name and Email change at once ('{hostile.UNBROKEN_VALUE}').",
                    status="held",
                    created_at=now,
                )
            )


def fleet_for_the_operator(site: Site) -> None:
    """What the operator's page lists, with hostile names: an account whose two latest
    automatic syncs failed (a long unbroken reason), and one with a sync in flight."""
    now = datetime.now(UTC)
    failing = site.account(f"{hostile.LONG_NAME} {hostile.HTML_NAME}")
    running = site.account(hostile.UNBROKEN_VALUE)
    with unit_of_work(site.web.factory) as session:
        account = get_account(session, failing)
        for n in range(2):
            run = runs.start_run(
                session, account, trigger="automatic", source_kind="merge", now=now
            )
            runs.fail_run(run, f"Merge did not answer ({hostile.UNBROKEN_VALUE} {n}).", now)
            session.flush()
        runs.start_run(
            session,
            get_account(session, running),
            trigger="automatic",
            source_kind="merge",
            now=now,
        )


def _outbox_id(api: httpx.Client) -> int:
    emails = api.get("/api/v1/outbox").json()["emails"]
    assert emails, "no email in the outbox"
    found: int = emails[0]["id"]
    return found


def admin_pages(h: Hostile) -> dict[str, str]:
    review = f"/runs/{h.pending}/review"
    return {
        "users": "/users",
        "users-search": "/users?q=konstantinopoulou",
        "user-long": f"/users/{h.boss}",
        "user-unbroken": f"/users/{h.unbroken}",
        "user-html": f"/users/{h.html}",
        "history": "/history",
        "run-applied": f"/runs/{h.applied}",
        "run-blocked": f"/runs/{h.blocked}",
        "run-pending": f"/runs/{h.pending}",
        "review-updates": f"{review}?kind=update",
        "review-new": f"{review}?kind=create",
        "review-leavers": f"{review}?kind=leave",
        "sync": "/sync",
        "integrations": "/settings/integrations",
        "justworks": "/settings/integrations/justworks",
        "consent": "/settings/integrations/justworks/consent",
        "demographics": "/settings/demographics",
        "map-fields-file": "/settings/mappings/file",
        "map-fields-merge": "/settings/mappings/merge",
        "account": "/settings/account",
        "logins": "/settings/logins",
        "api-tokens": "/settings/api-tokens",
        "outbox": "/settings/outbox",
        "outbox-email": f"/settings/outbox/{h.email}",
        "password": "/password",
        "not-found": "/users/nobody-at-all",
    }


def sign_in(page: Page, site: Site, email: str) -> None:
    page.goto(f"{site.url}/login")
    page.get_by_label("Account").fill(ACCOUNT)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_have_text(email)


def problems_of(page: Page, name: str) -> list[str]:
    page.wait_for_load_state("load")
    shoot(page, f"layout-{name}")
    found: list[str] = page.evaluate(PROBLEMS_JS)
    return [f"{name}: {p}" for p in found]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_holds_its_layout_with_hostile_data(
    site: Site, company: Hostile, browser: Browser, width: str
) -> None:
    size: ViewportSize = {"width": WIDTHS[width], "height": 900}
    problems: list[str] = []
    signed_out = browser.new_context(viewport=size)
    page = signed_out.new_page()
    page.goto(f"{site.url}/login")
    problems += problems_of(page, f"login-{width}")
    signed_out.close()

    admin = browser.new_context(viewport=size)
    page = admin.new_page()
    sign_in(page, site, ADMIN)
    for name, path in admin_pages(company).items():
        page.goto(f"{site.url}{path}")
        problems += problems_of(page, f"{name}-{width}")
    page.goto(f"{site.url}/settings/integrations/justworks")
    page.locator("button.toggle").click()  # the auto-sync dialog, open
    problems += problems_of(page, f"justworks-dialog-{width}")
    admin.close()

    operator = browser.new_context(
        viewport=size, http_credentials={"username": "operator", "password": OPERATOR_TOKEN}
    )
    page = operator.new_page()
    page.goto(f"{site.url}/operator")
    expect(page.get_by_role("heading", name="Failing accounts")).to_be_visible()
    problems += problems_of(page, f"operator-{width}")
    operator.close()

    user = browser.new_context(viewport=size)
    page = user.new_page()
    sign_in(page, site, hostile.LONG_EMAIL)
    expect(page).to_have_url(re.compile(r"/me$"))
    problems += problems_of(page, f"me-{width}")
    user.close()
    assert not problems, "\n".join(problems)
