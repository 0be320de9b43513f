"""The operator's view over real HTTP (issue 18): opened by the operator token only (HTTP Basic
for the page, a bearer token for the API), never by an account admin's session or API token;
off while no token is set; account names shown as text."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from peoplesync.accounts.service import get_account
from peoplesync.core.states import RunState
from peoplesync.runs import service as runs
from peoplesync.store.db import unit_of_work
from tests.web.site import OPERATOR_TOKEN, Site
from tests.web.tenants import NOW, Tenant

HOSTILE = "<script>alert('ops')</script> & Co"


@pytest.fixture(scope="module")
def failing(site: Site, tenants: tuple[Tenant, Tenant]) -> int:
    """An account whose two latest syncs failed."""
    account_id = site.account(HOSTILE)
    for why in ("Merge did not answer (HTTP 503).", "Merge did not answer (HTTP 502)."):
        with unit_of_work(site.web.factory) as session:
            account = get_account(session, account_id)
            run = runs.start_run(
                session, account, trigger="automatic", source_kind="merge", now=NOW
            )
            runs.fail_run(run, why, NOW)
    return account_id


def operator(site: Site, **auth: str) -> httpx.Client:
    client = site.client()
    if "basic" in auth:
        client.auth = httpx.BasicAuth("operator", auth["basic"])
    if "bearer" in auth:
        client.headers["Authorization"] = f"Bearer {auth['bearer']}"
    return client


def test_the_page_asks_for_the_operator_token_and_shows_the_fleet(site: Site, failing: int) -> None:
    asked = site.client().get("/operator")
    assert asked.status_code == 401
    assert asked.headers["www-authenticate"].startswith('Basic realm="peoplesync operator"')
    assert HOSTILE not in asked.text
    wrong = operator(site, basic="not-the-token").get("/operator")
    assert wrong.status_code == 401
    page = operator(site, basic=OPERATOR_TOKEN).get("/operator")
    assert page.status_code == 200
    assert "Failing accounts" in page.text
    text = page.text.replace("<wbr>", "")  # long names may break after punctuation
    assert "&lt;script&gt;alert(&#39;ops&#39;)&lt;/script&gt; &amp; Co" in text
    assert "<script>alert" not in page.text
    assert "Merge did not answer (HTTP 502)." in page.text
    assert "no-store" in page.headers["cache-control"]


def test_the_api_answers_the_operator_token_only(
    site: Site, tenants: tuple[Tenant, Tenant], failing: int
) -> None:
    a, _ = tenants
    assert site.client().get("/api/v1/operator/fleet").status_code == 401
    refused = a.api.get("/api/v1/operator/fleet")  # an account admin's API token
    assert refused.status_code == 401
    assert "operator token" in refused.json()["error"]["message"]
    assert a.browser.get("/api/v1/operator/fleet").status_code == 401  # an admin's session
    assert a.browser.get("/operator").status_code == 401
    found = operator(site, bearer=OPERATOR_TOKEN).get("/api/v1/operator/fleet")
    assert found.status_code == 200
    body = found.json()
    assert body["accounts"] >= 3
    (row,) = [f for f in body["failing"] if f["account_id"] == failing]
    assert (row["account"], row["failures"]) == (HOSTILE, 2)
    assert body["in_flight"] == [
        r for r in body["in_flight"] if r["state"] != RunState.AWAITING_REVIEW.value
    ]


@pytest.fixture
def no_token(site: Site) -> Iterator[None]:
    saved = site.web.settings.operator_token
    site.web.settings.operator_token = None
    try:
        yield
    finally:
        site.web.settings.operator_token = saved


def test_without_a_token_the_operator_view_is_off(site: Site, no_token: None) -> None:
    page = operator(site, basic=OPERATOR_TOKEN).get("/operator")
    assert page.status_code == 404
    assert "PEOPLESYNC_OPERATOR_TOKEN" in page.text
    api = operator(site, bearer=OPERATOR_TOKEN).get("/api/v1/operator/fleet")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"
