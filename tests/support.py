"""Helpers shared by the store, CLI and integration tests."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import NoReturn

import pytest

POSTGRES_URL = os.environ.get("PEOPLESYNC_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("PEOPLESYNC_TEST_REDIS_URL", "")
REQUIRE_SERVICES = os.environ.get("PEOPLESYNC_REQUIRE_SERVICES") == "1"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def service_unavailable(reason: str) -> NoReturn:
    """Skip with the reason; in CI (PEOPLESYNC_REQUIRE_SERVICES=1) fail instead."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)
