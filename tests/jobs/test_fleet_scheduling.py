"""The daily fan-out at an operator's scale (issue 18, scheduling): each due account's run is
started in the claim's own transaction, so a queue that loses its tasks (Redis keeps nothing
across a restart) loses no account's day; two schedulers start one run per account per day; a
queued run waits its turn while workers work through a long queue; a duplicate task never
touches a run another worker has taken up. On the embedded queue + SQLite and on Redis +
PostgreSQL, with the sandbox HRIS."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

from peoplesync.accounts.autosync import set_auto_sync
from peoplesync.accounts.service import get_account
from peoplesync.core.states import RunState
from peoplesync.jobs.queue import InProcessConsumer
from peoplesync.jobs.tasks import Jobs, spread_offset
from peoplesync.runs import service as runs
from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.store.db import unit_of_work
from tests.jobs.test_heartbeat import new_run, stamp
from tests.jobs.world import TaskLog, World

ACCOUNTS = 3
SPREAD = 10  # minutes


def fleet(world: World, sandbox: SandboxServer, company: SandboxAccount) -> list[int]:
    """Accounts connected to the sandbox, auto-sync on, due at 02:00 UTC (the clock: 00:59)."""
    found = []
    for i in range(ACCOUNTS):
        account_id = world.account(f"Fleet {i}", timezone="UTC", auto_sync_time="01:00")
        world.connect(account_id, sandbox, company)
        with unit_of_work(world.factory) as session:
            set_auto_sync(
                session, get_account(session, account_id), enabled=True, now=world.clock()
            )
        found.append(account_id)
    world.clock.advance(minutes=2)  # 01:01: every account is due
    return found


def runs_by_account(world: World, accounts: list[int]) -> Counter[int]:
    return Counter(a for a in accounts for _ in world.runs(a))


def test_the_fan_out_starts_each_run_in_the_claims_transaction(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    accounts = fleet(world, sandbox, company)
    jobs = world.jobs()
    with unit_of_work(world.factory) as session:
        started = jobs.start_due_syncs(session)
        assert len(started) == ACCOUNTS
        assert jobs.pending() == 0  # enqueued only once the claims and runs are committed
    assert jobs.pending() == ACCOUNTS
    for account_id in accounts:
        (run,) = world.runs(account_id)
        assert (run.state, run.trigger) == (RunState.QUEUED, "automatic")
    with unit_of_work(world.factory) as session:  # the same minute again: nothing more
        assert jobs.start_due_syncs(session) == []
    assert runs_by_account(world, accounts) == dict.fromkeys(accounts, 1)


def test_a_queue_that_loses_its_tasks_mid_fan_out_loses_no_accounts_day(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    accounts = fleet(world, sandbox, company)
    jobs = world.jobs()
    with unit_of_work(world.factory) as session:
        jobs.start_due_syncs(session)
    jobs.huey.flush()  # what a Redis restart does to the queue
    assert jobs.pending() == 0
    assert jobs.recover_lost_runs() == []  # within the grace: a worker may be taking them up
    world.clock.advance(minutes=2)
    requeued = jobs.recover_lost_runs()
    assert len(requeued) == ACCOUNTS
    assert jobs.pending() == ACCOUNTS
    done = TaskLog(jobs.huey)
    with InProcessConsumer(jobs.huey, workers=2, periodic=False):
        done.wait("sync_account", ACCOUNTS)
    for account_id in accounts:
        (run,) = world.runs(account_id)  # the day's one run, not a second one
        assert run.state == RunState.SUCCEEDED, run.error
        assert world.people_count(account_id) > 0


def test_a_lost_upload_fails_saying_so(world: World) -> None:
    account_id = world.account()
    with unit_of_work(world.factory) as session:
        account = get_account(session, account_id)
        run_id = runs.start_run(
            session, account, trigger="csv", source_kind="csv", now=world.clock()
        ).id
    jobs = world.jobs()
    world.clock.advance(minutes=2)
    assert jobs.recover_lost_runs() == []
    failed = world.run(run_id)
    assert failed.state == RunState.FAILED
    assert "upload the file again" in (failed.error or "")


def test_two_schedulers_start_one_run_per_account_per_day(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    accounts = fleet(world, sandbox, company)
    first, second = world.jobs(), world.jobs()
    barrier = threading.Barrier(2)
    started: list[list[int]] = []

    def tick(jobs: Jobs) -> None:
        barrier.wait()
        with unit_of_work(world.factory) as session:
            started.append(jobs.start_due_syncs(session))

    threads = [threading.Thread(target=tick, args=(j,)) for j in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(started) == 2  # both schedulers ticked
    assert sum(len(s) for s in started) == ACCOUNTS
    assert runs_by_account(world, accounts) == dict.fromkeys(accounts, 1)


def test_a_queued_run_waits_its_turn_while_workers_work(world: World) -> None:
    """A fleet's fan-out keeps runs queued longer than the unclaimed bound: while some worker
    shows life they wait; with no worker anywhere they fail (as before)."""
    waiting_account, busy_account = world.account("Waiting"), world.account("Busy")
    waiting = new_run(
        world, waiting_account, RunState.QUEUED, trigger="automatic", at=world.clock()
    )
    busy_id = new_run(world, busy_account, RunState.FETCHING, trigger="automatic", at=world.clock())
    stamp(world, busy_id, world.clock() + timedelta(minutes=11))
    world.clock.advance(minutes=11)  # past the 10-minute bound; the busy run stamped just now
    syncs = world.jobs().syncs
    assert syncs.reap() == []
    assert world.run(waiting).state == RunState.QUEUED
    world.clock.advance(minutes=3)  # the busy worker died too: nobody shows life
    assert sorted(syncs.reap()) == sorted([waiting, busy_id])
    assert "No worker took this sync up" in (world.run(waiting).error or "")


def test_a_duplicate_task_leaves_a_taken_run_alone(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    account_id = world.account()
    world.connect(account_id, sandbox, company)
    run_id = new_run(world, account_id, RunState.FETCHING, trigger="automatic", at=world.clock())
    stamp(world, run_id, world.clock())
    result = world.jobs().syncs.from_hris(account_id, trigger="automatic", run_id=run_id)
    assert result.state == RunState.FETCHING  # untouched: the worker on it carries on
    assert world.run(run_id).error is None


def spread_jobs(world: World) -> Jobs:
    settings = world.settings.model_copy(update={"autosync_spread_minutes": SPREAD})
    return world.jobs(settings=settings)


def test_the_fan_out_spreads_the_due_accounts_over_its_window(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    accounts = fleet(world, sandbox, company)
    jobs = spread_jobs(world)
    with unit_of_work(world.factory) as session:
        started = jobs.start_due_syncs(session)
    assert len(started) == ACCOUNTS
    queued = jobs.huey.pending()  # each with its own start time; a worker keeps it till then
    assert sorted(t.args[0] for t in queued) == sorted(accounts)
    starts = sorted(t.eta for t in queued)
    assert starts[-1] - starts[0] <= timedelta(minutes=SPREAD)
    assert len(set(starts)) == ACCOUNTS  # not one herd
    with InProcessConsumer(jobs.huey, workers=1, periodic=False):
        deadline = time.monotonic() + 30
        while jobs.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert jobs.pending() == 0
    assert jobs.scheduled_runs() == set(started)  # in the schedule, none taken up yet
    assert {r.state for a in accounts for r in world.runs(a)} == {RunState.QUEUED}
    world.clock.advance(minutes=5)
    assert jobs.recover_lost_runs() == []  # waiting in the schedule is not lost
    jobs.huey.flush()  # a Redis restart mid-window loses the schedule too
    assert jobs.recover_lost_runs() == sorted(started)  # each enqueued again, once
    assert jobs.recover_lost_runs() == []
    for account_id in accounts:
        (run,) = world.runs(account_id)  # still the day's one run
        assert run.state == RunState.QUEUED


def test_an_accounts_place_in_the_window_is_its_own_and_the_same_every_day() -> None:
    window = SPREAD * 60
    places = [spread_offset(account_id, window) for account_id in range(1, 2001)]
    assert places == [spread_offset(account_id, window) for account_id in range(1, 2001)]
    assert all(0 <= p < window for p in places)
    per_minute = Counter(int(p // 60) for p in places)
    assert len(per_minute) == SPREAD
    assert max(per_minute.values()) < 2 * 2000 / SPREAD  # no minute takes twice its share
    assert spread_offset(7, 0) == 0
