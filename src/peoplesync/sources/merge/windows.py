"""A first sync that uses the whole rate budget: several cursors at once.

One cursor is sequential: 1,000 pages at 300 ms each take 300 s, though a budget of 600 requests a
minute allows 10 pages a second. So a full fetch walks several disjoint `created_after` /
`created_before` windows at once, each with its own cursor (and client), all waiting on one
`Pacer` of the account's budget. The windows split the time since the linked account's first
sync began (Merge's `created_at` is when *Merge* created the object: an initial sync creates the
whole company); the first is open below and the last above, so every employee falls in one,
and neighbours overlap by a millisecond (Merge does not say whether the bounds are strict): a
record seen twice is the same record. The walks are merged and de-duplicated by id, and the
result is all or nothing: one window's failure fails the fetch (and stops the others).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from peoplesync.core.employee import SourceEmployee
from peoplesync.core.issues import Issue
from peoplesync.core.mapping import FieldMapping
from peoplesync.sources.merge.client import EMPLOYEE_EXPAND, MergeClient
from peoplesync.sources.merge.dates import sort_moment
from peoplesync.sources.merge.fetch import MergeFetch
from peoplesync.sources.merge.fields import DEFAULT_MAPPING
from peoplesync.sources.merge.mapping import EmployeeMapper, Expected, is_leaver
from peoplesync.sources.merge.shared import SharedObjects

Window = tuple[datetime | None, datetime | None]  # (created_after, created_before)
OVERLAP = timedelta(milliseconds=1)
MIN_SHARE_FOR_ESTIMATE = 0.02  # before that, an estimate of the time left is noise


SLOW_PAGE_SECONDS = 0.5  # what a Merge page may take: enough cursors to keep the budget busy


def windows_for(per_minute: int | None, windows: int | None = None) -> int:
    """How many windows a first read walks: `windows` if set; else as many as the budget keeps
    busy at SLOW_PAGE_SECONDS a page (600 a minute: 5), and one without a budget (more cursors
    would only meet 429s sooner)."""
    if windows is not None:
        return max(1, windows)
    if per_minute is None:
        return 1
    return max(1, math.ceil(per_minute / 60 * SLOW_PAGE_SECONDS))


def earliest_created(client: MergeClient) -> datetime | None:
    """Where the windows start: the earliest `created_at` on the first page of a plain walk
    (one request). Only the windows' balance depends on it, never what they cover."""
    first = next(client.iter_employee_pages(), [])
    found = [sort_moment(r.get("created_at")) for r in first]
    live = [moment for moment in found if moment.year > 1]
    return min(live, default=None)


def window_bounds(start: datetime, end: datetime, count: int) -> list[Window]:
    """`count` windows over [start, end], open at both ends, neighbours overlapping."""
    if count <= 1 or end <= start:
        return [(None, None)]
    step = (end - start) / count
    cuts = [start + step * i for i in range(1, count)]
    lows: list[datetime | None] = [None, *(c - OVERLAP for c in cuts)]
    highs: list[datetime | None] = [*(c + OVERLAP for c in cuts), None]
    return list(zip(lows, highs, strict=True))


class _CancelledError(Exception):
    """Another window failed: this one stops at its next page."""


class _Walk:
    """What the windows found, merged under a lock; with how far each window has got, for an
    estimate of the time left (a window's records come in `created_at` order, as the sandbox
    serves them; where they do not, the estimate is rough, never the result)."""

    def __init__(
        self,
        on_page: Callable[[int], None] | None,
        spans: Sequence[tuple[datetime, datetime]],
    ) -> None:
        self.spans = spans
        self.reached = [lo for lo, _hi in spans]
        self.started = time.monotonic()
        self.records: dict[str, SourceEmployee] = {}
        self.deleted: set[str] = set()
        self.issues: dict[str, list[Issue]] = {}
        self.pages = 0
        self.failed = threading.Event()
        self.lock = threading.Lock()
        self.reporting = threading.Lock()
        self.on_page = on_page

    def add(
        self,
        index: int,
        page: Sequence[dict[str, Any]],
        map_employee: EmployeeMapper,
        shared: tuple[SharedObjects, MergeClient] | None = None,
    ) -> None:
        mapped = []
        for raw in page:
            if shared is not None:
                shared[0].expand(raw, shared[1])
            found: list[Issue] = []
            record = map_employee(raw, found)
            mapped.append((str(raw["id"]), None if is_leaver(raw) else record, found))
        created = [sort_moment(raw.get("created_at")) for raw in page]
        with self.lock:
            self.pages += 1
            self.reached[index] = max([self.reached[index], *created])
            for merge_id, record, found in mapped:
                if record is None:
                    self.deleted.add(merge_id)
                    self.records.pop(merge_id, None)
                    self.issues.pop(merge_id, None)
                elif merge_id not in self.deleted:
                    self.records[merge_id] = record
                    if found:
                        self.issues[merge_id] = found
            count = len(self.records)
        if self.on_page is not None:
            with self.reporting:  # one report at a time, outside the lock `estimate` takes
                self.on_page(count)

    def done(self, index: int) -> None:
        with self.lock:
            self.reached[index] = self.spans[index][1]

    def estimate(self) -> dict[str, float]:
        """The share of the windows walked, and the seconds left at the pace so far."""
        with self.lock:
            shares = [
                min(1.0, max(0.0, (reached - lo) / (hi - lo))) if hi > lo else 1.0
                for reached, (lo, hi) in zip(self.reached, self.spans, strict=True)
            ]
        share = sum(shares) / len(shares) if shares else 0.0
        elapsed = time.monotonic() - self.started
        found = {"share_done": round(share, 3)}
        if share >= MIN_SHARE_FOR_ESTIMATE:
            found["seconds_left"] = round(elapsed * (1 - share) / share, 1)
        return found


def fetch_windows(
    client_for: Callable[[], MergeClient],
    windows: Sequence[Window],
    *,
    redacted: frozenset[str] = frozenset(),
    expected: Expected = (),
    mapping: FieldMapping = DEFAULT_MAPPING,
    on_page: Callable[[int], None] | None = None,
    started_at: datetime,
    since: datetime | None = None,
    progress: Callable[[_Walk], None] | None = None,
    shared: SharedObjects | None = None,
) -> MergeFetch:
    """Every employee, walked in `windows` at once (one client each, built by `client_for`,
    which should share one pacer). `progress` is handed the walk (its `estimate()`). With
    `shared`, Merge expands only the employments (sources/merge/shared.py)."""
    low = since or started_at
    walk = _Walk(on_page, [(lo or low, hi or started_at) for lo, hi in windows])
    if progress is not None:
        progress(walk)
    http = [0.0] * len(windows)
    decode = [0.0] * len(windows)
    mapper = EmployeeMapper(redacted=redacted, expected=expected, mapping=mapping)
    t0 = time.perf_counter()

    def run(index: int, window: Window) -> None:
        with client_for() as client:
            try:
                pages = client.iter_employee_pages(
                    created_after=window[0],
                    created_before=window[1],
                    expand=EMPLOYEE_EXPAND if shared is None else shared.walk_expand,
                )
                with_shared = None if shared is None else (shared, client)
                for page in pages:
                    if walk.failed.is_set():
                        raise _CancelledError
                    walk.add(index, page, mapper, with_shared)
                walk.done(index)
            except _CancelledError:
                return
            except BaseException:
                walk.failed.set()
                raise
            finally:
                http[index] = client.http_seconds
                decode[index] = client.decode_seconds

    with ThreadPoolExecutor(max_workers=len(windows), thread_name_prefix="merge-window") as pool:
        futures = [pool.submit(run, i, w) for i, w in enumerate(windows)]
        errors = [f.exception() for f in futures]
    first = next((e for e in errors if e is not None), None)
    if first is not None:
        raise first
    wall = time.perf_counter() - t0
    return MergeFetch(
        started_at=started_at,
        records=tuple(walk.records.values()),
        deleted_source_ids=frozenset(walk.deleted),
        full=True,
        pages=walk.pages,
        http_seconds=min(wall, max(http, default=0.0)),
        map_seconds=max(0.0, wall - max(http, default=0.0)),
        decode_seconds=sum(decode),  # CPU work: the windows' decodes do not overlap
        issues=tuple(i for found in walk.issues.values() for i in found),
    )
