"""Fixtures of the sandbox tests: one real sandbox server per session, a fresh account per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from peoplesync.sandbox import SandboxAccount, SandboxServer
from tests.sandbox.helpers import Hris, WebhookReceiver


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(size=40, initial_sync_seconds=0) as server:
        yield server


@pytest.fixture
def company(sandbox: SandboxServer) -> SandboxAccount:
    return sandbox.control.create_company(seed=11, size=250, initial_sync_seconds=0)


@pytest.fixture
def hris(sandbox: SandboxServer, company: SandboxAccount) -> Iterator[Hris]:
    client = Hris(sandbox.base_url, sandbox.api_key, company.account_token)
    yield client
    client.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    found = WebhookReceiver()
    found.start()
    yield found
    found.stop()
