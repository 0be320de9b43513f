"""Auth errors as Merge answers them, and the Merge Link stand-in flow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from peoplesync.sandbox import SandboxAccount, SandboxServer
from tests.sandbox.helpers import Hris

LINK_BODY = {
    "end_user_origin_id": "acme-42",
    "end_user_organization_name": "Acme <Inc> & Co",
    "end_user_email_address": "hr@acme.example.com",
    "categories": ["hris"],
    "integration": "justworks",
}


@pytest.fixture
def api(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox.base_url}/hris/v1", timeout=10) as client:
        yield client


def key(sandbox: SandboxServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.api_key}"}


def test_missing_key_bad_key_and_missing_account_token_are_401(
    sandbox: SandboxServer, api: httpx.Client, company: SandboxAccount
) -> None:
    account = {"X-Account-Token": company.account_token}
    no_key = api.get("/employees", headers=account)
    bad_key = api.get("/employees", headers={**account, "Authorization": "Bearer wrong"})
    no_token = api.get("/employees", headers=key(sandbox))
    bad_token = api.get("/employees", headers={**key(sandbox), "X-Account-Token": "nope"})
    assert [r.status_code for r in (no_key, bad_key, no_token, bad_token)] == [401] * 4
    assert no_token.json() == {
        "detail": "Account Token must be passed in as an X-Account-Token header."
    }
    assert all(set(r.json()) == {"detail"} for r in (no_key, bad_key, bad_token))


def test_delete_account_then_the_token_is_401(sandbox: SandboxServer, hris: Hris) -> None:
    assert hris.get("/employees").status_code == 200
    assert hris.http.post("/delete-account").status_code == 200
    after = hris.get("/employees")
    assert after.status_code == 401
    assert "detail" in after.json()


def test_linked_accounts_needs_only_the_api_key(
    sandbox: SandboxServer, api: httpx.Client, company: SandboxAccount
) -> None:
    listed = api.get(
        "/linked-accounts", headers=key(sandbox), params={"id": company.linked_account_id}
    )
    assert listed.status_code == 200
    [item] = listed.json()["results"]
    assert item["integration"]["slug"] == "justworks"
    assert item["status"] == "COMPLETE"
    assert api.get("/linked-accounts").status_code == 401


def link_page(sandbox: SandboxServer, api: httpx.Client, redirect_uri: str) -> tuple[str, str]:
    token = api.post("/link-token", headers=key(sandbox), json=LINK_BODY).json()["link_token"]
    page = httpx.get(
        f"{sandbox.url}/link", params={"link_token": token, "redirect_uri": redirect_uri}
    )
    assert page.status_code == 200, page.text
    return token, page.text


def test_the_link_flow_ends_with_a_working_account_token(
    sandbox: SandboxServer, api: httpx.Client
) -> None:
    redirect = "https://app.example.com/connect/done?state=xyz"
    link_token, html = link_page(sandbox, api, redirect)
    assert "Connect your Justworks account" in html
    assert "peoplesync will be able to read your Justworks employee data" in html
    assert "Acme &lt;Inc&gt; &amp; Co" in html
    assert "Acme <Inc>" not in html
    assert re.search(r'type="checkbox"', html)
    assert "Submit" in html
    form = {"link_token": link_token, "redirect_uri": redirect}
    unchecked = httpx.post(f"{sandbox.url}/link", data=form)
    assert unchecked.status_code == 400
    assert "Confirm" in unchecked.text
    done = httpx.post(f"{sandbox.url}/link", data={**form, "service_account_added": "yes"})
    assert done.status_code == 303
    location = urlsplit(done.headers["location"])
    assert location.netloc == "app.example.com"
    assert location.path == "/connect/done"
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    public_token = query["public_token"][0]
    exchanged = api.get(f"/account-token/{public_token}", headers=key(sandbox))
    assert exchanged.status_code == 200
    body = exchanged.json()
    assert body["integration"]["name"] == "Justworks"
    assert body["integration"]["slug"] == "justworks"
    again = api.get(f"/account-token/{public_token}", headers=key(sandbox))
    assert again.status_code == 404  # single use
    linked = Hris(sandbox.base_url, sandbox.api_key, body["account_token"])
    assert linked.json("/account-details")["end_user_origin_id"] == "acme-42"
    assert len(linked.walk(page_size=100)[0]) == 40  # the server's configured company
    linked.close()
    reused = httpx.post(f"{sandbox.url}/link", data={**form, "service_account_added": "yes"})
    assert reused.status_code == 404  # the link token is spent too


def test_the_link_page_refuses_bad_redirects_and_unknown_tokens(
    sandbox: SandboxServer, api: httpx.Client
) -> None:
    token = api.post("/link-token", headers=key(sandbox), json=LINK_BODY).json()["link_token"]
    hostile = httpx.get(
        f"{sandbox.url}/link", params={"link_token": token, "redirect_uri": "javascript:alert(1)"}
    )
    assert hostile.status_code == 400
    assert "alert(1)" not in hostile.text
    unknown = httpx.get(
        f"{sandbox.url}/link", params={"link_token": "nope", "redirect_uri": "https://a.example"}
    )
    assert unknown.status_code == 404
    assert "expired" in unknown.text


def test_link_token_requires_the_documented_fields(
    sandbox: SandboxServer, api: httpx.Client
) -> None:
    response = api.post("/link-token", headers=key(sandbox), json={"categories": ["hris"]})
    assert response.status_code == 400
    assert response.json()["end_user_origin_id"] == ["This field is required."]
    assert api.post("/link-token", json=LINK_BODY).status_code == 401
