"""Every sandbox answer our client uses fits the schemas written from Merge's definition, for
every integration it plays, with and without quirks; and a drifting answer is caught."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from peoplesync.sandbox import SandboxServer
from peoplesync.sources.merge.client import EMPLOYEE_EXPAND
from peoplesync.sources.merge.shared import SHARED, WALK_EXPAND
from tests.conformance.validate import assert_conforms, problems
from tests.sandbox.helpers import Hris, WebhookReceiver

ALL_EXPANDS = "company,employments,groups,home_location,manager,pay_group,team,work_location"
COMPANIES = [
    pytest.param({"integration": integration, "quirks": quirks}, id=f"{integration}-{label}")
    for integration in ("justworks", "bamboohr", "hibob")
    for quirks, label in ((False, "plain"), (True, "quirks"))
]


@pytest.fixture(params=COMPANIES)
def hris(request: pytest.FixtureRequest, sandbox: SandboxServer) -> Iterator[Hris]:
    options: dict[str, Any] = request.param
    created = sandbox.control.create_company(seed=5, size=60, initial_sync_seconds=0, **options)
    client = Hris(sandbox.base_url, sandbox.api_key, created.account_token)
    yield client
    client.close()


def pages(hris: Hris, **params: Any) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        page = hris.json("/employees", **params, **({"cursor": cursor} if cursor else {}))
        yield page
        cursor = page["next"]
        if cursor is None:
            return


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="plain"),
        pytest.param({"expand": EMPLOYEE_EXPAND, "include_deleted_data": "true"}, id="client"),
        pytest.param({"expand": WALK_EXPAND, "include_deleted_data": "true"}, id="full-walk"),
        pytest.param({"expand": ALL_EXPANDS}, id="every-expand-csv"),
        pytest.param({"expand": ALL_EXPANDS.split(",")}, id="every-expand-repeated"),
        pytest.param(
            {
                "expand": ALL_EXPANDS,
                "include_remote_data": "true",
                "include_sensitive_fields": "true",
                "show_enum_origins": "employment_status,gender",
            },
            id="everything",
        ),
    ],
)
def test_employee_pages_conform(hris: Hris, params: dict[str, Any]) -> None:
    seen = 0
    for page in pages(hris, page_size=25, **params):
        assert_conforms("employee_page.json", page)
        seen += len(page["results"])
    assert seen >= 60


SCHEMA_OF = {"groups": "group.json", "locations": "location.json", "companies": "company.json",
             "teams": "team.json"}  # fmt: skip


@pytest.mark.parametrize("key", list(SHARED))
def test_the_lists_and_retrieves_of_a_full_walk_conform(hris: Hris, key: str) -> None:
    """What sources/merge/shared.py asks for instead of expanding: each list (with its filter),
    paged, and one object retrieved by id, against the model's schema."""
    model, params = SHARED[key]
    cursor, listed = None, []
    while True:
        page = hris.json(
            f"/{model}", page_size=5, **params, **({"cursor": cursor} if cursor else {})
        )
        assert set(page) == {"next", "previous", "results"}
        for item in page["results"]:
            assert_conforms(SCHEMA_OF[model], item)
        listed.extend(page["results"])
        if (cursor := page["next"]) is None:
            break
    assert listed
    if model == "locations":
        assert {item["location_type"] for item in listed} == {"WORK"}
    assert_conforms(SCHEMA_OF[model], hris.json(f"/{model}/{listed[0]['id']}"))


def test_account_answers_conform(hris: Hris) -> None:
    assert_conforms("sync_status_page.json", hris.json("/sync-status"))
    assert_conforms("account_details.json", hris.json("/account-details"))
    assert_conforms("available_actions.json", hris.json("/available-actions"))
    resync = hris.http.post("/sync-status/resync")
    assert resync.status_code == 200
    assert_conforms("resync.json", resync.json())
    for path in ("/groups", "/teams", "/employments", "/locations", "/companies", "/pay-groups"):
        page = hris.json(path, page_size=100)
        schema = {"/pay-groups": "pay_group", "/companies": "company"}.get(path, path[1:-1])
        assert_conforms(f"{schema}.json", page["results"][0])


def test_delete_account_answers_an_empty_200(sandbox: SandboxServer) -> None:
    created = sandbox.control.create_company(seed=5, size=20, initial_sync_seconds=0)
    hris = Hris(sandbox.base_url, sandbox.api_key, created.account_token)
    deleted = hris.http.post("/delete-account")
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert hris.get("/account-details").status_code == 401
    hris.close()


def key(sandbox: SandboxServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.api_key}"}


@pytest.mark.parametrize("magic", [False, True])
def test_link_token_and_account_token_and_their_webhooks_conform(
    sandbox: SandboxServer, receiver: WebhookReceiver, magic: bool
) -> None:
    origin = f"conformance-{'magic' if magic else 'embedded'}"
    sandbox.control.register_webhook(None, receiver.url, "conformance-key")
    try:
        link = httpx.post(
            f"{sandbox.base_url}/hris/v1/link-token",
            headers=key(sandbox),
            json={
                "end_user_origin_id": origin,
                "end_user_organization_name": "Conformance Inc",
                "end_user_email_address": "hr@conformance.example.com",
                "categories": ["hris"],
                "integration": "hibob",
                "should_create_magic_link_url": magic,
            },
        ).json()
        assert_conforms("link_token.json", link)
        assert link["integration_name"] == "HiBob"
        done = complete_link(sandbox, link, magic)
        delivered = {(b := json.loads(d.body))["hook"]["event"]: b for d in receiver.wait_for(2)}
        linked = delivered["LinkedAccount.linked"]  # the two may arrive in either order
        synced = delivered["LinkedAccount.sync_completed"]
    finally:
        httpx.delete(f"{sandbox.url}/control/webhook")
    assert_conforms("webhook_linked.json", linked)
    assert_conforms("webhook_sync_completed.json", synced)
    assert linked["data"]["is_relink"] is False
    assert synced["linked_account"]["id"] == linked["linked_account"]["id"]
    if magic:
        assert done is None  # Magic Link hands out no public token: the webhook has the token
        return
    exchanged = httpx.get(f"{sandbox.base_url}/hris/v1/account-token/{done}", headers=key(sandbox))
    assert_conforms("account_token.json", exchanged.json())
    assert exchanged.json()["id"] == linked["linked_account"]["id"]
    assert exchanged.json()["account_token"] == linked["data"]["account_token"]


def complete_link(sandbox: SandboxServer, link: dict[str, Any], magic: bool) -> str | None:
    """Submit the Link stand-in's dialog; the public token (None for a Magic Link)."""
    form = {"service_account_added": "yes"}
    if magic:
        answer = httpx.post(link["magic_link_url"], data=form)
        assert answer.status_code == 200, answer.text
        return None
    token = link["link_token"]
    answer = httpx.post(
        f"{sandbox.url}/link/embedded",
        data=form | {"link_token": token, "origin": "http://app.example"},
    )
    assert answer.status_code == 200, answer.text
    marker = '"publicToken": "'
    start = answer.text.index(marker) + len(marker)
    return answer.text[start : answer.text.index('"', start)]


def test_a_drifting_sandbox_is_caught(sandbox: SandboxServer) -> None:
    """What the conformance tests exist for: a renamed or retyped field fails them."""
    created = sandbox.control.create_company(seed=5, size=20, initial_sync_seconds=0)
    hris = Hris(sandbox.base_url, sandbox.api_key, created.account_token)
    page = hris.json("/employees", expand=ALL_EXPANDS)
    status = hris.json("/sync-status")
    hris.close()
    assert_conforms("employee_page.json", page)
    renamed = copy.deepcopy(page)
    first = renamed["results"][0]
    first["work_mail"] = first.pop("work_email")
    assert any(
        "'work_email' is a required property" in p for p in problems("employee_page.json", renamed)
    )
    retyped = copy.deepcopy(status)
    retyped["results"][0]["is_initial_sync"] = "false"
    assert problems("sync_status_page.json", retyped) == [
        "$.results[0].is_initial_sync: 'false' is not of type 'boolean'"
    ]
    nested = copy.deepcopy(page)
    nested["results"][0]["groups"][0]["is_commonly_used_as_team"] = "yes"
    assert problems("employee_page.json", nested)
