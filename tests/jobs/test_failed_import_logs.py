"""A failed import on PostgreSQL, in a real `peoplesync worker`: the run fails saying so, the
worker's log says what broke, and no employee's data is in that log (PostgreSQL's errors quote
the row they refused; SQLAlchemy's quote the statement's parameters). Validation stops what it
knows (a value too long is its error); the database refuses here what only it checks (a
constraint the test adds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.jobs.test_worker_process import spawn_worker, stop
from tests.jobs.world import World, make_world, wait_for

HEADER = "Name,Preferred Name,Employee Id,Email,Date of Birth,Start Date,End Date,Manager Email\n"
PRIVATE = "Quirinus Privatename"


@pytest.fixture
def on_postgres(tmp_path: Path) -> Iterator[World]:
    with make_world("networked", tmp_path) as world:  # PostgreSQL and Redis
        yield world


def test_a_failed_import_logs_no_employee_data(on_postgres: World, tmp_path: Path) -> None:
    world = on_postgres
    assert world.settings.database_url.startswith("postgresql")
    with world.db.engine.begin() as conn:
        conn.execute(
            text("ALTER TABLE people ADD CONSTRAINT no_quirinus CHECK (name NOT LIKE 'Quirinus%')")
        )
    account_id = world.account()
    data = (
        HEADER
        + f"{PRIVATE},,E1,quirinus.private@acme.example,1971-03-04,2020-01-01,,\n"
        + "Berenike Unlisted,,E2,berenike.unlisted@acme.example,1980-02-02,2020-01-01,,\n"
    ).encode()
    jobs = world.jobs()
    log = tmp_path / "worker.log"
    worker = spawn_worker(world, log)
    try:
        jobs.enqueue_csv_plan(account_id, data, "people.csv", "admin@acme.example")
        run = wait_for(
            lambda: next((r for r in world.runs(account_id) if r.state == "awaiting_review"), None),
            what="the plan",
        )
        jobs.enqueue_apply(account_id, run.id, "admin@acme.example")
        failed = wait_for(
            lambda: next((r for r in world.runs(account_id) if r.state == "failed"), None),
            what="the import to fail",
        )
    finally:
        stop(worker)
    assert "IntegrityError" in (failed.error or "")
    written = log.read_text()
    assert "sync.stage.crashed" in written
    assert "stage=apply" in written
    assert 'violates check constraint "no_quirinus"' in written  # what broke
    assert "huey Executing peoplesync.jobs.tasks.apply_plan" in written  # its own lines too
    for value in ("Quirinus", "Privatename", "quirinus.private", "Berenike", "1971-03-04"):
        assert value not in written, value
