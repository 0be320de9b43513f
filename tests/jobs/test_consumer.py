"""The Huey consumer for real (SqliteHuey in a temp dir; RedisHuey on the test Redis DB): the
daily auto-sync fires at its time, two simultaneous requests make one run, a restarted consumer
picks the queue up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from structlog.testing import capture_logs

from peoplesync.accounts.autosync import set_auto_sync
from peoplesync.accounts.service import get_account
from peoplesync.cli.demo import sample_path
from peoplesync.errors import RunActiveError
from peoplesync.jobs.queue import InProcessConsumer
from peoplesync.jobs.service import request_apply, request_csv_plan, request_sync
from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.store.db import unit_of_work
from tests.jobs.fixtures import COMPANY_SIZE
from tests.jobs.world import TaskLog, World, wait_for

PARIS_0159 = datetime(2026, 11, 25, 0, 59, tzinfo=UTC)
PARIS_0200 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def sample(name: str) -> bytes:
    return sample_path(name).read_bytes()


def test_the_daily_auto_sync_fires_at_its_time_once_a_day(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    account_id = world.account(timezone="Europe/Paris")
    world.connect(account_id, sandbox, company)
    world.clock.set(PARIS_0159)
    with unit_of_work(world.factory) as session:
        set_auto_sync(session, get_account(session, account_id), enabled=True, now=world.clock())
    jobs = world.jobs()
    done = TaskLog(jobs.huey)
    with capture_logs() as logs, InProcessConsumer(jobs.huey, workers=2, periodic=True):
        done.wait("autosync_tick")  # the scheduler's first check, at start: 01:59 in Paris
        assert world.runs(account_id) == []

        world.clock.set(PARIS_0200)
        jobs.enqueue_autosync_tick()  # what the scheduler does every minute
        done.wait("autosync_tick", 2)
        done.wait("sync_account")
        (run,) = world.runs(account_id)
        assert (run.trigger, run.state) == ("automatic", "succeeded")
        assert world.people_count(account_id) == COMPANY_SIZE

        world.clock.advance(minutes=45)  # later the same day: nothing more
        jobs.enqueue_autosync_tick()
        done.wait("autosync_tick", 3)

        world.clock.advance(days=1)  # the next day, at 02:45 Paris: due again
        jobs.enqueue_autosync_tick()
        done.wait("autosync_tick", 4)
        done.wait("sync_account", 2)
    due = [e for e in logs if e["event"] == "autosync.due"]
    assert len(due) == 2
    assert [r.trigger for r in world.runs(account_id)] == ["automatic", "automatic"]


def test_two_simultaneous_sync_requests_make_one_run(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    account_id = world.account()
    world.connect(account_id, sandbox, company)
    sandbox.control.inject_fault(
        company.account_token, "slow", delay_seconds=1.5, endpoint="employees"
    )
    jobs = world.jobs()
    done = TaskLog(jobs.huey)
    with unit_of_work(world.factory) as session:  # the request starts the run, queued
        first = request_sync(session, jobs, get_account(session, account_id), actor="admin")
    with unit_of_work(world.factory) as session, pytest.raises(RunActiveError) as refused:
        request_sync(session, jobs, get_account(session, account_id), actor="second admin")
    assert refused.value.context["run_id"] == first  # the second hears which run is running
    assert jobs.pending() == 1
    with InProcessConsumer(jobs.huey, workers=2, periodic=False):
        running = wait_for(lambda: [r for r in world.runs(account_id) if r.state == "fetching"])
        with unit_of_work(world.factory) as session, pytest.raises(RunActiveError):
            request_sync(session, jobs, get_account(session, account_id), actor="late admin")
        done.wait("sync_account", 1)
    (run,) = world.runs(account_id)
    assert run.id == running[0].id == first
    assert run.state == "awaiting_review"


def test_a_sync_the_scheduler_starts_beside_a_running_one_is_skipped(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    account_id = world.account()
    world.connect(account_id, sandbox, company)
    sandbox.control.inject_fault(
        company.account_token, "slow", delay_seconds=1.5, endpoint="employees"
    )
    jobs = world.jobs()
    done = TaskLog(jobs.huey)
    with unit_of_work(world.factory) as session:
        request_sync(session, jobs, get_account(session, account_id), actor="admin")
    jobs.enqueue_sync(account_id, "webhook")  # Merge's webhook, meanwhile: no run of its own
    with capture_logs() as logs, InProcessConsumer(jobs.huey, workers=2, periodic=False):
        done.wait("sync_account", 2)
    (run,) = world.runs(account_id)
    assert run.state == "awaiting_review"
    assert any(e["event"] == "jobs.sync.skipped" and e["reason"] == "run_active" for e in logs), (
        logs
    )


def test_a_restarted_consumer_picks_up_the_queue(world: World) -> None:
    account_id = world.account()
    jobs = world.jobs()
    with unit_of_work(world.factory) as session:
        account = get_account(session, account_id)
        request_csv_plan(
            session, jobs, account, sample("acme-1.csv"), source_name="a.csv", actor="x"
        )
    assert jobs.pending() == 1  # enqueued once the request committed; no consumer yet

    done = TaskLog(jobs.huey)
    with InProcessConsumer(jobs.huey, workers=1, periodic=False):
        done.wait("plan_file")
    (run,) = world.runs(account_id)
    assert run.state == "awaiting_review"

    with unit_of_work(world.factory) as session:
        request_apply(session, jobs, get_account(session, account_id), run.id, actor="x")
    assert jobs.pending() == 1  # the consumer is down: the apply waits in the queue

    restarted = world.jobs()  # a new process would build the same Jobs
    done = TaskLog(restarted.huey)
    with InProcessConsumer(restarted.huey, workers=1, periodic=False):
        done.wait("apply_plan")
    assert world.run(run.id).state == "succeeded"
    assert world.people_count(account_id) == 16


def test_a_request_rolled_back_enqueues_nothing(world: World) -> None:
    account_id = world.account()
    jobs = world.jobs()

    def ask_then_fail() -> None:
        with unit_of_work(world.factory) as session:
            account = get_account(session, account_id)
            request_csv_plan(
                session, jobs, account, sample("acme-1.csv"), source_name="a", actor="x"
            )
            raise RuntimeError("the request failed after asking")

    with pytest.raises(RuntimeError):
        ask_then_fail()
    assert jobs.pending() == 0
