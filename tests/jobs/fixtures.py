"""Fixtures shared by the automation tests (jobs, notify, redaction): a world per mode, the
sandbox HRIS and a fresh company in it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from peoplesync.sandbox import SandboxAccount, SandboxServer
from tests.jobs.world import World, make_world

COMPANY_SIZE = 40


@pytest.fixture(params=["embedded", "networked"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(request.param, tmp_path) as found:
        yield found


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[World]:
    with make_world("embedded", tmp_path) as found:
        yield found


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(size=COMPANY_SIZE, initial_sync_seconds=0) as server:
        yield server


@pytest.fixture
def company(sandbox: SandboxServer) -> SandboxAccount:
    found = sandbox.control.create_company(seed=7, size=COMPANY_SIZE, initial_sync_seconds=0)
    time.sleep(0.06)  # the sandbox's zero-second initial sync settles on its next tick
    return found
