"""Words as admins know them (issue 14): the field schema's labels on every page, no source ids
in the review, and every core field of the schema on a person's page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from peoplesync.core.fields import FIELDS
from tests.web.site import Site
from tests.web.tenants import Tenant, import_csv


def test_a_persons_page_names_every_core_field_by_its_label(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    page = a.browser.get(f"/users/{a.person_id}").text
    for field in FIELDS:
        if field.name != "name":  # the page's heading
            assert f"<dt>{field.label}</dt>" in page, field.label
    assert "Date of birth" not in page  # the old lowercase words
    assert "birth date" not in page


def test_the_review_shows_labels_and_no_source_ids(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    review = a.browser.get(f"/runs/{a.run_id}/review?kind=create").text
    assert '<span class="field">Employee Id</span>' in review
    assert '<span class="field">Date of Birth</span>' in review
    assert "source id" not in review.lower()
    assert "birth date" not in review


def test_the_review_says_a_last_day_is_worked_and_when_the_person_becomes_former(
    site: Site,
) -> None:
    """End Date = today: active through today, former from tomorrow (issue 11), said in the
    review where the change is."""
    account_id = site.account("Last Day Co")
    api = site.api(site.token(account_id))
    today = datetime.now(UTC).date()
    data = (
        "Name,Email,End Date\n"
        f"Ada Lovelace,ada@lastday.example,{today.isoformat()}\n"
        "Bob Stone,bob@lastday.example,\n"
    ).encode()
    run = import_csv(api, data, "last-day.csv")
    browser = site.login(account_id, "admin@lastday.example")
    review = browser.get(f"/runs/{run['id']}/review?kind=create").text
    tomorrow = today + timedelta(days=1)
    note = re.search(r"<span class=\"muted\" data-last-day>\((.*?)\)</span>", review)
    assert note is not None
    assert note.group(1) == (
        f"works through {today.day} {today:%b %Y}; former from {tomorrow.day} {tomorrow:%b %Y}"
    )
    assert review.count("data-last-day") == 1  # Bob has no end date
