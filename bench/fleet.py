"""The operator's scale (issue 18): N accounts on one PostgreSQL and one Redis queue, K
`peoplesync worker` processes, every account's daily auto-sync due at the same minute.

    python -m bench fleet                        2,000 accounts; 1, 2 and 4 workers
    python -m bench.fleet --accounts 200 --workers 1,2,4 [--slow] [--spread-minutes 0]

Each account is its own linked account in the sandbox (`peoplesync sandbox`, its own process),
with a company of 50-2,000 employees (a log-normal draw: most companies small, a few large),
Merge's Professional budget (400 requests a minute) and 50 ms a page. `--slow` adds one account
whose HRIS allows 100 requests a minute, with a 10,000-employee first sync, to show what it does
to the others' times. The figures, per K: accounts synced per minute (from the tick's first
claim to the last finished run), the time from the due minute (plus the account's place in
the fan-out's spread) to each account's finished run (p50,
p95, max), and from the daily tick actually firing (Huey's periodic check runs once a minute, so
up to ~60 s after the due minute: when the fan-out claimed the account and created its run,
plus the same place in the spread) to the finished run, with how late the tick fired; the
workers' CPU seconds, the most PostgreSQL connections open at once, and the queue's depth over
time. Needs PostgreSQL (PEOPLESYNC_BENCH_POSTGRES_URL, default the test
database) and Redis (PEOPLESYNC_BENCH_REDIS_URL, default DB 14, flushed).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from bench.hris import sandbox_process
from peoplesync.accounts.autosync import set_auto_sync
from peoplesync.accounts.service import create_account
from peoplesync.config import Settings
from peoplesync.connections.service import save_connection
from peoplesync.core.states import FINAL_STATES
from peoplesync.crypto import SecretBox
from peoplesync.jobs.queue import make_huey
from peoplesync.jobs.tasks import spread_offset
from peoplesync.sandbox import DEFAULT_API_KEY, SandboxControl
from peoplesync.store.db import make_engine, migrate, session_factory, unit_of_work
from peoplesync.store.models import Account, SyncRun

POSTGRES_URL = os.environ.get(
    "PEOPLESYNC_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PEOPLESYNC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
QUEUE = "peoplesync-fleet-bench"
APP_NAME = "peoplesync-fleet-bench"
PLAN_PER_MINUTE = 400  # Merge's Professional plan
PAGE_LATENCY = 0.05
SLOW_SIZE, SLOW_PER_MINUTE = 10_000, 100


def company_sizes(count: int, seed: int = 18) -> list[int]:
    """50-2,000 employees, log-normal (median about 200)."""
    rng = random.Random(seed)
    return [min(2000, max(50, round(rng.lognormvariate(5.3, 0.9)))) for _ in range(count)]


@dataclass
class Fleet:
    url: str  # the schema's URL, for the workers
    accounts: dict[int, int]  # account id -> employees
    slow: int | None
    due: datetime  # the minute every account's daily sync is due


@contextmanager
def schema() -> Iterator[str]:
    name = f"fleet_bench_{os.getpid()}_{int(time.time())}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as db:
        db.execute(text(f'CREATE SCHEMA "{name}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{name}&application_name={APP_NAME}"
    finally:
        with admin.begin() as db:
            db.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def build_fleet(
    url: str,
    control: SandboxControl,
    base_url: str,
    box: SecretBox,
    *,
    sizes: list[int],
    slow: bool,
) -> Fleet:
    engine = make_engine(url)
    migrate(engine)
    factory = session_factory(engine)
    now = datetime.now(UTC)
    plans = [(size, PLAN_PER_MINUTE) for size in sizes]
    if slow:
        plans.append((SLOW_SIZE, SLOW_PER_MINUTE))
    accounts: dict[int, int] = {}
    slow_id = None
    for i, (size, per_minute) in enumerate(plans):
        company = control.create_company(
            seed=100 + i,
            size=size,
            initial_sync_seconds=0,
            rate_limit_per_minute=per_minute,
            page_latency_seconds=PAGE_LATENCY,
        )
        with unit_of_work(factory) as session:
            account = create_account(session, f"Fleet {i:04d}", now=now)
            account.timezone = "UTC"
            session.flush()
            save_connection(
                session,
                account,
                box=box,
                base_url=base_url,
                api_key=DEFAULT_API_KEY,
                account_token=company.account_token,
                linked_account_id=company.linked_account_id,
                now=now,
            )
            accounts[account.id] = size
            if per_minute == SLOW_PER_MINUTE:
                slow_id = account.id
    now = datetime.now(UTC)  # every account due at the next minute at least 20 s ahead
    due = (now + timedelta(seconds=80)).replace(second=0, microsecond=0)
    with unit_of_work(factory) as session:
        for account in session.scalars(select(Account)):
            set_auto_sync(session, account, enabled=True, now=now, at=due.strftime("%H:%M"))
    engine.dispose()
    return Fleet(url, accounts, slow_id, due)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    workers: int
    finished: int
    failed: int
    minutes: float  # from the tick's first claim to the last finished run
    waits: list[float]  # seconds from each account's start time to its finished run
    slow_wait: float | None
    cpu: float
    connections: int
    depth: list[tuple[int, int]]  # (seconds after the due minute, tasks waiting)
    took: list[float]  # each run, from a worker taking it up to its end
    http: list[float]  # each run's time in calls to Merge
    from_tick: list[float]  # seconds from the tick's claim of the run (+ its spread) to its end
    tick_late: list[float]  # seconds from the due minute to the tick's claims (first, last)

    def line(self, single: Result | None) -> str:
        waits, ticked = sorted(self.waits), sorted(self.from_tick)
        p50, p95 = statistics.median(waits), _p95(waits)
        late = self.tick_late
        rate = self.finished / self.minutes if self.minutes else 0.0
        scaling = f", {rate / (single.finished / single.minutes):.2f}x one worker" if single else ""
        slow = f"; the slow account: {self.slow_wait:.0f} s" if self.slow_wait else ""
        return (
            f"{self.workers} worker(s): {self.finished} runs in {self.minutes:.2f} min from the "
            f"tick = {rate:.0f} accounts/min{scaling}; due -> finished p50 {p50:.1f} s, "
            f"p95 {p95:.1f} s, max {waits[-1]:.1f} s{slow}; the tick fired "
            f"{late[0]:.0f}-{late[1]:.0f} s after the "
            f"due minute; tick -> finished p50 {statistics.median(ticked):.1f} s, p95 "
            f"{_p95(ticked):.1f} s, max {ticked[-1]:.1f} s; failed {self.failed}; "
            f"worker CPU {self.cpu:.0f} s; "
            f"PostgreSQL connections at most {self.connections}; a run took p50 "
            f"{statistics.median(self.took):.1f} s (HTTP {statistics.median(self.http):.1f} s), "
            f"p95 {sorted(self.took)[int(0.95 * (len(self.took) - 1))]:.1f} s; queue depth "
            + ", ".join(f"{t}s:{d}" for t, d in self.depth[:: max(1, len(self.depth) // 8)])
        )


def _p95(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def run_fleet(fleet: Fleet, workers: int, key: str, spread_minutes: int, limit: float) -> Result:
    env = {
        **os.environ,
        "PEOPLESYNC_DATABASE_URL": fleet.url,
        "PEOPLESYNC_QUEUE_BACKEND": "redis",
        "PEOPLESYNC_REDIS_URL": REDIS_URL,
        "PEOPLESYNC_SECRET_KEY": key,
        "PEOPLESYNC_MERGE_RATE_LIMIT_PER_MINUTE": str(PLAN_PER_MINUTE),
        "PEOPLESYNC_AUTOSYNC_SPREAD_MINUTES": str(spread_minutes),
        "PEOPLESYNC_LOG_LEVEL": "WARNING",
    }
    huey = make_huey(Settings(queue_backend="redis", redis_url=REDIS_URL), name=QUEUE)
    huey.flush()
    command = [sys.executable, "-m", "peoplesync", "worker", "--workers", "1", "--queue", QUEUE]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    engine = make_engine(fleet.url)
    factory = session_factory(engine)
    admin = make_engine(POSTGRES_URL)
    depth: list[tuple[int, int]] = []
    connections = 0
    final = [s.value for s in FINAL_STATES]
    cpu = 0.0
    try:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with unit_of_work(factory) as session:
                done = session.scalar(
                    select(text("count(*)")).select_from(SyncRun).where(SyncRun.state.in_(final))
                )
            with admin.connect() as db:
                open_now = db.scalar(
                    text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a"),
                    {"a": APP_NAME},
                )
            connections = max(connections, int(open_now or 0) - 1)  # not this process's own
            since = int((datetime.now(UTC) - fleet.due).total_seconds())
            if since >= 0:
                depth.append((since, int(huey.pending_count()) + int(huey.scheduled_count())))
            if done and done >= len(fleet.accounts):
                break
            time.sleep(1.0)
        cpu = sum(cpu_seconds(p.pid) for p in procs)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
    with unit_of_work(factory) as session:
        finished = list(session.scalars(select(SyncRun).where(SyncRun.state.in_(final))))
    engine.dispose()
    admin.dispose()
    spread = spread_minutes * 60
    return _result(
        fleet, workers, finished, spread=spread, cpu=cpu, connections=connections, depth=depth
    )


def _result(
    fleet: Fleet,
    workers: int,
    finished: list[SyncRun],
    *,
    spread: float,
    cpu: float,
    connections: int,
    depth: list[tuple[int, int]],
) -> Result:
    waits, from_tick, slow_wait, failed = [], [], None, 0
    took = [
        (r.finished_at - r.started_at).total_seconds()
        for r in finished
        if r.started_at and r.finished_at
    ]
    http = [float((r.timings or {}).get("http", 0.0)) for r in finished]
    for run in finished:
        start = fleet.due + timedelta(seconds=spread_offset(run.account_id, spread))
        wait = ((run.finished_at or datetime.now(UTC)) - start).total_seconds()
        failed += run.state != "succeeded"
        if run.account_id == fleet.slow:
            slow_wait = wait
        else:
            waits.append(wait)
            # The tick claimed the run (created it) when Huey's periodic check fired, up to a
            # minute after the due minute: from there, plus the account's place in the spread.
            ticked = run.created_at + timedelta(seconds=spread_offset(run.account_id, spread))
            from_tick.append(((run.finished_at or datetime.now(UTC)) - ticked).total_seconds())
    claims = [(r.created_at - fleet.due).total_seconds() for r in finished] or [0.0]
    last = max((r.finished_at for r in finished if r.finished_at), default=fleet.due)
    # The rate over the fleet's own work: from the tick's first claim, not from the due minute
    # (the tick fires up to a minute late, and by how much differs from run to run).
    first = fleet.due + timedelta(seconds=min(claims))
    minutes = max((last - first).total_seconds() / 60, 1e-9)
    found = len(finished)
    return Result(
        workers,
        found,
        failed,
        minutes,
        waits,
        slow_wait,
        cpu,
        connections,
        depth,
        took,
        http,
        from_tick,
        [min(claims), max(claims)],
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--slow", action="store_true", help="add the slow, rate-limited account")
    parser.add_argument("--spread-minutes", type=int, default=0)
    parser.add_argument("--limit-minutes", type=float, default=60.0)
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    sizes = company_sizes(args.accounts)
    print(
        f"fleet: {args.accounts} accounts, {sum(sizes):,} employees (median "
        f"{statistics.median(sizes):.0f}), {PLAN_PER_MINUTE}/min each, {PAGE_LATENCY * 1000:.0f} "
        f"ms a page" + (f"; + 1 slow: {SLOW_SIZE:,} at {SLOW_PER_MINUTE}/min" if args.slow else "")
    )
    single: Result | None = None
    with sandbox_process() as (base_url, control):
        for workers in (int(k) for k in args.workers.split(",")):
            key = Fernet.generate_key()
            with schema() as url:
                fleet = build_fleet(
                    url, control, base_url, SecretBox(key), sizes=sizes, slow=args.slow
                )
                wait = (fleet.due - datetime.now(UTC)).total_seconds()
                time.sleep(max(0.0, wait - 5))  # the workers start just before the due minute
                found = run_fleet(
                    fleet, workers, key.decode(), args.spread_minutes, args.limit_minutes * 60
                )
            print(found.line(single), flush=True)
            single = single or found


if __name__ == "__main__":
    main()
