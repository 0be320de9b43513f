"""Periodic syncs on the advertised schedule (and a scripted failure), the linked-account
webhooks (linked, relinked, deleted), Magic Link, and the embedded-Link script stand-in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from peoplesync.sandbox import ManualClock, SandboxServer
from peoplesync.sources.merge.status import employee_sync_state, parse_sync_statuses
from tests.sandbox.helpers import Hris, WebhookReceiver

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="module")
def timed(clock: ManualClock) -> Iterator[SandboxServer]:
    with SandboxServer(size=20, clock=clock, tick_seconds=0.02) as server:
        yield server


def employee_status(hris: Hris) -> dict[str, Any]:
    found: dict[str, Any] = next(
        s for s in hris.json("/sync-status")["results"] if s["model_name"] == "Employee"
    )
    return found


def test_periodic_syncs_run_when_next_sync_start_says(
    timed: SandboxServer, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    created = timed.control.create_company(
        seed=2, size=20, initial_sync_seconds=0, sync_interval_seconds=600
    )
    hris = Hris(timed.base_url, timed.api_key, created.account_token)
    timed.control.patch_account(hris.token, sync_seconds=30)
    timed.control.register_webhook(hris.token, receiver.url, "k")
    first = employee_status(hris)
    due = datetime.fromisoformat(first["next_sync_start"])
    assert due == datetime.fromisoformat(first["last_sync_start"]) + timedelta(minutes=10)
    clock.advance((due - clock.now()).total_seconds() + 1)
    routine = employee_status(hris)
    assert routine["status"] == "SYNCING"
    assert routine["is_initial_sync"] is False
    assert routine["last_sync_result"] == "DONE"  # the previous sync's, kept
    assert routine["last_sync_finished"] == first["last_sync_finished"]
    state = employee_sync_state(parse_sync_statuses([routine]))
    assert (state.phase, state.ready, state.fresh) == ("syncing", True, True)
    clock.advance(30)
    done = employee_status(hris)
    assert done["status"] == "DONE"
    assert done["last_sync_finished"] > first["last_sync_finished"]
    [hook] = receiver.wait_for(1)
    body = json.loads(hook.body)
    assert body["hook"]["event"] == "LinkedAccount.sync_completed"
    assert body["data"]["is_initial_sync"] is False
    hris.close()


def test_a_scripted_periodic_sync_fails_while_status_says_done(
    timed: SandboxServer, clock: ManualClock
) -> None:
    created = timed.control.create_company(
        seed=2, size=20, initial_sync_seconds=0, sync_interval_seconds=600
    )
    hris = Hris(timed.base_url, timed.api_key, created.account_token)
    timed.control.script_next_sync(hris.token, "FAILED", status="DONE", model_name="Employee")
    clock.advance(601)
    failed = employee_status(hris)
    assert (failed["status"], failed["last_sync_result"]) == ("DONE", "FAILED")
    state = employee_sync_state(parse_sync_statuses([failed]))
    assert (state.phase, state.ready, state.fresh) == ("failed", True, False)
    clock.advance(600)
    assert employee_status(hris)["last_sync_result"] == "DONE"  # only the next one was scripted
    timed.control.set_sync_status(hris.token, "DONE", last_sync_result="FAILED")
    assert employee_status(hris)["last_sync_result"] == "FAILED"
    hris.close()


def test_a_long_jump_of_the_clock_runs_only_the_latest_due_sync(
    timed: SandboxServer, clock: ManualClock
) -> None:
    created = timed.control.create_company(
        seed=2, size=20, initial_sync_seconds=0, sync_interval_seconds=600
    )
    hris = Hris(timed.base_url, timed.api_key, created.account_token)
    before = datetime.fromisoformat(employee_status(hris)["last_sync_start"])
    clock.advance(86_400)
    after = employee_status(hris)
    started = datetime.fromisoformat(after["last_sync_start"])
    assert clock.now() - timedelta(minutes=10) < started <= clock.now()
    assert started - before >= timedelta(days=1) - timedelta(minutes=10)
    assert after["status"] == "DONE"
    hris.close()


def key(sandbox: SandboxServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.api_key}"}


def link_token(sandbox: SandboxServer, origin: str, **extra: Any) -> dict[str, Any]:
    body = {
        "end_user_origin_id": origin,
        "end_user_organization_name": "Linked <Co>",
        "end_user_email_address": "hr@linked.example.com",
        "categories": ["hris"],
        **extra,
    }
    answer = httpx.post(f"{sandbox.base_url}/hris/v1/link-token", headers=key(sandbox), json=body)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_linked_carries_the_token_and_a_relink_keeps_the_account(
    sandbox: SandboxServer, receiver: WebhookReceiver
) -> None:
    sandbox.control.register_webhook(
        None, receiver.url, "org", events=["LinkedAccount.linked", "LinkedAccount.deleted"]
    )
    try:
        form = {"service_account_added": "yes", "redirect_uri": "http://app.example/done"}
        first = link_token(sandbox, "relinker", integration="bamboohr")["link_token"]
        assert httpx.post(f"{sandbox.url}/link", data=form | {"link_token": first}).is_redirect
        [linked] = receiver.wait_for(1)
        data = json.loads(linked.body)["data"]
        assert data["is_relink"] is False
        assert data["integration_slug"] == "bamboohr"
        hris = Hris(sandbox.base_url, sandbox.api_key, data["account_token"])
        sandbox.control.patch_account(hris.token, status="RELINK_NEEDED")
        assert hris.json("/account-details")["status"] == "RELINK_NEEDED"
        second = link_token(sandbox, "relinker")["link_token"]
        assert httpx.post(f"{sandbox.url}/link", data=form | {"link_token": second}).is_redirect
        relinked = json.loads(receiver.wait_for(2)[1].body)
        assert relinked["data"]["is_relink"] is True
        assert relinked["data"]["account_token"] == data["account_token"]
        assert relinked["linked_account"]["id"] == json.loads(linked.body)["linked_account"]["id"]
        assert hris.json("/account-details")["status"] == "COMPLETE"
        assert hris.http.post("/delete-account").status_code == 200
        gone = json.loads(receiver.wait_for(3)[2].body)
        assert gone["hook"]["event"] == "LinkedAccount.deleted"
        hris.close()
    finally:
        httpx.delete(f"{sandbox.url}/control/webhook")


def test_magic_link_needs_no_redirect_and_hands_out_no_public_token(
    sandbox: SandboxServer,
) -> None:
    assert link_token(sandbox, "magic-1", link_expiry_mins=10080, should_create_magic_link_url=True)
    refused = httpx.post(
        f"{sandbox.base_url}/hris/v1/link-token",
        headers=key(sandbox),
        json={
            "end_user_origin_id": "magic-2",
            "end_user_organization_name": "M",
            "end_user_email_address": "m@m.example",
            "categories": ["hris"],
            "link_expiry_mins": 10080,
        },
    )
    assert refused.status_code == 400
    assert "between 30 and 720" in refused.text
    url = link_token(sandbox, "magic-3", should_create_magic_link_url=True)["magic_link_url"]
    page = httpx.get(url)
    assert page.status_code == 200
    assert "Choose your HR system" in page.text  # no integration chosen: Link's picker
    done = httpx.post(url, data={"service_account_added": "yes", "integration": "hibob"})
    assert done.status_code == 200
    assert "Your HiBob account is connected" in done.text
    assert "public_token" not in done.text
    assert httpx.get(url).status_code == 404  # spent


def test_the_link_script_has_merges_api(sandbox: SandboxServer) -> None:
    script = httpx.get(f"{sandbox.url}/link/initialize.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    for name in ("window.MergeLink", "initialize", "openLink", "onSuccess", "onExit"):
        assert name in script.text
    assert "tenantConfig" in script.text
    assert "event.origin !== home" in script.text  # only this server's frame is heard


def test_the_embedded_dialog_posts_the_public_token_to_the_opening_page_only(
    sandbox: SandboxServer,
) -> None:
    token = link_token(sandbox, "embedded-1", integration="justworks")["link_token"]
    params = {"link_token": token, "origin": "http://app.example:8000"}
    tenant = {"api_base_url": "https://api-eu.merge.dev"}
    dialog = httpx.get(f"{sandbox.url}/link/embedded", params=params | tenant)
    assert dialog.status_code == 200
    assert "Linked &lt;Co&gt;" in dialog.text
    assert "https://api-eu.merge.dev" in dialog.text
    assert "merge-link-close" in dialog.text
    hostile = params | {"origin": "javascript:alert(1)"}
    assert httpx.get(f"{sandbox.url}/link/embedded", params=hostile).status_code == 400
    unchecked = httpx.post(f"{sandbox.url}/link/embedded", data=params)
    assert unchecked.status_code == 400
    done = httpx.post(
        f"{sandbox.url}/link/embedded", data=params | {"service_account_added": "yes"}
    )
    assert done.status_code == 200
    assert '"type": "success"' in done.text
    assert '"http://app.example:8000")' in done.text  # postMessage's target origin
    marker = '"publicToken": "'
    start = done.text.index(marker) + len(marker)
    public = done.text[start : done.text.index('"', start)]
    exchanged = httpx.get(
        f"{sandbox.base_url}/hris/v1/account-token/{public}", headers=key(sandbox)
    )
    assert exchanged.status_code == 200
    assert exchanged.json()["integration"]["slug"] == "justworks"
