"""Scripted sync status on an injected clock, and signed webhooks to a local receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from peoplesync.sandbox import ManualClock, SandboxServer
from peoplesync.sandbox.webhooks import sign
from tests.sandbox.helpers import Hris, WebhookReceiver

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="module")
def timed(clock: ManualClock) -> Iterator[SandboxServer]:
    with SandboxServer(size=20, clock=clock, tick_seconds=0.02) as server:
        yield server


def account(server: SandboxServer, seconds: float) -> Hris:
    created = server.control.create_company(seed=8, size=30, initial_sync_seconds=seconds)
    return Hris(server.base_url, server.api_key, created.account_token)


def statuses(hris: Hris) -> dict[str, dict[str, object]]:
    return {s["model_name"]: s for s in hris.json("/sync-status")["results"]}


def test_initial_sync_is_syncing_then_done(timed: SandboxServer, clock: ManualClock) -> None:
    hris = account(timed, 30)
    started = clock.now()
    syncing = statuses(hris)
    assert len(syncing) == 7
    assert {s["status"] for s in syncing.values()} == {"SYNCING"}
    employee = syncing["Employee"]
    assert employee["is_initial_sync"] is True
    assert employee["last_sync_finished"] is None
    assert employee["model_id"] == "hris.Employee"
    assert len(hris.walk(page_size=100)[0]) == 30  # data shows up during the initial sync
    clock.advance(29)
    assert statuses(hris)["Employee"]["status"] == "SYNCING"
    clock.advance(2)
    done = statuses(hris)["Employee"]
    assert done["status"] == "DONE"
    assert done["last_sync_result"] == "DONE"
    assert done["is_initial_sync"] is False
    finished = started + timedelta(seconds=30)
    assert done["last_sync_finished"] == finished.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert done["data_fresh_as_of"] == done["last_sync_start"]
    assert done["historical_data_since"] is not None
    hris.close()


def test_zero_seconds_is_done_at_once_and_resync_is_a_bare_array(
    timed: SandboxServer, clock: ManualClock
) -> None:
    hris = account(timed, 0)
    assert statuses(hris)["Employee"]["status"] == "DONE"
    resync = hris.http.post("/sync-status/resync").json()
    assert isinstance(resync, list)
    assert {s["status"] for s in resync} == {"DONE"}
    timed.control.patch_account(hris.token, sync_seconds=10)
    resync = hris.http.post("/sync-status/resync").json()
    assert {s["status"] for s in resync} == {"SYNCING"}
    assert {s["is_initial_sync"] for s in resync} == {False}
    clock.advance(11)
    assert statuses(hris)["Team"]["status"] == "DONE"
    hris.close()


def test_the_control_api_sets_any_status(timed: SandboxServer) -> None:
    hris = account(timed, 0)
    timed.control.set_sync_status(
        hris.token, "FAILED", model_name="Employee", sync_status_reason="RATE_LIMITED"
    )
    timed.control.set_sync_status(hris.token, "PARTIALLY_SYNCED", model_name="Team")
    found = statuses(hris)
    assert found["Employee"]["status"] == "FAILED"
    assert found["Employee"]["sync_status_reason"] == "RATE_LIMITED"
    assert found["Team"]["status"] == "PARTIALLY_SYNCED"
    assert found["Company"]["status"] == "DONE"
    timed.control.set_sync_status(hris.token, "PAUSED")
    assert {s["status"] for s in statuses(hris).values()} == {"PAUSED"}
    page = hris.json("/sync-status", page_size=3)
    rest, _ = hris.walk("/sync-status", page_size=3)
    assert len(page["results"]) == 3
    assert page["next"]
    assert len(rest) == 7
    hris.close()


def expected_signature(key: str, body: bytes) -> str:
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def test_sync_completed_webhook_is_signed_with_base64url_hmac(
    timed: SandboxServer, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    hris = account(timed, 5)
    timed.control.register_webhook(hris.token, receiver.url, "whsec-test-key")
    clock.advance(6)
    [delivery] = receiver.wait_for(1)
    assert delivery.headers["X-Merge-Webhook-Signature"] == expected_signature(
        "whsec-test-key", delivery.body
    )
    body = json.loads(delivery.body)
    assert body["hook"]["event"] == "LinkedAccount.sync_completed"
    assert body["hook"]["target"] == receiver.url
    assert body["linked_account"]["integration_slug"] == "justworks"
    assert body["data"]["is_initial_sync"] is True
    assert body["data"]["sync_status"]["hris.Employee"]["last_sync_result"] == "DONE"
    timed.control.send_sync_completed(hris.token)
    second = receiver.wait_for(2)[1]
    assert json.loads(second.body)["data"]["is_initial_sync"] is False
    hris.close()


def test_employee_events_padding_and_retries(
    timed: SandboxServer, receiver: WebhookReceiver
) -> None:
    hris = account(timed, 0)
    receiver.status = 503
    timed.control.register_webhook(
        hris.token,
        receiver.url,
        "k",
        events=["Employee.changed"],
        padding=True,
        retry_delays=(0.05, 0.05),
    )
    employee = hris.json("/employees", page_size=1)["results"][0]
    timed.control.rename(hris.token, employee["id"], first_name="Renamed")
    attempts = receiver.wait_for(3)
    assert len({a.body for a in attempts}) == 1  # the same event, retried
    signature = attempts[0].headers["X-Merge-Webhook-Signature"]
    assert signature.endswith("=")
    assert signature == sign("k", attempts[0].body, padding=True)
    assert json.loads(attempts[0].body)["data"]["first_name"] == "Renamed"
    time.sleep(0.2)
    assert len(receiver.deliveries) == 3  # one attempt and two retries, then it gives up
    hris.close()


def test_the_organization_webhook_hears_a_new_link_and_its_initial_sync(
    timed: SandboxServer, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    timed.control.register_webhook(None, receiver.url, "org-key")
    try:
        link = httpx.post(
            f"{timed.base_url}/hris/v1/link-token",
            headers={"Authorization": f"Bearer {timed.api_key}"},
            json={
                "end_user_origin_id": "org-hook",
                "end_user_organization_name": "Hooked Inc",
                "end_user_email_address": "hr@hooked.example.com",
                "categories": ["hris"],
            },
        ).json()["link_token"]
        form = {
            "link_token": link,
            "redirect_uri": "http://localhost:9/done",
            "service_account_added": "yes",
        }
        assert httpx.post(f"{timed.url}/link", data=form).status_code == 303
        [linked] = receiver.wait_for(1)
        assert json.loads(linked.body)["hook"]["event"] == "LinkedAccount.linked"
        assert linked.headers["X-Merge-Webhook-Signature"] == sign("org-key", linked.body)
        clock.advance(timed.config.initial_sync_seconds + 1)
        synced = json.loads(receiver.wait_for(2)[1].body)
        assert synced["hook"]["event"] == "LinkedAccount.sync_completed"
        assert synced["linked_account"]["end_user_origin_id"] == "org-hook"
        assert synced["data"]["is_initial_sync"] is True
    finally:
        httpx.delete(f"{timed.url}/control/webhook")
