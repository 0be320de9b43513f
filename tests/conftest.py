"""Shared fixtures: real databases (SQLite and PostgreSQL), built by running the migrations.

Each test runs in a transaction that is rolled back at the end. PostgreSQL tests use their own
schema in the database named by PEOPLESYNC_TEST_POSTGRES_URL and skip, with the reason, when no
server answers — unless PEOPLESYNC_REQUIRE_SERVICES=1 (CI), where a missing server fails.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from peoplesync.accounts.service import create_account
from peoplesync.store.db import make_engine, migrate
from peoplesync.store.models import Account
from tests.support import NOW, POSTGRES_URL, service_unavailable

# Generating a company for a property test takes its time on a busy machine (CI shares its
# cores): slow generation is not a failure. Each test keeps its own example count.
settings.register_profile("peoplesync", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("peoplesync")


def _postgres_version() -> str:
    if not POSTGRES_URL:
        return "not configured (PEOPLESYNC_TEST_POSTGRES_URL unset)"
    try:
        engine = make_engine(POSTGRES_URL)
        with engine.connect() as conn:
            version = str(conn.scalar(text("SHOW server_version")))
        engine.dispose()
    except OperationalError as err:
        return f"unreachable ({str(err.orig).strip().splitlines()[0]})"
    return version


def pytest_report_header() -> list[str]:
    return [f"databases: SQLite {sqlite3.sqlite_version}; PostgreSQL {_postgres_version()}"]


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("db") / "peoplesync.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    if not POSTGRES_URL:
        service_unavailable("PostgreSQL: PEOPLESYNC_TEST_POSTGRES_URL is not set")
    schema = f"peoplesync_test_{secrets.token_hex(4)}"
    try:
        admin = make_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as err:
        service_unavailable(f"PostgreSQL at {POSTGRES_URL} does not answer: {err.orig}")
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    migrate(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each store test runs on both databases."""
    found = request.getfixturevalue(f"{request.param}_engine")
    assert isinstance(found, Engine)
    return found


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back when the block ends."""
    connection = engine.connect()
    outer = connection.begin()
    db = Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with rolled_back(engine) as db:
        yield db


@pytest.fixture
def account(session: Session) -> Account:
    acct = create_account(session, f"Acme {secrets.token_hex(3)}", now=NOW)
    session.flush()
    return acct
