"""Words as admins know them (issue 14): the field schema's labels on every page, no source ids
in the review, and every core field of the schema on a person's page."""

from __future__ import annotations

from peoplesync.core.fields import FIELDS
from tests.web.tenants import Tenant


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
