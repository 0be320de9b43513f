"""Fairness inside a worker (issue 18): a sync reading an HRIS that answers slowly under its
rate limit (429s with Retry-After) holds a thread but no CPU slot, so with one slot the other
accounts' syncs are planned and imported while it still waits; the operator's view shows it
waiting on the rate limit. On the embedded queue + SQLite and on Redis + PostgreSQL."""

from __future__ import annotations

import time

from peoplesync.core.states import RunState
from peoplesync.jobs.queue import InProcessConsumer
from peoplesync.sandbox import SandboxAccount, SandboxServer
from tests.jobs.world import TaskLog, World, wait_for

OTHERS = 3


def test_a_rate_limited_fetch_does_not_keep_the_others_waiting(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    slow_company = sandbox.control.create_company(
        seed=3, size=1500, initial_sync_seconds=0, rate_limit_per_minute=3, rate_window_seconds=1.0
    )  # 15+ pages at 3 requests a second, each refused 429 once its window's budget is spent
    time.sleep(0.06)
    slow = world.account("Slow HRIS")
    world.connect(slow, sandbox, slow_company)
    others = [world.account(f"Other {i}") for i in range(OTHERS)]
    for account_id in others:
        world.connect(account_id, sandbox, company)
    jobs = world.jobs(cpu_slots=1)  # one sync plans or imports at a time
    done = TaskLog(jobs.huey)
    jobs.enqueue_sync(slow, "automatic")  # first in the queue
    with InProcessConsumer(jobs.huey, workers=4, periodic=False):
        deadline = time.monotonic() + 20
        while not world.runs(slow) and time.monotonic() < deadline:
            time.sleep(0.02)  # the slow sync has started reading
        for account_id in others:
            jobs.enqueue_sync(account_id, "automatic")
        done.wait("sync_account", OTHERS, timeout=60)
        (slow_run,) = world.runs(slow)
        assert slow_run.state == RunState.FETCHING  # still reading when the others are done
        for account_id in others:
            (run,) = world.runs(account_id)
            assert run.state == RunState.SUCCEEDED, run.error
            assert world.people_count(account_id) > 0
        wait_for(  # its progress says how long it waited, as it goes
            lambda: [r.account for r in jobs.fleet().rate_limited] == ["Slow HRIS"],
            timeout=30,
            what="the slow sync shown waiting on its rate limit",
        )
        done.wait("sync_account", OTHERS + 1, timeout=120)
    (slow_run,) = world.runs(slow)
    assert slow_run.state == RunState.SUCCEEDED, slow_run.error
    assert world.people_count(slow) == 1500
