"""No run goes missing or stuck (issue 19): a `peoplesync sync` killed mid-fetch, and a sync no
worker ever took up, are failed within a bound of minutes, saying why; and a sync that starts
reaps its own account's dead run first instead of answering "already running"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from peoplesync.accounts.service import get_account
from peoplesync.jobs.service import request_sync
from peoplesync.runs.heartbeat import STALE_AFTER, UNCLAIMED_AFTER
from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.store.db import unit_of_work
from tests.jobs.world import World, wait_for


def test_a_killed_cli_sync_is_reaped_by_the_next_sync_within_minutes(
    embedded: World, sandbox: SandboxServer, company: SandboxAccount, tmp_path: Path
) -> None:
    world = embedded
    account_id = world.account("Acme")
    world.connect(account_id, sandbox, company)
    sandbox.control.inject_fault(
        company.account_token, "slow", delay_seconds=20, endpoint="employees"
    )
    cli = subprocess.Popen(
        [sys.executable, "-m", "peoplesync", "sync", "--yes", "--json", "--account", "Acme"],
        env={**os.environ, **world.env},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        (run,) = wait_for(
            lambda: [r for r in world.runs(account_id) if r.state == "fetching"], what="a fetch"
        )
    finally:
        cli.send_signal(signal.SIGKILL)
        cli.wait(timeout=10)
    assert run.heartbeat_at is not None  # starting to fetch is a sign of life

    soon = run.heartbeat_at + STALE_AFTER / 2  # the dead run still holds the slot
    early = world.runtime(clock=lambda: soon).syncs(world.jobs().notifier)
    assert early.reap(account_id=account_id) == []

    later = datetime.now(UTC) + STALE_AFTER + timedelta(seconds=5)
    syncs = world.runtime(clock=lambda: later).syncs(world.jobs().notifier)
    sandbox.control.clear_faults(company.account_token)
    fresh = syncs.from_hris(account_id, trigger="manual", actor="admin")
    assert fresh.state == "awaiting_review"
    dead = world.run(run.id)
    assert dead.state == "failed"
    assert "stopped before it finished" in (dead.error or "")


def test_a_sync_no_worker_takes_up_is_failed_after_the_unclaimed_bound(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    account_id = world.account()
    world.connect(account_id, sandbox, company)
    jobs = world.jobs()
    with unit_of_work(world.factory) as session:  # queued; no worker runs
        run_id = request_sync(session, jobs, get_account(session, account_id), actor="admin")
    queued_at = world.run(run_id).created_at
    world.flush_queue()  # the task is lost (a queue that restarted empty)

    before = world.runtime(clock=lambda: queued_at + UNCLAIMED_AFTER - timedelta(seconds=5))
    assert before.syncs(jobs.notifier).reap() == []
    after = world.runtime(clock=lambda: queued_at + UNCLAIMED_AFTER + timedelta(seconds=5))
    assert after.syncs(jobs.notifier).reap() == [run_id]
    failed = world.run(run_id)
    assert failed.state == "failed"
    assert "No worker took this sync up within 10 minutes" in (failed.error or "")
