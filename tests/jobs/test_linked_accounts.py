"""Linked accounts (issue 12): every way of connecting stores the linked account's id, so that a
signed `LinkedAccount.sync_completed` from Merge (here the sandbox, over HTTP, to a receiver
playing our route) starts a sync for that account; `LinkedAccount.linked` connects a Magic Link
and relinks; account-details' RELINK_NEEDED stops syncs with "Reconnect <provider>"; Disconnect
deletes the linked account at Merge and our credentials, and keeps the directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from peoplesync.accounts.service import get_account
from peoplesync.connections import linking
from peoplesync.connections import service as connections
from peoplesync.errors import NotFoundError, ReconnectNeededError
from peoplesync.jobs.queue import InProcessConsumer
from peoplesync.runs.disconnect import disconnect
from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.sources.merge.client import MergeClient
from peoplesync.store.db import unit_of_work
from tests.jobs.test_merge_webhook import KEY, Route, deliver, signed
from tests.jobs.world import TaskLog, World
from tests.web.linking import public_token_from_dialog


def _client_for(sandbox: SandboxServer) -> linking.ClientFor:
    def build(token: str | None) -> MergeClient:
        return MergeClient(sandbox.base_url, sandbox.api_key, token)

    return build


def _save(
    world: World, account_id: int, sandbox: SandboxServer, found: linking.LinkedAccount
) -> None:
    with unit_of_work(world.factory) as session:
        linking.save(
            session,
            get_account(session, account_id),
            found,
            box=world.box,
            base_url=sandbox.base_url,
            api_key=sandbox.api_key,
            now=world.clock(),
        )


def by_pasted_token(world: World, account_id: int, sandbox: SandboxServer) -> str:
    company = sandbox.control.create_company(seed=3, size=20, initial_sync_seconds=0)
    found = linking.from_account_token(_client_for(sandbox), company.account_token)
    assert found.linked_account_id == company.linked_account_id  # from account-details
    _save(world, account_id, sandbox, found)
    return company.account_token


def by_link(world: World, account_id: int, sandbox: SandboxServer) -> str:
    with _client_for(sandbox)(None) as client:
        made = client.create_link(
            linking.origin_id(account_id), "Acme", "hr@acme.example", "bamboohr"
        )
    public = public_token_from_dialog(sandbox.url, made.token, "http://peoplesync.test")
    found = linking.from_public_token(_client_for(sandbox), public)
    assert (found.integration_name, found.integration_slug) == ("BambooHR", "bamboohr")
    _save(world, account_id, sandbox, found)
    (token,) = [
        t for t, a in sandbox.state.accounts.items() if a.origin_id == linking.origin_id(account_id)
    ]
    assert found.linked_account_id == sandbox.state.accounts[token].id  # the exchange's `id`
    return token


def by_cli(world: World, account_id: int, sandbox: SandboxServer) -> str:
    company = sandbox.control.create_company(seed=4, size=20, initial_sync_seconds=0)
    env = {**os.environ, **world.env, "PEOPLESYNC_MERGE_API_KEY": sandbox.api_key}
    done = subprocess.run(
        [sys.executable, "-m", "peoplesync", "connect", "hibob", "--account-token",
         company.account_token, "--base-url", sandbox.base_url],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "connected" in done.stdout
    return company.account_token


PATHS: dict[str, Callable[[World, int, SandboxServer], str]] = {
    "link": by_link,
    "pasted token": by_pasted_token,
    "cli": by_cli,
}


@pytest.mark.parametrize("path", PATHS)
def test_sync_completed_starts_a_sync_for_an_account_connected_by_each_path(
    embedded: World, sandbox: SandboxServer, path: str
) -> None:
    world = embedded
    account_id = world.account()
    token = PATHS[path](world, account_id, sandbox)
    with unit_of_work(world.factory) as session:
        connection = connections.get_connection(session, account_id)
        assert connection.linked_account_id == sandbox.state.accounts[token].id
        get_account(session, account_id).auto_sync_enabled = True
    jobs = world.jobs()
    done = TaskLog(jobs.huey)
    with Route(world, jobs) as receiver, InProcessConsumer(jobs.huey, workers=1, periodic=False):
        sandbox.control.register_webhook(token, receiver.url, KEY, retry_delays=())
        sandbox.control.send_sync_completed(token)
        done.wait("sync_account")
    assert 200 in receiver.statuses
    run = world.runs(account_id)[-1]
    assert run.trigger == "webhook"
    assert run.state in {"succeeded", "awaiting_review", "blocked"}, run.error


def _linked_hook(account_id: int, linked_id: str, token: str, *, relink: bool) -> bytes:
    return json.dumps(
        {
            "hook": {"id": "h", "event": "LinkedAccount.linked", "target": "https://x.test/h"},
            "linked_account": {
                "id": linked_id,
                "integration": "HiBob",
                "integration_slug": "hibob",
                "end_user_origin_id": linking.origin_id(account_id),
            },
            "data": {"account_token": token, "is_relink": relink},
        }
    ).encode()


def test_linked_connects_a_magic_link_and_a_relink_keeps_the_mirror(
    embedded: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    world, jobs = embedded, embedded.jobs()
    world.settings = world.settings.model_copy(
        update={"merge_api_key": SecretStr(sandbox.api_key), "merge_base_url": sandbox.base_url}
    )
    account_id = world.account()
    first = _linked_hook(account_id, company.linked_account_id, company.account_token, relink=False)
    assert deliver(world, jobs, first, signed(first)) == "connected"
    with unit_of_work(world.factory) as session:
        connection = connections.get_connection(session, account_id)
        assert (connection.provider, connection.integration_name) == ("hibob", "HiBob")
        assert connection.linked_account_id == company.linked_account_id
        assert connections.credentials(connection, world.box)[1] == company.account_token
    world.manual_sync(account_id)
    people = world.people_count(account_id)
    assert people > 0
    again = _linked_hook(account_id, company.linked_account_id, company.account_token, relink=True)
    assert deliver(world, jobs, again, signed(again)) == "connected"
    world.manual_sync(account_id)  # the same linked account: the mirror and directory carry on
    assert world.people_count(account_id) == people
    stranger = _linked_hook(999, "nobody", "t", relink=False)
    assert deliver(world, jobs, stranger, signed(stranger)) == "ignored"


def test_relink_needed_stops_syncs_and_says_reconnect(
    embedded: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    world = embedded
    account_id = world.account()
    world.connect(account_id, sandbox, company)
    sandbox.control.patch_account(company.account_token, status="RELINK_NEEDED")
    with pytest.raises(ReconnectNeededError, match="RELINK_NEEDED") as refused:
        world.manual_sync(account_id)
    assert "Reconnect Justworks" in (refused.value.hint or "")
    with unit_of_work(world.factory) as session:
        connection = connections.get_connection(session, account_id)
        assert connection.status == connections.ConnectionStatus.RECONNECT_NEEDED


def test_disconnect_deletes_the_linked_account_and_our_credentials_and_keeps_people(
    embedded: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    world = embedded
    account_id = world.account()
    world.connect(account_id, sandbox, company)
    world.manual_sync(account_id)
    people = world.people_count(account_id)
    assert disconnect(world.factory, account_id, world.hris(), actor="admin") == "Justworks"
    assert world.people_count(account_id) == people  # the directory stays
    assert len(world.runs(account_id)) == 1  # and its history
    with unit_of_work(world.factory) as session:
        connection = connections.find_connection(session, account_id)
        assert connection is not None
        assert connection.account_token_encrypted is None
        assert connection.api_key_encrypted is None
        assert connection.status == "disconnected"
    gone = httpx.get(
        f"{sandbox.base_url}/hris/v1/account-details",
        headers={
            "Authorization": f"Bearer {sandbox.api_key}",
            "X-Account-Token": company.account_token,
        },
    )
    assert gone.status_code == 401  # Merge deleted the linked account
    with pytest.raises(NotFoundError, match="not connected"):
        world.manual_sync(account_id)
