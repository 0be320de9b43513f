"""An import is all or nothing, even killed: `peoplesync sync --csv` killed with SIGKILL at
random moments (reading, planning, storing the plan, applying) leaves the directory wholly as it
was or wholly as the file says, on SQLite and PostgreSQL (DESIGN.md, invariant 1)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from peoplesync.store.db import make_engine, session_factory, unit_of_work
from peoplesync.store.models import Person, SyncRun
from tests.jobs.world import database

PEOPLE = 2_000
HEADER = "Name,Employee Id,Email,Start Date,Manager Email,Team\n"


def company(version: int) -> bytes:
    """Version 1, then version 2: everyone renamed and moved to another team, 500 new hires."""
    size = PEOPLE if version == 1 else PEOPLE + 500
    rows = [
        f"Person {i}{' v2' if version == 2 else ''},E{i},person{i}@kill.example,2020-01-01,"
        f"{'person0@kill.example' if i else ''},Team {(i + version) % 9}"
        for i in range(size)
    ]
    return (HEADER + "\n".join(rows) + "\n").encode()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_import_killed_at_any_moment_leaves_the_directory_wholly_old_or_new(
    kind: str, tmp_path: Path
) -> None:
    with database(kind, tmp_path) as db:
        env = {
            **os.environ,
            "PEOPLESYNC_DATABASE_URL": db.url,
            "PEOPLESYNC_SECRET_KEY_FILE": str(tmp_path / "key"),
        }

        def cli(*args: str) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "peoplesync", *args],
                env=env,
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        assert cli("accounts", "create", "Acme").wait(60) == 0
        first, second = tmp_path / "v1.csv", tmp_path / "v2.csv"
        first.write_bytes(company(1))
        second.write_bytes(company(2))
        for file in (first, second, first):  # the 500 hires of v2 are now former employees
            assert cli("sync", "--csv", str(file), "--yes").wait(120) == 0
        # What each file makes of the other's directory, from here on.
        made = {first: directory(db.url)}
        started = time.monotonic()
        assert cli("sync", "--csv", str(second), "--yes").wait(120) == 0  # how long one takes
        whole = time.monotonic() - started
        made[second] = directory(db.url)
        assert cli("sync", "--csv", str(first), "--yes").wait(120) == 0
        assert directory(db.url) == made[first]
        assert len(made[second]) == len(made[first]) == PEOPLE + 500
        assert made[first] != made[second]

        rng = random.Random(19)
        outcomes = []
        for _ in range(4):
            before = directory(db.url)
            file = second if before == made[first] else first
            child = cli("sync", "--csv", str(file), "--yes")
            time.sleep(rng.uniform(0.4, 1.05) * whole)  # most kills late: during the apply
            child.send_signal(signal.SIGKILL)
            child.wait(30)
            after = directory(db.url)
            assert after in (before, made[file]), "a half-applied import"
            outcomes.append("new" if after != before else "old")
            end_dead_runs(db.url)
        print(f"killed imports on {kind}: {outcomes}")


def directory(url: str) -> list[tuple[str, ...]]:
    """Every person's email, name, status and end date."""
    engine = make_engine(url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            query = select(Person.email, Person.name, Person.status, Person.end_date)
            rows = session.execute(query).all()
        return sorted(tuple(str(v) for v in row) for row in rows)
    finally:
        engine.dispose()


def end_dead_runs(url: str) -> None:
    """A killed command leaves its run active until a reaper sees it: end it for the next trial
    (the reaper's own behaviour is tested in tests/jobs/test_kills.py)."""
    engine = make_engine(url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            session.execute(
                update(SyncRun)
                .where(SyncRun.finished_at.is_(None))
                .values(state="failed", finished_at=datetime.now(UTC) - timedelta(seconds=1))
            )
    finally:
        engine.dispose()
