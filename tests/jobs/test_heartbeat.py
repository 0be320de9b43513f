"""Heartbeats and the reaper on both databases: which runs count as held, which as abandoned."""

from __future__ import annotations

from datetime import datetime, timedelta

from peoplesync.accounts.service import get_account
from peoplesync.core.states import RunState
from peoplesync.runs import service as runs
from peoplesync.runs.heartbeat import Heartbeat, reap_stale_runs
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import SyncRun
from tests.jobs.world import World, wait_for

STALE = timedelta(minutes=2)
UNCLAIMED = timedelta(hours=1)


def new_run(world: World, account_id: int, state: RunState, *, trigger: str, at: datetime) -> int:
    with unit_of_work(world.factory) as session:
        run = runs.start_run(
            session, get_account(session, account_id), trigger=trigger, source_kind="merge", now=at
        )
        run.state = state
        session.flush()
        return run.id


def stamp(world: World, run_id: int, at: datetime | None) -> None:
    with unit_of_work(world.factory) as session:
        found = session.get(SyncRun, run_id)
        assert found is not None
        found.heartbeat_at = at


def reap(world: World, now: datetime) -> list[int]:
    with unit_of_work(world.factory) as session:
        return [
            r.id
            for r in reap_stale_runs(session, now=now, stale_after=STALE, unclaimed_after=UNCLAIMED)
        ]


def test_the_reaper_fails_only_abandoned_runs(world: World) -> None:
    now = world.clock()
    old = now - timedelta(hours=3)
    accounts = [world.account(f"A{n}") for n in range(7)]
    stale = new_run(world, accounts[0], RunState.FETCHING, trigger="manual", at=old)
    stamp(world, stale, now - STALE - timedelta(seconds=1))
    fresh = new_run(world, accounts[1], RunState.APPLYING, trigger="automatic", at=old)
    stamp(world, fresh, now - timedelta(seconds=5))
    waiting = new_run(world, accounts[2], RunState.AWAITING_REVIEW, trigger="manual", at=old)
    stamp(world, waiting, old)  # a person reviews it: it expires on its own, never reaped
    automated = new_run(world, accounts[3], RunState.AWAITING_REVIEW, trigger="webhook", at=old)
    stamp(world, automated, old)  # between plan and apply, its worker gone
    never = new_run(world, accounts[4], RunState.PLANNING, trigger="cli", at=old)
    young = new_run(world, accounts[5], RunState.PLANNING, trigger="cli", at=now)
    done = new_run(world, accounts[6], RunState.SUCCEEDED, trigger="automatic", at=old)

    assert sorted(reap(world, now)) == sorted([stale, automated, never])
    for run_id in (stale, automated, never):
        failed = world.run(run_id)
        assert failed.state == "failed"
        assert failed.finished_at == now
        assert "Nothing was imported" in (failed.error or "")
    for run_id, state in ((fresh, "applying"), (waiting, "awaiting_review"), (young, "planning")):
        assert world.run(run_id).state == state
    assert world.run(done).state == "succeeded"
    assert reap(world, now) == []


def test_a_heartbeat_stamps_the_working_run_until_it_stops(world: World) -> None:
    account_id = world.account()
    other = world.account("Other")
    waiting = new_run(
        world, account_id, RunState.AWAITING_REVIEW, trigger="manual", at=world.clock()
    )
    elsewhere = new_run(world, other, RunState.FETCHING, trigger="manual", at=world.clock())
    beat = Heartbeat(world.factory, account_id, clock=world.clock, interval=0.05)
    with beat:
        assert world.run(waiting).heartbeat_at is None  # a person's review is not this task's
        with unit_of_work(world.factory) as session:
            run = runs.start_run(
                session,
                get_account(session, account_id),
                trigger="automatic",
                source_kind="merge",
                now=world.clock(),
            )
            runs.move(run, RunState.FETCHING, world.clock())
            session.flush()
            mine = run.id
        first = wait_for(lambda: world.run(mine).heartbeat_at, what="the first stamp")
        world.clock.advance(seconds=30)
        wait_for(lambda: (world.run(mine).heartbeat_at or first) > first, what="a later stamp")
        beat.run_id = mine
    last = world.run(mine).heartbeat_at
    world.clock.advance(seconds=30)
    assert world.run(mine).heartbeat_at == last  # stopped with the block
    assert world.run(elsewhere).heartbeat_at is None
