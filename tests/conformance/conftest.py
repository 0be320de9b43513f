"""Fixtures of the conformance tests: a sandbox server, and a client answered by Merge's
examples at the transport seam."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from peoplesync.sandbox import SandboxServer
from peoplesync.sources.merge.client import MergeClient
from tests.conformance import merge_examples as merge
from tests.sandbox.helpers import WebhookReceiver

EXAMPLES = {
    "/api/hris/v1/account-details": merge.ACCOUNT_DETAILS,
    "/api/hris/v1/available-actions": merge.AVAILABLE_ACTIONS,
    "/api/hris/v1/sync-status": merge.SYNC_STATUS_PAGE | {"next": None},
}


@pytest.fixture
def merge_client() -> Iterator[MergeClient]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=EXAMPLES[request.url.path])

    with MergeClient(
        "https://merge.test/api", "KEY", "ACCT", transport=httpx.MockTransport(answer)
    ) as client:
        yield client


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(size=40, initial_sync_seconds=0) as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    found = WebhookReceiver()
    found.start()
    yield found
    found.stop()
