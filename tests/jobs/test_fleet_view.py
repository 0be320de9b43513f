"""The operator's view of the fleet (issue 18): runs in flight with what they fetched and how
long they waited on Merge's rate limit, the queue's depth, and the accounts whose latest syncs
failed in a row; the same through `peoplesync fleet --json`. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

from peoplesync.core.states import RunState
from peoplesync.jobs.fleet import FleetView
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import SyncRun
from tests.jobs.test_heartbeat import new_run, stamp
from tests.jobs.world import World


def failed(world: World, account_id: int, minutes_ago: int, why: str) -> None:
    at = world.clock() - timedelta(minutes=minutes_ago)
    run_id = new_run(world, account_id, RunState.FAILED, trigger="automatic", at=at)
    with unit_of_work(world.factory) as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        run.error = why


def fleet_of(world: World) -> dict[str, int]:
    """Three accounts: one failing twice in a row after a success, one that failed once and
    then succeeded, one fetching under the rate limit. Returns their ids by name."""
    names = ("Failing", "Recovered", "Busy")
    ids = {name: world.account(name) for name in names}
    new_run(world, ids["Failing"], RunState.SUCCEEDED, trigger="automatic", at=world.clock())
    failed(world, ids["Failing"], 0, "Merge did not answer (HTTP 503).")
    failed(world, ids["Failing"], 0, "Merge did not answer (HTTP 502).")
    failed(world, ids["Recovered"], 0, "old trouble")
    new_run(world, ids["Recovered"], RunState.SUCCEEDED, trigger="automatic", at=world.clock())
    busy = new_run(world, ids["Busy"], RunState.FETCHING, trigger="automatic", at=world.clock())
    stamp(world, busy, world.clock())
    with unit_of_work(world.factory) as session:
        run = session.get(SyncRun, busy)
        assert run is not None
        run.progress = {"fetched": 1200, "rate_limited_seconds": 42.5}
    return ids


def test_the_view_shows_runs_in_flight_failing_accounts_and_the_queue(world: World) -> None:
    ids = fleet_of(world)
    jobs = world.jobs()
    jobs.enqueue_sync(ids["Recovered"], "manual")
    jobs.enqueue_sync(ids["Recovered"], "automatic", delay=600)
    view = jobs.fleet()
    assert view.accounts == 3
    (busy,) = view.in_flight
    assert (busy.account, busy.state, busy.fetched) == ("Busy", "fetching", 1200)
    assert view.rate_limited == (busy,)
    assert busy.rate_limited_seconds == 42.5
    (failing,) = view.failing  # "Recovered" succeeded last: not failing
    assert (failing.account, failing.failures) == ("Failing", 2)
    assert failing.last_error == "Merge did not answer (HTTP 502)."  # the latest
    assert view.queued_tasks + view.scheduled_tasks == 2
    assert view.workers_alive  # the busy run was stamped just now
    data = view.to_dict()
    assert data["rate_limited"] == [busy.run_id]
    assert data["failing"][0]["last_at"].startswith(world.clock().date().isoformat())


def test_peoplesync_fleet_prints_the_view(world: World) -> None:
    fleet_of(world)
    env = {**os.environ, **world.env}
    command = [sys.executable, "-m", "peoplesync", "fleet"]
    as_json = subprocess.run(
        [*command, "--json"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert as_json.returncode == 0, as_json.stderr
    found = json.loads(as_json.stdout)
    assert [f["account"] for f in found["failing"]] == ["Failing"]
    assert [r["account"] for r in found["in_flight"]] == ["Busy"]
    table = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert table.returncode == 0, table.stderr
    assert "3 accounts; 1 run in flight" in table.stdout
    assert "Failing accounts" in table.stdout
    assert "Merge did not answer (HTTP 502)." in table.stdout
    assert "42 s" in table.stdout


def test_the_headline_counts_in_words() -> None:
    one = FleetView(
        accounts=1, in_flight=(), failing=(), queued_tasks=0, scheduled_tasks=2, workers_alive=True
    )
    assert one.headline == ("1 account", "0 runs in flight", "queue: 0 waiting, 2 scheduled")
    assert replace(one, accounts=2).headline[0] == "2 accounts"
