"""The admin web pages at 100,000 people, over real HTTP against the real app.

A 100,000-person directory (about 4,400 of them former) and a second run planned but not applied
(10,000 updates, 12,000 new hires: a 22,000-item review), then each page is asked for 2 + 20 times
by a signed-in admin (the API with a token). Target: every page answers in < 300 ms (p95).
SQLite in a temp file; PostgreSQL too (a fresh schema) when PEOPLESYNC_BENCH_POSTGRES_URL or
PEOPLESYNC_TEST_POSTGRES_URL names a server.
"""

from __future__ import annotations

import os
import re
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import postgres_schema, sqlite_file
from bench.engine import NOW, TODAY, company, timed
from peoplesync.access import service as access
from peoplesync.access.service import Role
from peoplesync.accounts.service import create_account, get_account
from peoplesync.config import Settings
from peoplesync.core.employee import SourceSnapshot
from peoplesync.jobs.tasks import build_jobs
from peoplesync.runs import service as runs
from peoplesync.serving import ServerThread, free_port
from peoplesync.store.db import migrate, session_factory, unit_of_work
from peoplesync.store.models import Person
from peoplesync.web.app import create_app
from peoplesync.web.context import WebContext

TARGET_MS = 300.0
WARMUPS = 2
SAMPLES = 20
HIRES = 12_000  # page 200 of the "New" tab (50 a page) needs more than 9,950
ADMIN_EMAIL = "admin@bench.example"
PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True, slots=True)
class Fixture:
    """What the pages are asked about: the account, the pending run, one person."""

    account_id: int
    run_id: int
    person_id: str


def first_company() -> SourceSnapshot:
    """100,000 people; one in twenty non-managers (from #12,500 on) left in January."""
    snapshot = company()
    records = tuple(
        r.changed(end_date=TODAY.replace(month=1, day=15)) if i >= 12_500 and i % 20 == 7 else r
        for i, r in enumerate(snapshot.records)
    )
    return replace(snapshot, records=records)


def second_company(snapshot: SourceSnapshot) -> SourceSnapshot:
    """10% change name and title; HIRES join, reporting to existing managers."""
    records = [
        r.changed(name=f"{r.name} Jr", demographics={**r.demographics, "Job Title": "Promoted"})
        if i % 10 == 3
        else r
        for i, r in enumerate(snapshot.records)
    ]
    records.extend(
        snapshot.records[j].changed(
            location=f"new {j}",
            source_id=f"new-{j:07d}",
            employee_id=f"N{j:07d}",
            name=f"Newcomer Number{j}",
            email=f"new.{j}@bench.example",
            end_date=None,
        )
        for j in range(1, HIRES + 1)
    )
    return replace(snapshot, records=tuple(records))


def build(label: str, factory: sessionmaker[Session]) -> Fixture:
    snapshot = first_company()
    with unit_of_work(factory) as session:
        account = create_account(session, f"bench {secrets.token_hex(3)}", now=NOW)
        session.flush()
        run = runs.start_run(session, account, trigger="cli", source_kind="csv", now=NOW)
        _, plan1 = timed(
            lambda: runs.plan_run(session, account, run, snapshot, today=TODAY, now=NOW)
        )
        _, apply1 = timed(lambda: runs.apply_run(session, account, run, now=NOW, confirm=True))
    moved = second_company(snapshot)
    with unit_of_work(factory) as session:
        account = get_account(session, account.id)
        run2 = runs.start_run(session, account, trigger="cli", source_kind="csv", now=NOW)
        outcome, plan2 = timed(
            lambda: runs.plan_run(session, account, run2, moved, today=TODAY, now=NOW)
        )
        counts = dict(run2.counts)
        person_id = session.scalar(select(Person.id).where(Person.source_id == "src-0000013"))
    assert outcome.state.value == "awaiting_review", outcome.state
    assert person_id is not None
    print(
        f"[{label}] setup: first import of 100,000 planned in {plan1:5.2f} s, applied in "
        f"{apply1:5.2f} s; second run ({counts.get('update')} updates, {counts.get('create')} "
        f"new, {counts.get('leave', 0)} leavers) planned and stored in {plan2:5.2f} s"
    )
    return Fixture(account.id, run2.id, person_id)


def add_admin(factory: sessionmaker[Session], account_id: int) -> str:
    """The admin's login, and an API token (returned)."""
    with unit_of_work(factory) as session:
        account = get_account(session, account_id)
        access.create_login(
            session,
            account,
            email=ADMIN_EMAIL,
            name="Bench Admin",
            password=PASSWORD,
            role=Role.ADMIN,
            now=NOW,
        )
        plain, _ = access.create_api_token(session, account, name="bench", actor="bench", now=NOW)
    return plain


def sign_in(client: httpx.Client) -> None:
    form = client.get("/login")
    found = _CSRF.search(form.text)
    assert found is not None, "the login page has no CSRF field"
    data = {"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": found.group(1)}
    response = client.post("/login", data=data)
    assert response.status_code == 303, response.text


@contextmanager
def serving(factory: sessionmaker[Session], folder: Path, url: str) -> Iterator[str]:
    """The real app on a free port of loopback (a queue file, no consumer)."""
    port = free_port()
    settings = Settings(
        database_url=url,
        secret_key=SecretStr(Fernet.generate_key().decode()),
        queue_sqlite_path=folder / "queue.db",
        base_url=f"http://127.0.0.1:{port}",
    )
    web = WebContext(settings=settings, factory=factory, jobs=build_jobs(settings, factory))
    with ServerThread(create_app(web), port=port, name="peoplesync-web-bench"):
        yield settings.base_url


def pages(fx: Fixture) -> list[str]:
    review = f"/runs/{fx.run_id}/review"
    return [
        "/users",
        "/users?q=person+number4242",
        "/users?q=person",  # a prefix every one of the 100,000 has
        "/users?status=former",
        "/users?page=1000",
        f"/users/{fx.person_id}",
        f"{review}?kind=update",
        f"{review}?kind=create&page=200",
        f"{review}?kind=update&q=person+number42",
        f"/runs/{fx.run_id}",
        "/history",
        "/api/v1/people?limit=50",
    ]


def measure(client: httpx.Client, path: str) -> list[float]:
    for _ in range(WARMUPS):
        client.get(path).raise_for_status()
    samples = []
    for _ in range(SAMPLES):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def report(label: str, results: dict[str, list[float]]) -> None:
    width = max(len(p) for p in results)
    print(f"[{label}] {'page':<{width}}  median ms   p95 ms  < {TARGET_MS:.0f} ms")
    for path, samples in results.items():
        median, high = statistics.median(samples), p95(samples)
        verdict = "yes" if high < TARGET_MS else "NO"
        print(f"[{label}] {path:<{width}}  {median:9.1f} {high:8.1f}  {verdict}")


def bench(label: str, engine: Engine, url: str) -> None:
    factory = session_factory(engine)
    _, migrate_s = timed(lambda: migrate(engine))
    print(f"[{label}] setup: migrations {migrate_s:5.2f} s")
    fx = build(label, factory)
    token = add_admin(factory, fx.account_id)
    if engine.dialect.name == "postgresql":
        _, vacuum_s = timed(lambda: vacuum(engine))
        print(
            f"[{label}] setup: VACUUM ANALYZE (what autovacuum does soon after) {vacuum_s:5.2f} s"
        )
    with tempfile.TemporaryDirectory() as tmp, serving(factory, Path(tmp), url) as base:
        keep_alive(label, base)
        with client(base) as browser:
            sign_in(browser)
            results = {p: measure(browser, p) for p in pages(fx) if not p.startswith("/api/")}
        with client(base, {"Authorization": f"Bearer {token}"}) as api:
            results |= {p: measure(api, p) for p in pages(fx) if p.startswith("/api/")}
    report(label, results)


def vacuum(engine: Engine) -> None:
    """The steady state after a bulk import: statistics and the visibility map are current."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def client(base: str, headers: dict[str, str] | None = None) -> httpx.Client:
    """A new connection per request (see `keep_alive`): the figures are the server's work."""
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.Client(base_url=base, timeout=60, limits=limits, headers=headers)


def keep_alive(label: str, base: str) -> None:
    """ServerThread's socket is made with proto 0, so asyncio never sets TCP_NODELAY on its
    connections: on a kept-alive one the response body waits ~40 ms for the delayed ACK."""
    with httpx.Client(base_url=base, timeout=60) as kept, client(base) as fresh:
        warm, new = (
            statistics.median(measure(kept, "/login")),
            statistics.median(measure(fresh, "/login")),
        )
    print(
        f"[{label}] transport: GET /login {warm:5.1f} ms on a kept-alive connection, "
        f"{new:5.1f} ms on a new one (the figures below use new ones)"
    )


def bench_sqlite() -> None:
    with sqlite_file() as engine:
        bench("SQLite", engine, str(engine.url))


def bench_postgres(url: str) -> None:
    with postgres_schema(url) as engine:
        bench("PostgreSQL", engine, url)


def main() -> None:
    bench_sqlite()
    # `make bench` exports the test server's URL; a separate one may be named for benchmarks.
    url = os.environ.get("PEOPLESYNC_BENCH_POSTGRES_URL") or os.environ.get(
        "PEOPLESYNC_TEST_POSTGRES_URL"
    )
    if url:
        bench_postgres(url)
    else:
        print("[PostgreSQL] skipped: set PEOPLESYNC_TEST_POSTGRES_URL to run it")


if __name__ == "__main__":
    main()
