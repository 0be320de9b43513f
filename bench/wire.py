"""The wire of a first fetch, apart from us: the sandbox serving a company's pages to a bare client,
beside the bare transport of the same bytes (issue 16: within 3x), and what the client's decode and
the expanded relations add.

    serve      1,000 pages of 100,000 employees from the sandbox (built and encoded when the
               company was created, as Merge has its data stored), as a full walk asks for them
               (expand=employments), to a client that only reads the bytes and the next cursor
    transport  the same bytes, pre-encoded, from a minimal HTTP server (the floor), to the same
               client; the two are timed in turns (ROUNDS of each) and the medians compared, as
               this host's speed drifts by 2x within minutes
    decode     orjson over the same bytes, and the standard library's json for comparison
    bytes      what each relation costs of a page's bytes when Merge expands it (a full walk
               has only the employments expanded and lists the rest once: sources/merge/shared.py)

    python -m bench.wire [size]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson

from bench.hris import sandbox_process, stored_company
from peoplesync.sandbox import DEFAULT_API_KEY, SandboxControl
from peoplesync.serving import free_port
from peoplesync.sources.merge.client import EMPLOYEE_EXPAND
from peoplesync.sources.merge.shared import WALK_EXPAND

PAGE_SIZE = 100
ROUNDS = 5

# A minimal HTTP server (the standard library's) serving /<n> as the n-th pre-encoded page.
TRANSPORT_SERVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
pages = open(sys.argv[1], "rb").read().split(b"\\n")
class Pages(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = pages[int(self.path[1:])]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Pages).serve_forever()
"""


def next_cursor(page: bytes) -> str | None:
    """The `next` cursor of a page, read off its head (the sandbox writes `next` first)."""
    head = page[:200]
    if head.startswith(b'{"next":null'):
        return None
    start = head.index(b'"next":"') + 8
    return head[start : head.index(b'"', start)].decode()


def fetch_pages(
    base_url: str, token: str, expand: str, *, keep: bool = True
) -> tuple[list[bytes], float]:
    """Every page of employees, as bytes (none unless `keep`), and the seconds it took. A timed
    fetch keeps nothing, as the transport's does not: holding 400 MB of pages makes the
    client's allocator, not the server, the figure."""
    headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}", "X-Account-Token": token}
    pages: list[bytes] = []
    params = {"page_size": str(PAGE_SIZE), "expand": expand, "include_deleted_data": "true"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        started = time.perf_counter()
        cursor: str | None = None
        while True:
            more = {"cursor": cursor} if cursor else {}
            response = http.get("/hris/v1/employees", params={**params, **more})
            response.raise_for_status()
            if keep:
                pages.append(response.content)
            cursor = next_cursor(response.content)
            if cursor is None:
                return pages, time.perf_counter() - started


@contextmanager
def transport_server(pages: list[bytes]) -> Iterator[Callable[[], float]]:
    """A minimal server of the same pages, pre-encoded: yields a timer of one fetch of all."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        stored = Path(tmp) / "pages"
        stored.write_bytes(b"\n".join(pages))
        command = [sys.executable, "-c", TRANSPORT_SERVER, str(stored), str(port)]
        server = subprocess.Popen(command)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
                _wait(http)

                def fetch_all() -> None:
                    for n in range(len(pages)):
                        http.get(f"/{n}").raise_for_status()

                yield lambda: timed(fetch_all)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait(http: httpx.Client) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            http.get("/0")
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _seconds(figures: list[float]) -> str:
    return " ".join(f"{figure:.2f}" for figure in figures)


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def relation_bytes(base_url: str, token: str) -> str:
    """Each expanded relation's share of a page's bytes (and `manager`, which is not asked)."""
    pages = {}
    for expand in ("", EMPLOYEE_EXPAND, EMPLOYEE_EXPAND + ",manager"):
        headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}", "X-Account-Token": token}
        params = {"page_size": str(PAGE_SIZE), "expand": expand}
        response = httpx.get(
            base_url + "/hris/v1/employees", params=params, headers=headers, timeout=60
        )
        pages[expand] = orjson.loads(response.content)["results"]
    full = pages[EMPLOYEE_EXPAND + ",manager"]
    total = len(orjson.dumps(full))
    shares = []
    for relation in [*EMPLOYEE_EXPAND.split(","), "manager"]:
        # The relation as a plain id (what the record carries without expanding it).
        plain = {r["id"]: r[relation] for r in pages[""]}
        lean = [{**r, relation: plain[r["id"]]} for r in full]
        shares.append(f"{relation} {100 * (total - len(orjson.dumps(lean))) / total:.0f}%")
    return ", ".join(shares)


def main(size: int = 100_000) -> None:
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")
    with sandbox_process() as (base_url, _):
        control = SandboxControl(base_url.removesuffix("/api"), timeout=600)
        started = time.perf_counter()
        company = stored_company(control, size)
        built = time.perf_counter() - started
        control.close()
        token = company.account_token
        pages, first = fetch_pages(base_url, token, WALK_EXPAND)
        shares = relation_bytes(base_url, token)
        serves, floors = [], []
        with transport_server(pages) as transport:
            for _ in range(ROUNDS):
                serves.append(fetch_pages(base_url, token, WALK_EXPAND, keep=False)[1])
                floors.append(transport())
    served, floor = statistics.median(serves), statistics.median(floors)
    megabytes = sum(map(len, pages)) / 1e6
    # Page by page, each page dropped before the next (as the client does): kept all at once,
    # ten million decoded objects make the collector, not the decoder, the figure.
    fast = timed(lambda: deque(map(orjson.loads, pages), maxlen=0))
    slow = timed(lambda: deque(map(json.loads, pages), maxlen=0))
    print(
        f"sandbox serving {len(pages):,} pages of {size:,} employees ({megabytes:.0f} MB, "
        f"expand={WALK_EXPAND}): {served:5.2f} s; the transport of the same bytes "
        f"{floor:5.2f} s = {served / floor:4.2f}x (target < 3x; medians of {ROUNDS} in turns: "
        f"serve {_seconds(serves)}, transport {_seconds(floors)}); the company built and encoded "
        f"at creation in {built:5.1f} s, its first fetch (pages kept) {first:5.2f} s"
    )
    print(f"decode of those pages: orjson {fast:5.2f} s, json {slow:5.2f} s")
    print(f"share of a page's bytes by relation, had Merge expanded it: {shares}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if sys.argv[1:] else 100_000)
