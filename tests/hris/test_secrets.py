"""Credentials are stored encrypted and never appear in a row or a log line."""

from __future__ import annotations

import logging
import sqlite3

import pytest
import structlog

from peoplesync.sandbox import SandboxServer
from tests.hris.conftest import World


def every_stored_value(db: str) -> list[str]:
    found: list[str] = []
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                found.extend(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row)
    return found


def test_no_row_and_no_log_line_holds_a_credential(
    world: World, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = (world.token, sandbox.api_key)
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log every request at DEBUG
    with structlog.testing.capture_logs() as events:
        world.sync_and_apply()
    logged = caplog.text
    # The test's own control call names the token in its URL: made outside the captured logs.
    world.sandbox.control.inject_fault(world.token, "error", count=1, status=500)
    caplog.clear()
    with structlog.testing.capture_logs() as retried:
        world.sync_and_apply(full=True)
    logged += caplog.text
    events += retried
    stored = every_stored_value(str(world.db_path))
    assert len(stored) > 100  # the scan did read the directory
    assert "hris/v1/employees" in logged  # httpx's own request log lines were captured
    for secret in secrets:
        assert not any(secret in value for value in stored)
        assert not any(secret in str(event) for event in events)
        assert secret not in logged
    assert any(e["event"] == "merge.retry" for e in events)  # the retry was logged, sans secret
