"""Helpers shared by the store, CLI and integration tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import NoReturn

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from peoplesync.store.db import make_engine

POSTGRES_URL = os.environ.get("PEOPLESYNC_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("PEOPLESYNC_TEST_REDIS_URL", "")
REQUIRE_SERVICES = os.environ.get("PEOPLESYNC_REQUIRE_SERVICES") == "1"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def service_unavailable(reason: str) -> NoReturn:
    """Skip with the reason; in CI (PEOPLESYNC_REQUIRE_SERVICES=1) fail instead."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)


@contextmanager
def postgres_schema(prefix: str) -> Iterator[Engine]:
    """An engine on a new, empty schema of the test server, dropped at the end (skips, or fails
    in CI, when no server answers)."""
    if not POSTGRES_URL:
        service_unavailable("PostgreSQL: PEOPLESYNC_TEST_POSTGRES_URL is not set")
    schema = f"{prefix}_{secrets.token_hex(4)}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as db:
            db.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as err:
        admin.dispose()
        service_unavailable(f"PostgreSQL at {POSTGRES_URL} does not answer: {err.orig}")
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as db:
            db.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
