"""Pages while an import runs (issue 18): the admin pages answer while a 100,000-person first
import is applied, with the import in the web server's own process (threads: the embedded default
before this round) and in a process of its own (`serve`'s supervised worker now).

    python -m bench busy [--clients 8] [--size 100000]

For each placement: a first import of `size` people is planned (not timed), then applied while
`clients` threads ask for the pages in turn (a new connection each time, as `bench.web` does) until
the import ends. Prints the import's time, and the pages' p50 / p95 / max against the 300 ms target.
SQLite in a temp file (the embedded default).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from bench.engine import NOW, TODAY, company
from bench.web import _CSRF, ADMIN_EMAIL, PASSWORD, TARGET_MS, add_admin, client
from peoplesync.accounts.service import create_account, get_account
from peoplesync.config import Settings
from peoplesync.jobs.tasks import build_jobs
from peoplesync.runs import service as runs
from peoplesync.serving import ServerThread, free_port
from peoplesync.store.db import make_engine, migrate, session_factory, unit_of_work
from peoplesync.web.app import create_app
from peoplesync.web.context import WebContext

HERE = "in the web process"


def planned(factory: sessionmaker[Session], size: int, name: str) -> tuple[int, int]:
    """An account with a first import of `size` people planned, waiting for review."""
    snapshot = company(size)
    with unit_of_work(factory) as session:
        account = create_account(session, name, now=NOW)
        session.flush()
        run = runs.start_run(session, account, trigger="cli", source_kind="csv", now=NOW)
        runs.plan_run(session, account, run, snapshot, today=TODAY, now=NOW)
        return account.id, run.id


def sign_in(browser: httpx.Client, account: str) -> None:
    form = browser.get("/login")
    found = _CSRF.search(form.text)
    assert found is not None, "the login page has no CSRF field"
    data = {"account": account, "email": ADMIN_EMAIL, "password": PASSWORD}
    answer = browser.post("/login", data={**data, "csrf_token": found.group(1)})
    assert answer.status_code == 303, answer.text


def poll(base: str, paths: list[str], stop: threading.Event, found: list[float]) -> None:
    with client(base) as browser:
        sign_in(browser, HERE)
        while not stop.is_set():
            for path in paths:
                started = time.perf_counter()
                browser.get(path).raise_for_status()
                found.append((time.perf_counter() - started) * 1000)


def measure(
    base: str, paths: list[str], clients: int, work: Callable[[], None]
) -> tuple[float, list[float]]:
    stop, found = threading.Event(), list[float]()
    pollers = [
        threading.Thread(target=poll, args=(base, paths, stop, found), daemon=True)
        for _ in range(clients)
    ]
    for poller in pollers:
        poller.start()
    time.sleep(1.0)  # the pollers are signed in and asking
    found.clear()
    started = time.perf_counter()
    work()
    took = time.perf_counter() - started
    stop.set()
    for poller in pollers:
        poller.join(timeout=60)
    return took, list(found)


def line(label: str, took: float, samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[int(0.95 * (len(samples) - 1))]
    verdict = "yes" if p95 < TARGET_MS else "NO"
    return (
        f"[{label}] import {took:5.1f} s; {len(samples)} page answers meanwhile: p50 "
        f"{statistics.median(samples):6.1f} ms, p95 {p95:7.1f} ms, max {samples[-1]:7.1f} ms "
        f"(p95 < {TARGET_MS:.0f} ms: {verdict})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench busy")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'busy.db'}"
        key = Fernet.generate_key().decode()
        engine = make_engine(url)
        migrate(engine)
        factory = session_factory(engine)
        here = planned(factory, args.size, HERE)
        apart = planned(factory, args.size, "in a worker process")
        add_admin(factory, here[0])  # who asks for the pages
        port = free_port()
        settings = Settings(
            database_url=url,
            secret_key=SecretStr(key),
            queue_sqlite_path=folder / "queue.db",
            base_url=f"http://127.0.0.1:{port}",
        )
        web = WebContext(settings=settings, factory=factory, jobs=build_jobs(settings, factory))
        paths = [f"/runs/{here[1]}", "/history", "/settings/integrations", "/users", "/api/v1/me"]

        def in_this_process() -> None:
            with unit_of_work(factory) as session:
                account = get_account(session, here[0])
                run = runs.get_run(session, here[0], here[1])
                runs.apply_run(session, account, run, now=NOW, confirm=True)

        def in_a_worker_process() -> None:
            env = {**os.environ, "PEOPLESYNC_DATABASE_URL": url, "PEOPLESYNC_SECRET_KEY": key}
            command = [sys.executable, "-m", "peoplesync", "apply", str(apart[1])]
            command += ["--account", "in a worker process", "--confirm"]
            subprocess.run(command, env=env, check=True, capture_output=True, timeout=1800)

        with ServerThread(create_app(web), port=port, name="peoplesync-busy-bench"):
            for label, work in (
                ("import in the web process", in_this_process),
                ("import in its own process", in_a_worker_process),
            ):
                took, samples = measure(settings.base_url, paths, args.clients, work)
                print(line(label, took, samples), flush=True)
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
