"""The sync engine at 100,000 people: validate + plan, re-plan, apply on SQLite and PostgreSQL.

Targets (issue 2): validate + plan 100,000 records against a 100,000-person directory < 1 s;
re-plan after a 1 % change < 1 s; a full first import applied < 5 s on SQLite, < 8 s on
PostgreSQL; peak memory < 400 MB.
"""

from __future__ import annotations

import os
import resource
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from bench.databases import postgres_schema, sqlite_file
from peoplesync.accounts.service import create_account
from peoplesync.core.employee import Person, PersonStatus, SourceEmployee, SourceSnapshot
from peoplesync.core.fields import CORE_FIELDS, VALUE_NAMES
from peoplesync.core.index import RecordIndex
from peoplesync.core.plan import plan
from peoplesync.core.validate import validate
from peoplesync.runs import service as runs
from peoplesync.store.db import migrate, session_factory, unit_of_work

N = 100_000
TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
DEPARTMENTS = [f"Department {i}" for i in range(40)]
LOCATIONS = [f"City {i}" for i in range(25)]
T = TypeVar("T")


def company(n: int = N) -> SourceSnapshot:
    # Built with the values tuple directly (in `VALUE_NAMES` order), the cheapest way the type
    # allows: setting up the input is not what this benchmark times.
    at = {name: i for i, name in enumerate(VALUE_NAMES)}
    assert tuple(at) == ("employee_id", "name", "preferred_name", "email", "birth_date",
                         "start_date", "end_date")  # fmt: skip
    records = tuple(
        SourceEmployee(
            f"employee {i}",
            f"src-{i:07d}",
            (
                f"E{i:07d}",
                f"Person Number{i}",
                None,
                f"person.{i}@bench.example",
                date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                date(2000 + i % 25, 1 + i % 12, 1 + i % 28),
                None,
            ),
            f"src-{(i - 1) // 8:07d}" if i else None,
            None,
            {
                "Department": DEPARTMENTS[i % 40],
                "Location": LOCATIONS[i % 25],
                "Job Title": f"Title {i % 300}",
            },
        )
        for i in range(n)
    )
    return SourceSnapshot(
        records=records,
        provided=frozenset(CORE_FIELDS),
        demographic_names=frozenset({"Department", "Location", "Job Title"}),
    )


def changed(snapshot: SourceSnapshot, share: float = 0.01) -> SourceSnapshot:
    """`share` of the people change: names, titles, managers; a few leave, a few join."""
    step = int(1 / share)
    records = list(snapshot.records)
    for i in range(5, len(records), step):
        r = records[i]
        records[i] = r.changed(
            name=f"{r.name} Jr", demographics={**r.demographics, "Job Title": "Promoted"}
        )
    del records[-100:]  # 100 leavers
    records.extend(
        records[j].changed(
            location=f"new {j}",
            source_id=f"new-{j}",
            email=f"new.{j}@bench.example",
            employee_id=f"N{j}",
        )
        for j in range(1, 101)
    )
    return replace(snapshot, records=tuple(records))


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def directory_of(snapshot: SourceSnapshot) -> list[Person]:
    """The directory a first import of `snapshot` leaves (built directly, so that building the
    benchmark's input does not count toward the peak memory of the scenario)."""
    ids = {r.source_id: f"p{i:07d}" for i, r in enumerate(snapshot.records)}
    return [
        Person(
            ids[str(r.source_id)],
            PersonStatus.ACTIVE,
            r.source_id,
            r.values,
            ids.get(r.manager_source_id) if r.manager_source_id else None,
            r.demographics,
        )
        for r in snapshot.records
    ]


def validate_and_plan(s: SourceSnapshot, directory: list[Person]) -> None:
    index = RecordIndex.build(s.records)
    validate(s, today=TODAY, index=index)
    plan(s, directory, import_date=TODAY, index=index)


def bench_core_unchanged() -> None:
    snapshot = company()
    directory = directory_of(snapshot)
    _, took = timed(lambda: validate_and_plan(snapshot, directory))
    print(f"validate + plan, 100,000 records vs 100,000 people, no change : {took:6.3f} s")


def bench_core_changed() -> None:
    snapshot = company()
    directory = directory_of(snapshot)
    moved = changed(snapshot)
    del snapshot
    _, took = timed(lambda: validate_and_plan(moved, directory))
    print(f"validate + plan after a 1% change (+100 hires, 100 leavers)  : {took:6.3f} s")


def bench_core_first() -> None:
    snapshot = company()
    _, took = timed(lambda: validate_and_plan(snapshot, []))
    print(f"validate + plan, first import into an empty directory         : {took:6.3f} s")


def bench_apply(label: str, engine: Engine) -> None:
    migrate(engine)
    factory = session_factory(engine)
    snapshot = company()
    with unit_of_work(factory) as session:
        account = create_account(session, f"bench {secrets.token_hex(3)}", now=NOW)
        session.flush()
        run = runs.start_run(session, account, trigger="cli", source_kind="merge", now=NOW)
        (_, plan_s) = timed(
            lambda: runs.plan_run(session, account, run, snapshot, today=TODAY, now=NOW)
        )
        stored = run.timings["store_plan"]
    with unit_of_work(factory) as session:
        account = session.merge(account)
        run = session.merge(run)
        (_, apply_s) = timed(lambda: runs.apply_run(session, account, run, now=NOW))
    with unit_of_work(factory) as session:
        account = session.merge(account)
        moved = changed(snapshot)
        run2 = runs.start_run(session, account, trigger="cli", source_kind="merge", now=NOW)
        (_, replan_s) = timed(
            lambda: runs.plan_run(session, account, run2, moved, today=TODAY, now=NOW)
        )
        loaded = run2.timings["load_directory"]
    print(
        f"[{label}] first import of 100,000: plan + store plan {plan_s:6.3f} s "
        f"(of which storing the plan {stored:.3f} s); apply {apply_s:6.3f} s"
    )
    print(
        f"[{label}] re-plan after a 1% change, from the database: {replan_s:6.3f} s "
        f"(of which loading the directory {loaded:.3f} s)"
    )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_sqlite() -> None:
    with sqlite_file() as engine:
        bench_apply("SQLite", engine)


def bench_postgres() -> None:
    url = os.environ.get("PEOPLESYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test")
    with ExitStack() as stack:
        try:
            engine = stack.enter_context(postgres_schema(url))
        except OperationalError as err:
            print(f"[PostgreSQL] skipped: no server at {url} ({err.orig})")
            return
        bench_apply("PostgreSQL", engine)


SCENARIOS = {
    "core-unchanged": bench_core_unchanged,
    "core-changed": bench_core_changed,
    "core-first": bench_core_first,
    "sqlite": bench_sqlite,
    "postgres": bench_postgres,
}


def main() -> None:
    """Each scenario in its own process, so each peak memory figure is that scenario's own."""
    for name in SCENARIOS:
        subprocess.run([sys.executable, "-m", "bench.engine", name], check=True)


if __name__ == "__main__":
    SCENARIOS[sys.argv[1]]()
    print(f"[{sys.argv[1]}] peak memory (max RSS of the process): {peak_mb():.0f} MB")
