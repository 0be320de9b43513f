"""Pages while an import runs (issue 18): the admin pages answer while a 100,000-person first
import is applied, with the import in the web server's own process (a thread: `serve
--worker-in-process`) and in a process of its own (`serve`'s supervised worker, the default).

    python -m bench.busy [--clients 8,2] [--size 100000] [--database sqlite|postgres]
                         [--clients-with-server]

For each client count and placement: an account with a first import of `size` people planned
(not timed), then applied while `clients` tabs signed in to that account ask for its pages in
turn (the run's page and the status it polls, history, integrations, users, the API's /me; a new
connection each time, as `bench.web` does) until the import ends. The tabs run in a process of
their own (browsers share the machine's CPU with the server, not its interpreter lock), or with
`--clients-with-server` as threads of the server's process.

Prints, for each: the import's time, the pages' p50 / p95 / max against the 300 ms target, the CPU
seconds of the web process, the import and the clients (with their share of the 2 cores), the
load average, and per page the server's own time, its SQL's and its wait at BEGIN (SQLite's
write lock). SQLite in a temp file (the embedded default), or a new schema of the PostgreSQL
server at PEOPLESYNC_BENCH_POSTGRES_URL / PEOPLESYNC_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import postgres_schema
from bench.engine import NOW, TODAY, company
from bench.pollers import Polled, Pollers, Spent, Watch, by_page, percentile
from bench.web import TARGET_MS, add_admin
from peoplesync.accounts.service import create_account, get_account
from peoplesync.config import Settings
from peoplesync.jobs.tasks import build_jobs
from peoplesync.runs import service as runs
from peoplesync.serving import ServerThread, free_port
from peoplesync.store.db import make_engine, migrate, session_factory, unit_of_work
from peoplesync.web.app import create_app
from peoplesync.web.context import WebContext

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
HERE, APART = "in the web process", "in its own process"
ME = "/api/v1/me"


def planned(factory: sessionmaker[Session], size: int, name: str) -> tuple[int, int]:
    """An account with a first import of `size` people planned, waiting for review."""
    snapshot = company(size)
    with unit_of_work(factory) as session:
        account = create_account(session, name, now=NOW)
        session.flush()
        run = runs.start_run(session, account, trigger="cli", source_kind="csv", now=NOW)
        runs.plan_run(session, account, run, snapshot, today=TODAY, now=NOW)
        return account.id, run.id


@dataclass(frozen=True)
class Database:
    engine: Engine
    url: str  # what another process is given


@contextmanager
def database(kind: str) -> Iterator[Database]:
    if kind == "postgres":
        url = os.environ.get("PEOPLESYNC_BENCH_POSTGRES_URL") or os.environ.get(
            "PEOPLESYNC_TEST_POSTGRES_URL", POSTGRES
        )
        with postgres_schema(url) as engine:
            yield Database(engine, engine.url.render_as_string(hide_password=False))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/busy.db"
        engine = make_engine(url)
        try:
            yield Database(engine, url)
        finally:
            engine.dispose()


def cpu_seconds(who: int) -> float:
    used = resource.getrusage(who)
    return used.ru_utime + used.ru_stime


@dataclass
class Import:
    """One account's planned import and how to apply it in each placement."""

    factory: sessionmaker[Session]
    db: Database
    key: str
    name: str
    account_id: int
    run_id: int
    worker_cpu: float = 0.0

    def in_this_process(self) -> None:
        started = time.thread_time()
        with unit_of_work(self.factory) as session:
            account = get_account(session, self.account_id)
            run = runs.get_run(session, self.account_id, self.run_id)
            runs.apply_run(session, account, run, now=NOW, confirm=True)
        self.worker_cpu = time.thread_time() - started

    def in_a_worker_process(self) -> None:
        env = {**os.environ, "PEOPLESYNC_DATABASE_URL": self.db.url}
        env["PEOPLESYNC_SECRET_KEY"] = self.key
        command = [sys.executable, "-m", "peoplesync", "apply", str(self.run_id)]
        command += ["--account", self.name, "--confirm"]
        before = cpu_seconds(resource.RUSAGE_CHILDREN)
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=1800)
        self.worker_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - before

    def pages(self) -> list[str]:
        run = f"/runs/{self.run_id}"
        return [run, f"{run}/status.json", "/history", "/settings/integrations", "/users", ME]


def report(
    label: str, took: float, polled: Polled, *, web_cpu: float, import_cpu: float, clients: str
) -> str:
    ms = [m for _, m in polled.samples]
    p95 = percentile(ms, 0.95)
    verdict = "yes" if p95 < TARGET_MS else "NO"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    share = 100 / (2 * took)  # of the machine's 2 cores
    return (
        f"[{label}] import {took:5.1f} s; {len(ms)} page answers meanwhile: p50 "
        f"{statistics.median(ms):6.1f} ms, p95 {p95:7.1f} ms, max {max(ms):7.1f} ms "
        f"(p95 < {TARGET_MS:.0f} ms: {verdict})\n"
        f"    CPU s: web process {web_cpu:.1f} ({web_cpu * share:.0f}% of 2 cores), import "
        f"{import_cpu:.1f} ({import_cpu * share:.0f}%), {clients} {polled.cpu_seconds:.1f} "
        f"({polled.cpu_seconds * share:.0f}%); load average after {load}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.busy")
    parser.add_argument("--clients", default="8", help="tab counts, e.g. 8,2")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--placement", choices=("both", "here", "apart"), default="both")
    parser.add_argument("--clients-with-server", action="store_true")
    args = parser.parse_args(argv)
    with database(args.database) as db, tempfile.TemporaryDirectory() as tmp:
        migrate(db.engine)
        factory = session_factory(db.engine)
        key, port = Fernet.generate_key().decode(), free_port()
        settings = Settings(
            database_url=db.url,
            secret_key=SecretStr(key),
            queue_sqlite_path=Path(tmp) / "queue.db",
            base_url=f"http://127.0.0.1:{port}",
        )
        web = WebContext(settings=settings, factory=factory, jobs=build_jobs(settings, factory))
        watch = Watch(create_app(web), db.engine)
        where = "in the server's process" if args.clients_with_server else "in their own process"
        print(f"{args.database}, {args.size:,} people; clients {where}", flush=True)
        bench = Bench(args, factory, db, key, watch, settings.base_url)
        with ServerThread(watch, port=port, name="peoplesync-busy-bench"):
            for count in (int(c) for c in args.clients.split(",")):
                for placement in (HERE, APART):
                    if args.placement in ("both", {HERE: "here", APART: "apart"}[placement]):
                        measure(bench, count, placement)


@dataclass(frozen=True)
class Bench:
    """What every measurement shares: the options, the database, the server and its watch."""

    args: argparse.Namespace
    factory: sessionmaker[Session]
    db: Database
    key: str
    watch: Watch
    base: str


def measure(bench: Bench, count: int, placement: str) -> None:
    args, factory, watch = bench.args, bench.factory, bench.watch
    name = f"import {placement}, {count} clients"
    job = Import(factory, bench.db, bench.key, name, *planned(factory, args.size, name))
    add_admin(factory, job.account_id)  # who asks for the pages
    work: Callable[[], None] = job.in_this_process if placement == HERE else job.in_a_worker_process
    pollers = Pollers(bench.base, name, job.pages(), count, with_server=args.clients_with_server)
    time.sleep(2.0)  # the planning's own CPU settles
    cpu: list[float] = []
    spent: list[Spent] = []

    def timed() -> None:  # from the moment the tabs count
        watch.start()
        cpu.append(cpu_seconds(resource.RUSAGE_SELF))
        work()
        cpu.append(cpu_seconds(resource.RUSAGE_SELF))
        spent.extend(watch.stop())

    took, polled = pollers.during(timed)
    web_cpu = cpu[1] - cpu[0]
    if args.clients_with_server:
        web_cpu -= polled.cpu_seconds  # the tabs' threads are in this process
    if placement == HERE:
        web_cpu -= job.worker_cpu  # and so is the import's
    clients = f"{count} client threads"
    print(report(name, took, polled, web_cpu=web_cpu, import_cpu=job.worker_cpu, clients=clients))
    print("\n".join(by_page(polled, spent)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
