"""An HRIS world for integration tests: the sandbox over real HTTP, a migrated SQLite file."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.accounts.service import create_account, get_account
from peoplesync.config import Settings
from peoplesync.connections.service import save_connection
from peoplesync.crypto import SecretBox
from peoplesync.runs import service as runs
from peoplesync.runs.hris import HrisContext
from peoplesync.runs.outcome import SyncResult
from peoplesync.runs.sync import Syncs
from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.store.db import make_engine, migrate, session_factory, unit_of_work
from peoplesync.store.models import Person, SyncRun

COMPANY_SIZE = 60


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(size=COMPANY_SIZE, initial_sync_seconds=0) as server:
        yield server


@dataclass
class World:
    """One account connected to one sandbox company."""

    sandbox: SandboxServer
    company: SandboxAccount
    factory: sessionmaker[Session]
    ctx: HrisContext
    account_id: int
    db_path: Path

    @property
    def token(self) -> str:
        return self.company.account_token

    def syncs(self, ctx: HrisContext | None = None) -> Syncs:
        return Syncs.in_process(self.factory, ctx or self.ctx)

    def sync(self, *, full: bool = False, trigger: str = "manual") -> SyncResult:
        """A new sync (a manual one replaces a run left waiting for review, as the admin's
        "Replace it with a new sync" does)."""
        return self.syncs().from_hris(
            self.account_id, full=full, trigger=trigger, replace_waiting=True
        )

    def sync_and_apply(self, *, full: bool = False, confirm: bool = False) -> SyncResult:
        """A manual sync, imported; `confirm` pushes guard findings through."""
        outcome = self.sync(full=full)
        if outcome.state.value == "awaiting_review":
            with unit_of_work(self.factory) as session:
                run = runs.get_run(session, self.account_id, outcome.run_id)
                account = get_account(session, self.account_id)
                runs.apply_run(session, account, run, now=now(), actor="admin", confirm=confirm)
        return outcome

    def people(self) -> dict[str, Person]:
        with unit_of_work(self.factory) as session:
            rows = session.scalars(select(Person).where(Person.account_id == self.account_id))
            return {p.source_id or p.id: p for p in rows}

    def run(self, run_id: int) -> SyncRun:
        with unit_of_work(self.factory) as session:
            return runs.get_run(session, self.account_id, run_id)

    def employees(self) -> list[dict[str, Any]]:
        """The company as Merge serves it (live records), straight from the sandbox."""
        headers = {"Authorization": f"Bearer {self.sandbox.api_key}", "X-Account-Token": self.token}
        found: list[dict[str, Any]] = []
        cursor = None
        with httpx.Client(base_url=self.sandbox.base_url + "/", headers=headers) as http:
            while True:
                params = {"page_size": "100", **({"cursor": cursor} if cursor else {})}
                body = http.get("hris/v1/employees", params=params).json()
                found.extend(body["results"])
                cursor = body["next"]
                if not cursor:
                    return found


def now() -> datetime:
    return datetime.now(UTC)


def make_world(
    sandbox: SandboxServer,
    tmp_path: Path,
    *,
    seed: int = 11,
    initial_sync_seconds: float = 0,
    engine: Engine | None = None,
) -> World:
    """A new account connected to a new sandbox company, in a new SQLite file (or in `engine`,
    a migrated database that other tests' accounts share)."""
    company = sandbox.control.create_company(
        seed=seed, size=COMPANY_SIZE, initial_sync_seconds=initial_sync_seconds
    )
    db_path = tmp_path / "hris.db"
    name = "Acme" if engine is None else f"Acme {company.linked_account_id}"  # shared: unique
    if engine is None:
        engine = make_engine(f"sqlite:///{db_path}")
        migrate(engine)
    factory = session_factory(engine)
    box = SecretBox(Fernet.generate_key())
    with unit_of_work(factory) as session:
        account = create_account(session, name, now=now())
        session.flush()
        save_connection(
            session,
            account,
            box=box,
            base_url=sandbox.base_url,
            api_key=sandbox.api_key,
            account_token=company.account_token,
            now=now(),
        )
        account_id = account.id
    ctx = HrisContext(settings=Settings(merge_page_size=25), box=box)
    time.sleep(0.05)  # the sandbox's zero-second initial sync settles on its next tick
    return World(sandbox, company, factory, ctx, account_id, db_path)


@pytest.fixture
def world(sandbox: SandboxServer, tmp_path: Path) -> World:
    return make_world(sandbox, tmp_path)
