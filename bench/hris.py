"""Justworks through Merge, against the sandbox HRIS over real HTTP on loopback.

Issue 3 targets: a first sync of a 10,000-employee company end to end, and an incremental sync of
a 100,000-employee company where 1% changed (fetching only the changed pages); both should be
dominated by HTTP time (which includes the sandbox building its pages), not by our code.

The sandbox runs as its own process (`peoplesync sandbox`), as Merge would: in the same process
its million objects would slow our garbage collector and share our interpreter lock. The database
is the embedded default (SQLite); with PEOPLESYNC_BENCH_POSTGRES_URL set, the 100,000-employee
company is measured again on PostgreSQL, in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import postgres_schema, sqlite_file
from peoplesync.accounts.service import create_account, get_account
from peoplesync.config import Settings
from peoplesync.connections.service import save_connection
from peoplesync.crypto import SecretBox
from peoplesync.runs import service as runs
from peoplesync.runs.hris import HrisContext
from peoplesync.runs.sync import Syncs
from peoplesync.sandbox import DEFAULT_API_KEY, SandboxAccount, SandboxControl
from peoplesync.serving import free_port
from peoplesync.sources.merge.client import MergeClient
from peoplesync.sources.merge.factory import account_pacer, merge_client
from peoplesync.sources.merge.shared import WALK_EXPAND
from peoplesync.sources.merge.source import MergeSource
from peoplesync.sources.merge.windows import windows_for
from peoplesync.store.db import migrate, session_factory, unit_of_work


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def sandbox_process() -> Iterator[tuple[str, SandboxControl]]:
    """`peoplesync sandbox` on a free port: (its Merge base URL, its control client). The
    companies are made through its control API."""
    port = free_port()
    command = [sys.executable, "-m", "peoplesync", "sandbox", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--size", "10", "--initial-sync-seconds", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the sandbox process did not start") from None
                time.sleep(0.1)
        control = SandboxControl(url, timeout=600)  # a big company is built when created
        try:
            yield url + "/api", control
        finally:
            control.close()
    finally:
        process.terminate()
        process.wait(timeout=30)


def database(postgres_url: str | None) -> AbstractContextManager[Engine]:
    """A new SQLite file (the embedded default), or a new schema of `postgres_url`."""
    return sqlite_file() if postgres_url is None else postgres_schema(postgres_url)


def stored_company(control: SandboxControl, size: int) -> SandboxAccount:
    """The benches' company of `size`, built and encoded when created (as Merge has its data
    stored, so that a bench measures us), with the relations a full walk expands."""
    return control.create_company(
        seed=5, size=size, initial_sync_seconds=0, precompute_expand=WALK_EXPAND.split(",")
    )


def one_company(size: int, *, churn: int, rounds: int = 3, postgres_url: str | None = None) -> None:
    with sandbox_process() as (base_url, control), database(postgres_url) as engine:
        company = stored_company(control, size)
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
                base_url=base_url,
                api_key=DEFAULT_API_KEY,
                account_token=company.account_token,
                now=_now(),
            )
            account_id = account.id
        ctx = HrisContext(settings=Settings(), box=box)
        time.sleep(0.1)
        report(f"first sync, {size:,} employees", factory, account_id, ctx)
        if not churn:
            return
        figures = []
        for i in range(rounds):  # one sample is noisy: the sandbox shares this machine
            control.churn(company.account_token, churn, seed=9 + i)
            label = f"incremental sync {i + 1}/{rounds}, {size:,} employees, {churn:,} changed"
            figures.append(report(label, factory, account_id, ctx))
        summarise(f"incremental, {size:,} employees, {churn:,} changed", figures)


@dataclass(frozen=True)
class Figures:
    sync: float  # fetch, mirror, validate, plan: what the sync does before the admin's review
    apply: float  # the import, once the admin confirms
    http: float  # every call to Merge

    @property
    def total(self) -> float:
        return self.sync + self.apply


def report(
    label: str, factory: sessionmaker[Session], account_id: int, ctx: HrisContext
) -> Figures:
    started = time.perf_counter()
    outcome = Syncs.in_process(factory, ctx).from_hris(account_id, trigger="manual")
    planned = time.perf_counter()
    with unit_of_work(factory) as session:
        run = runs.get_run(session, account_id, outcome.run_id)
        if outcome.state.value == "awaiting_review":
            runs.apply_run(session, get_account(session, account_id), run, now=_now(), confirm=True)
        timings = dict(run.timings)
    total = time.perf_counter() - started
    http = timings.get("http", 0.0)
    figures = Figures(sync=planned - started, apply=total - (planned - started), http=http)
    print(
        f"{label}: {total:6.2f} s end to end (sync {figures.sync:5.2f} s, import "
        f"{figures.apply:5.2f} s); HTTP {http:5.2f} s = {100 * http / total:3.0f}% of end to end, "
        f"{100 * http / figures.sync:3.0f}% of the sync (decoding "
        f"{timings.get('decode', 0.0):4.2f} s of it); mapping {timings.get('map', 0.0):4.2f} s, "
        f"pages {timings.get('pages')}, "
        f"mirror {timings.get('mirror', 0.0):4.2f} s, validate "
        f"{timings.get('validate', 0.0):4.2f} s, plan {timings.get('plan', 0.0):4.2f} s, "
        f"store {timings.get('store_plan', 0.0):4.2f} s, apply {timings.get('apply', 0.0):4.2f} s, "
        + (
            f"planned {timings['planned_records']:,} changed records"
            if "planned_records" in timings
            else "planned the whole company"
        )
    )
    return figures


def summarise(label: str, figures: list[Figures]) -> None:
    """Medians of the rounds."""
    sync = statistics.median(f.sync for f in figures)
    total = statistics.median(f.total for f in figures)
    http = statistics.median(f.http for f in figures)
    print(
        f"{label}, median of {len(figures)}: sync {sync:5.2f} s, HTTP {http:5.2f} s = "
        f"{100 * http / sync:3.0f}% of the sync; end to end with the import {total:5.2f} s, "
        f"HTTP {100 * http / total:3.0f}%"
    )


RATE_LIMIT_PER_MINUTE = 600  # Merge's Enterprise plan
PAGE_LATENCY_SECONDS = 0.3  # real Merge pages take hundreds of milliseconds


def rate_limited_first_fetch(size: int = 100_000) -> None:
    """Issue 12: the first fetch of `size` employees under Merge's per-account budget and page
    latency. The floor is the budget alone: `size / 100` pages at 10 a second; one cursor would
    take pages x latency instead (300 s for 1,000 pages)."""
    with sandbox_process() as (base_url, control):
        company = control.create_company(
            seed=5,
            size=size,
            initial_sync_seconds=0,
            rate_limit_per_minute=RATE_LIMIT_PER_MINUTE,
            page_latency_seconds=PAGE_LATENCY_SECONDS,
        )
        settings = Settings(merge_rate_limit_per_minute=RATE_LIMIT_PER_MINUTE)
        pacer = account_pacer(settings)

        def client() -> MergeClient:
            return merge_client(
                settings,
                base_url=base_url,
                api_key=DEFAULT_API_KEY,
                account_token=company.account_token,
                pacer=pacer,
            )

        source = MergeSource(
            client(),
            name="Justworks",
            supported=None,
            redacted=frozenset(),
            modified_after=None,
            windows=windows_for(RATE_LIMIT_PER_MINUTE),
            client_for=client,
        )
        started = time.perf_counter()
        batch = source.read()
        took = time.perf_counter() - started
    pages = -(-size // 100)
    windows = windows_for(RATE_LIMIT_PER_MINUTE)
    floor = pages / (RATE_LIMIT_PER_MINUTE / 60)
    fetched = len(batch.snapshot.records)
    assert fetched == size, f"fetched {fetched:,} of {size:,}"
    print(
        f"first fetch, {size:,} employees at {RATE_LIMIT_PER_MINUTE}/min and "
        f"{PAGE_LATENCY_SECONDS * 1000:.0f} ms a page, {windows} windows: "
        f"{took:6.1f} s; rate-limit floor {floor:6.1f} s ({took / floor:4.2f}x, target <= 1.10x); "
        f"one cursor would take {pages * PAGE_LATENCY_SECONDS:5.0f} s; "
        f"{int(batch.timings.get('pages', 0)):,} pages"
    )


def main() -> None:
    rate_limited_first_fetch()
    one_company(10_000, churn=0)
    one_company(100_000, churn=1_000)
    postgres_url = os.environ.get("PEOPLESYNC_BENCH_POSTGRES_URL")
    if postgres_url:
        print("on PostgreSQL:")
        one_company(100_000, churn=1_000, postgres_url=postgres_url)
    else:
        print("(set PEOPLESYNC_BENCH_POSTGRES_URL to measure the same on PostgreSQL)")
