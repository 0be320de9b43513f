"""Justworks through Merge, against the sandbox HRIS over real HTTP on loopback.

Issue 3 targets: a first sync of a 10,000-employee company end to end, and an incremental sync of
a 100,000-employee company where 1% changed (fetching only the changed pages); both should be
dominated by HTTP time (which includes the sandbox building its pages), not by our code.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.accounts.service import create_account, get_account
from peoplesync.config import Settings
from peoplesync.connections.service import save_connection
from peoplesync.crypto import SecretBox
from peoplesync.runs import service as runs
from peoplesync.runs.hris import HrisContext, sync_hris
from peoplesync.sandbox import SandboxServer
from peoplesync.store.db import make_engine, migrate, session_factory, unit_of_work


def _now() -> datetime:
    return datetime.now(UTC)


def one_company(size: int, *, churn: int) -> None:
    with (
        SandboxServer(size=size, initial_sync_seconds=0) as sandbox,
        tempfile.TemporaryDirectory() as tmp,
    ):
        company = sandbox.control.create_company(seed=5, size=size, initial_sync_seconds=0)
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        migrate(engine)
        factory = session_factory(engine)
        box = SecretBox(Fernet.generate_key())
        with unit_of_work(factory) as session:
            account = create_account(session, "bench", now=_now())
            session.flush()
            save_connection(
                session,
                account,
                box=box,
                base_url=sandbox.base_url,
                api_key=sandbox.api_key,
                account_token=company.account_token,
                now=_now(),
            )
            account_id = account.id
        ctx = HrisContext(settings=Settings(), box=box)
        time.sleep(0.1)
        report(f"first sync, {size:,} employees", factory, account_id, ctx, apply=True)
        if churn:
            sandbox.control.churn(company.account_token, churn, seed=9)
            report(
                f"incremental sync, {size:,} employees, {churn:,} changed",
                factory,
                account_id,
                ctx,
                apply=True,
            )


def report(
    label: str, factory: sessionmaker[Session], account_id: int, ctx: HrisContext, *, apply: bool
) -> None:
    started = time.perf_counter()
    outcome = sync_hris(factory, account_id, ctx)
    planned = time.perf_counter()
    with unit_of_work(factory) as session:
        run = runs.get_run(session, account_id, outcome.run_id)
        if apply and outcome.state.value == "awaiting_review":
            runs.apply_run(session, get_account(session, account_id), run, now=_now(), confirm=True)
        timings = dict(run.timings)
    total = time.perf_counter() - started
    http = timings.get("http", 0.0)
    print(
        f"{label}: {total:6.2f} s end to end (plan {planned - started:5.2f} s, apply "
        f"{total - (planned - started):5.2f} s); HTTP {http:5.2f} s = {100 * http / total:3.0f}%, "
        f"mapping {timings.get('map', 0.0):4.2f} s, pages {timings.get('pages')}, "
        f"load directory {timings.get('load_directory', 0.0):4.2f} s, validate "
        f"{timings.get('validate', 0.0):4.2f} s, plan {timings.get('plan', 0.0):4.2f} s"
    )


def main() -> None:
    one_company(10_000, churn=0)
    one_company(100_000, churn=1_000)
