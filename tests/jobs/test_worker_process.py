"""`peoplesync worker` as a real process: killed mid-run, it leaves a run the reaper fails (the
directory untouched); a new worker picks the queue up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from peoplesync.jobs.queue import WorkerProcess
from peoplesync.notify.service import list_outbox
from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import Person
from tests.jobs.world import World, wait_for


def spawn_worker(world: World, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "peoplesync",
                "worker",
                "--workers",
                "1",
                "--threads",
                "1",  # the second task waits in the queue behind the first
                "--no-periodic",
                "--queue",
                world.queue_name,
            ],
            env={**os.environ, **world.env},
            stdout=sink,
            stderr=sink,
        )


def stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGINT)  # graceful: finish the task at hand
        worker.wait(timeout=30)


def test_a_worker_killed_mid_run_leaves_a_failed_run_and_the_directory_untouched(
    world: World, sandbox: SandboxServer, company: SandboxAccount, tmp_path: Path
) -> None:
    account_id = world.account()
    world.connect(account_id, sandbox, company)
    world.manual_sync(account_id)
    before = world.directory(account_id)
    token = company.account_token
    with unit_of_work(world.factory) as session:
        someone = session.get(Person, before[3][0])
        assert someone is not None
        source_id = str(someone.source_id)
    sandbox.control.rename(token, source_id, first_name="Changed")
    sandbox.control.inject_fault(token, "slow", delay_seconds=8, endpoint="employees")

    jobs = world.jobs()
    jobs.enqueue_sync(account_id, "automatic")  # taken by the worker, then it hangs on Merge
    log = tmp_path / "worker.log"
    worker = spawn_worker(world, log)
    try:
        run = wait_for(
            lambda: next(
                (
                    r
                    for r in world.runs(account_id)
                    if r.trigger == "automatic" and r.state == "fetching" and r.heartbeat_at
                ),
                None,
            ),
            what="the automated run to be fetching, with a heartbeat",
        )
        jobs.enqueue_sync(account_id, "automatic")  # waits behind it in the queue
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert world.run(run.id).state == "fetching"  # stuck, until the reaper looks
    assert jobs.pending() == 1

    later = datetime.now(UTC) + world.timings.stale_after + timedelta(seconds=5)
    late = world.runtime(clock=lambda: later).syncs(jobs.notifier)
    reaped = late.reap(
        stale_after=world.timings.stale_after, unclaimed_after=world.timings.unclaimed_after
    )
    assert reaped == [run.id]
    failed = world.run(run.id)
    assert failed.state == "failed"
    assert "worker running this sync stopped" in (failed.error or "")
    assert world.directory(account_id) == before
    with unit_of_work(world.factory) as session:
        (email,) = list_outbox(session, account_id)
    assert (email.kind, email.run_id) == ("run_failed", run.id)

    restarted = spawn_worker(world, log)
    try:
        again = wait_for(
            lambda: next(
                (r for r in world.runs(account_id) if r.id > run.id and r.state == "succeeded"),
                None,
            ),
            timeout=60,
            what="the queued sync to run on the restarted worker",
        )
    finally:
        stop(restarted)
    assert again.trigger == "automatic"
    assert world.directory(account_id) != before
    assert any(str(row[2]).startswith("Changed") for row in world.directory(account_id))


def test_the_supervised_worker_is_restarted_when_it_dies_and_stops_with_its_parent(
    world: World, sandbox: SandboxServer, company: SandboxAccount, tmp_path: Path
) -> None:
    """`serve` and the demo run their worker as a child process (WorkerProcess): killed, it is
    started again and the queue's work goes on; the parent's end ends it."""
    account_id = world.account()
    world.connect(account_id, sandbox, company)
    log = tmp_path / "worker.log"
    supervised = WorkerProcess(world.settings, queue=world.queue_name, log_file=log)
    jobs = world.jobs()
    with supervised:
        first = supervised.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: supervised.restarts == 1, timeout=30, what="the worker started again")
        assert supervised.pid not in {None, first}
        jobs.enqueue_sync(account_id, "automatic")
        run = wait_for(
            lambda: next((r for r in world.runs(account_id) if r.state == "succeeded"), None),
            timeout=90,
            what="the restarted worker to run the sync",
        )
        assert world.people_count(account_id) > 0
        last = supervised.pid
    assert run.trigger == "automatic"
    assert last is not None
    with pytest.raises(ProcessLookupError):
        os.kill(last, 0)  # stopped with the block
    assert log.read_text().rstrip().endswith("Consumer exiting.")  # stopped gracefully


PARENT = """
import os, subprocess, sys, time
worker = subprocess.Popen([*sys.argv[1:], "--parent", str(os.getpid())], stdout=subprocess.DEVNULL)
print(worker.pid, flush=True)
time.sleep(600)
"""


def _ended(pid: int) -> bool:
    """Gone, or a zombie its new parent has not reaped yet."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_worker_whose_parent_is_killed_stops_by_itself(world: World, tmp_path: Path) -> None:
    """The web app's end stops its worker (above); killed, it cannot: the worker sees its parent
    gone and stops, instead of running on as an orphan nobody supervises."""
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "peoplesync", "worker", "--workers", "1", "--no-periodic"]
    command += ["--queue", world.queue_name]
    with log.open("ab") as sink:
        parent = subprocess.Popen(
            [sys.executable, "-c", PARENT, *command],
            env={**os.environ, **world.env},
            stdout=subprocess.PIPE,
            stderr=sink,
        )
    assert parent.stdout is not None
    with parent.stdout:
        child = int(parent.stdout.readline())
    try:
        wait_for(lambda: "consumer started" in log.read_text(), timeout=30, what="the worker")
        assert not _ended(child)
        parent.kill()
        parent.wait(timeout=10)
        wait_for(lambda: _ended(child), timeout=30, what="the orphaned worker to stop")
    finally:
        if not _ended(child):
            os.kill(child, signal.SIGKILL)
        parent.kill()
        parent.wait(timeout=10)
    assert "jobs.worker.orphaned" in log.read_text(), log.read_text()
    assert log.read_text().rstrip().endswith("Consumer exiting.")  # gracefully, by SIGINT
