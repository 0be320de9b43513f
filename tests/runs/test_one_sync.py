"""One sync use case: a sync from the CLI and one from a worker are the same sync.

The same file, imported into two accounts of one database, once by `peoplesync sync` (a real
process) and once through the queue by a worker: the same run row, the same history per person,
and the same signed "run finished" webhook.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from peoplesync.accounts.service import get_account
from peoplesync.cli.demo import sample_path
from peoplesync.jobs.queue import InProcessConsumer
from peoplesync.jobs.service import request_apply, request_csv_plan
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import ChangeLog, Person
from tests.jobs.world import TaskLog, World, wait_for
from tests.notify.test_webhooks import Receiver, endpoint

RUN_FIELDS = (
    "trigger",
    "source_kind",
    "source_name",
    "state",
    "blocked_reason",
    "error",
    "import_date",
    "counts",
    "issues",
    "findings",
)


def run_row(world: World, account_id: int) -> dict[str, Any]:
    (run,) = world.runs(account_id)
    return {f: getattr(run, f) for f in RUN_FIELDS}


def history(world: World, account_id: int) -> list[tuple[Any, ...]]:
    """Each person's change log, by email: field, before and after (ids differ by account)."""
    with unit_of_work(world.factory) as session:
        emails = dict(
            session.execute(
                select(Person.id, Person.email).where(Person.account_id == account_id)
            ).all()
        )
        rows = session.execute(
            select(ChangeLog.person_id, ChangeLog.field, ChangeLog.before, ChangeLog.after).where(
                ChangeLog.account_id == account_id
            )
        ).all()
    return sorted((emails[p], f, b, a) for p, f, b, a in rows)


def delivered(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    wait_for(lambda: len(receiver.got) >= count, what=f"{count} webhook(s)")
    payloads = [json.loads(body) for body, _ in receiver.got]
    for payload in payloads:  # what differs by nature: ids, times, whose account
        for varying in ("delivery_id", "created_at"):
            payload.pop(varying)
        for varying in ("id", "account_id", "created_at", "finished_at", "started_by"):
            payload["run"].pop(varying, None)
    return payloads


def test_a_cli_sync_and_a_worker_sync_are_the_same_sync(embedded: World, tmp_path: Any) -> None:
    world = embedded
    data = sample_path("acme-1.csv").read_bytes()
    by_cli, by_worker = world.account("By CLI"), world.account("By worker")
    cli_hook, worker_hook = Receiver([]), Receiver([])
    try:
        endpoint(world, by_cli, cli_hook.url)
        endpoint(world, by_worker, worker_hook.url)
        file = tmp_path / "employees.csv"
        file.write_bytes(data)
        done = _cli_sync(world, file, "By CLI", tmp_path)
        assert done.returncode == 0, done.stderr.decode()

        jobs = world.jobs(clock=lambda: datetime.now(UTC))  # the CLI lives in real time
        log = TaskLog(jobs.huey)
        with InProcessConsumer(jobs.huey, workers=2, periodic=False):
            with unit_of_work(world.factory) as session:
                account = get_account(session, by_worker)
                run_id = request_csv_plan(
                    session, jobs, account, data, source_name="employees.csv", actor="admin"
                )
            log.wait("plan_file")
            with unit_of_work(world.factory) as session:
                request_apply(session, jobs, get_account(session, by_worker), run_id, actor="admin")
            log.wait("apply_plan")
            from_worker = delivered(worker_hook, 1)
        from_cli = delivered(cli_hook, 1)
    finally:
        cli_hook.close()
        worker_hook.close()

    assert run_row(world, by_cli) == run_row(world, by_worker)
    assert run_row(world, by_cli)["state"] == "succeeded"
    assert history(world, by_cli) == history(world, by_worker)
    assert len(history(world, by_cli)) == 16  # one "created" row per new person
    assert from_cli == from_worker
    assert from_cli[0]["run"]["state"] == "succeeded"


def _cli_sync(
    world: World, file: Any, account: str, cwd: Any
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "peoplesync",
            "sync",
            "--csv",
            str(file),
            "--account",
            account,
            "--yes",
            "--json",
        ],
        env={**os.environ, **world.env},
        capture_output=True,
        check=False,
        timeout=120,
        cwd=cwd,
    )
