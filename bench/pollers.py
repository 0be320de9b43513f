"""The browser tabs of `bench.busy`, and where a page's time went on the server.

`Pollers` are client threads asking for pages over real HTTP (a new connection each time), in a
process of their own by default (as browsers are: they share the machine's CPU with the server,
not its interpreter lock) or in the server's process (`with_server=True`, how the bench measured
before). Each thread counts its own CPU time, so the clients' share of the machine is stated.

`Watch` is an ASGI wrapper and two statement listeners on the server's engine: for each request,
the time the server spent on it, the time its SQL statements took, and the part of that spent in
`BEGIN` (on SQLite a `BEGIN IMMEDIATE` waits there, up to the busy timeout, for another
connection's write lock).
"""

from __future__ import annotations

import multiprocessing
import re
import statistics
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import Engine, event

from bench.web import _CSRF, ADMIN_EMAIL, PASSWORD, client

Sample = tuple[str, float]  # (page, milliseconds)


def page_of(path: str) -> str:
    """`/runs/12/status.json` -> `/runs/{id}/status.json`: one label per page, not per run."""
    return re.sub(r"/\d+", "/{id}", path.partition("?")[0])


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[int(share * (len(ordered) - 1))]


def sign_in(browser: httpx.Client, account: str) -> None:
    form = browser.get("/login")
    found = _CSRF.search(form.text)
    assert found is not None, "the login page has no CSRF field"
    data = {"account": account, "email": ADMIN_EMAIL, "password": PASSWORD}
    answer = browser.post("/login", data={**data, "csrf_token": found.group(1)})
    assert answer.status_code == 303, answer.text


@dataclass
class Polled:
    """What the clients saw while the work ran, and the CPU seconds their threads used."""

    samples: list[Sample] = field(default_factory=list)
    thread_cpu: list[float] = field(default_factory=list)  # seconds, one per tab

    @property
    def cpu_seconds(self) -> float:
        return sum(self.thread_cpu)


@dataclass(frozen=True)
class Signals:
    """Between the bench and its tabs: each tab releases `ready` once signed in; they ask from
    `go` on, count what they ask once `counting` is set (the work has started), until `stop`."""

    ready: Any
    go: Any
    counting: Any
    stop: Any

    @classmethod
    def make(cls, kind: Any) -> Signals:
        return cls(kind.Semaphore(0), kind.Event(), kind.Event(), kind.Event())


def _tab(base: str, account: str, paths: list[str], signals: Signals, out: Polled) -> None:
    with client(base) as browser:
        sign_in(browser, account)
        signals.ready.release()
        signals.go.wait()
        found: list[Sample] = []
        cpu = 0.0
        while not signals.stop.is_set():
            for path in paths:
                counted = signals.counting.is_set()
                if counted and not cpu:
                    cpu = time.thread_time()
                started = time.perf_counter()
                browser.get(path).raise_for_status()
                if counted:
                    found.append((page_of(path), (time.perf_counter() - started) * 1000))
        out.samples.extend(found)  # extend and append are atomic under the interpreter lock
        out.thread_cpu.append(time.thread_time() - cpu if cpu else 0.0)


def _tabs(base: str, account: str, paths: list[str], count: int, signals: Signals) -> Polled:
    out = Polled()
    threads = [
        threading.Thread(target=_tab, args=(base, account, paths, signals, out))
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


Asked = tuple[str, str, list[str], int]  # (base URL, account, paths, tabs)


def _child(asked: Asked, signals: Signals, results: Any) -> None:
    polled = _tabs(*asked, signals)
    results.put((polled.samples, polled.thread_cpu))


class Pollers:
    """`count` tabs signed in to `account`, asking for `paths` while `during(work)` runs."""

    def __init__(
        self, base: str, account: str, paths: list[str], count: int, *, with_server: bool
    ) -> None:
        self.args: Asked = (base, account, paths, count)
        self.count = count
        self.with_server = with_server

    def during(self, work: Callable[[], None]) -> tuple[float, Polled]:
        """Runs `work` once every tab is signed in and asking; its seconds and what they saw."""
        if self.with_server:
            signals = Signals.make(threading)
            box: list[Polled] = []
            runner = threading.Thread(
                target=lambda: box.append(_tabs(*self.args, signals)), daemon=True
            )
            runner.start()
            took = self._run(work, signals)
            runner.join(timeout=120)
            return took, box[0]
        spawn = multiprocessing.get_context("spawn")
        signals, results = Signals.make(spawn), spawn.Queue()
        child = spawn.Process(target=_child, args=(self.args, signals, results))
        child.start()
        took = self._run(work, signals)
        samples, cpu = results.get(timeout=120)
        child.join(timeout=30)
        return took, Polled(samples, cpu)

    def _run(self, work: Callable[[], None], signals: Signals) -> float:
        for _ in range(self.count):
            signals.ready.acquire(timeout=120)
        signals.go.set()
        time.sleep(1.0)  # the tabs are asking before the work starts
        signals.counting.set()
        started = time.perf_counter()
        try:
            work()
        finally:
            signals.stop.set()
        return time.perf_counter() - started


@dataclass
class Spent:
    """One request's time on the server: all of it, its statements', and waiting at BEGIN."""

    page: str
    server_ms: float = 0.0
    sql_ms: float = 0.0
    begin_ms: float = 0.0


_SPENT: ContextVar[Spent | None] = ContextVar("bench_busy_spent", default=None)


class Watch:
    """Wraps the app (ASGI) and listens to the engine's statements; `seen` is every request's
    Spent, from `start()` on. FastAPI runs a plain `def` route and its dependencies in a thread
    with a copy of the request's context, so the statements find their request's Spent."""

    def __init__(self, app: Any, engine: Engine) -> None:
        self.app = app
        self.seen: list[Spent] = []
        self.on = False
        self._listen(engine)

    def start(self) -> None:
        self.seen.clear()
        self.on = True

    def stop(self) -> list[Spent]:
        self.on = False
        return list(self.seen)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        spent = Spent(page_of(str(scope["path"])))
        token = _SPENT.set(spent)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            _SPENT.reset(token)
            spent.server_ms = (time.perf_counter() - started) * 1000
            if self.on:
                self.seen.append(spent)

    @staticmethod
    def _listen(engine: Engine) -> None:
        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn: Any, *_: Any) -> None:
            conn.info["bench_busy_started"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            spent = _SPENT.get()
            if spent is None:
                return
            ms = (time.perf_counter() - conn.info.pop("bench_busy_started")) * 1000
            spent.sql_ms += ms
            if statement.lstrip().upper().startswith("BEGIN"):
                spent.begin_ms += ms


def by_page(polled: Polled, spent: list[Spent]) -> list[str]:
    """Per page: the clients' p50/p95/max, and the server's p95 for the whole request, its
    statements and its wait at BEGIN (the worst wait too)."""
    lines = [
        f"    {'page':<26} {'n':>5} {'p50':>7} {'p95':>8} {'max':>8} | server p95 "
        f"{'sql p95':>8} {'BEGIN p95':>9} {'BEGIN max':>9}  (ms)"
    ]
    for page in sorted({p for p, _ in polled.samples}):
        ms = [m for p, m in polled.samples if p == page]
        mine = [s for s in spent if s.page == page] or [Spent(page)]
        server = percentile([s.server_ms for s in mine], 0.95)
        sql = percentile([s.sql_ms for s in mine], 0.95)
        begin = [s.begin_ms for s in mine]
        lines.append(
            f"    {page:<26} {len(ms):>5} {statistics.median(ms):>7.1f} "
            f"{percentile(ms, 0.95):>8.1f} {max(ms):>8.1f} | {server:>10.1f} {sql:>8.1f} "
            f"{percentile(begin, 0.95):>9.1f} {max(begin):>9.1f}"
        )
    return lines
