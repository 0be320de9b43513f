"""Fetch employees from Merge: a full walk, or what changed since the last fetch started."""

from __future__ import annotations

import gc
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from peoplesync.core.employee import SourceEmployee
from peoplesync.core.issues import Issue
from peoplesync.core.mapping import FieldMapping
from peoplesync.core.perf import gc_paused
from peoplesync.sources.merge.client import EMPLOYEE_EXPAND, MergeClient
from peoplesync.sources.merge.fields import DEFAULT_MAPPING
from peoplesync.sources.merge.mapping import EmployeeMapper, Expected, is_leaver
from peoplesync.sources.merge.shared import SharedObjects

YOUNG_SWEEP_PAGES = 50  # pages between two sweeps of the collector's young generations
PAGES_AHEAD = 2  # pages fetched ahead of the mapping: the next request never waits for it


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class MergeFetch:
    started_at: datetime  # taken before the first page: the next fetch's modified_after
    records: tuple[SourceEmployee, ...]  # live records (mapped, redacted)
    deleted_source_ids: frozenset[str]  # remote_was_deleted, or INACTIVE without a date
    full: bool
    pages: int
    # Waiting for Merge's next page: its requests (and their decoding) run while the page before
    # is mapped (`pages_ahead`), so this is the part of them the mapping did not cover.
    http_seconds: float
    map_seconds: float  # our own work
    decode_seconds: float = 0.0  # decoding the JSON of the pages (beside the mapping)
    issues: tuple[Issue, ...] = ()  # values that could not be read (each costs one field)


def fetch_employees(
    client: MergeClient,
    *,
    modified_after: datetime | None,
    redacted: frozenset[str] = frozenset(),
    expected: Expected = (),
    mapping: FieldMapping = DEFAULT_MAPPING,
    on_page: Callable[[int], None] | None = None,
    clock: Callable[[], datetime] = _utcnow,
    shared: SharedObjects | None = None,
) -> MergeFetch:
    """Every employee (modified after `modified_after`, if given), mapped. With `shared`
    (a full walk's listed relations: sources/merge/shared.py), Merge expands only the
    employments and the rest is put back from `shared`."""
    started_at = clock()
    records: dict[str, SourceEmployee] = {}
    deleted: set[str] = set()
    issues: dict[str, list[Issue]] = {}
    pages, http_s, map_s = 0, 0.0, 0.0
    decoded = client.decode_seconds
    map_employee = EmployeeMapper(redacted=redacted, expected=expected, mapping=mapping)
    # The records pile up (100,000 of them in a large company): the collector's full passes would
    # scan them again every few pages. Paused, it still sweeps the young generations now and
    # then, so the little cyclic garbage a page leaves behind does not pile up too.
    expand = EMPLOYEE_EXPAND if shared is None else shared.walk_expand
    walked = client.iter_employee_pages(modified_after=modified_after, expand=expand)
    with gc_paused(), pages_ahead(walked) as walk:
        while True:
            t0 = time.perf_counter()
            page = next(walk, None)
            t1 = time.perf_counter()
            http_s += t1 - t0
            if page is None:
                break
            pages += 1
            for raw in page:
                if shared is not None:
                    shared.expand(raw, client)
                found: list[Issue] = []
                mapped = map_employee(raw, found)
                merge_id = str(raw["id"])
                issues.pop(merge_id, None)  # a record seen again: its last reading counts
                if mapped is None or is_leaver(raw):
                    deleted.add(merge_id)
                    records.pop(merge_id, None)
                else:
                    if found:
                        issues[merge_id] = found
                    deleted.discard(merge_id)
                    records[merge_id] = mapped  # a record seen twice (overlap): the last one wins
            if pages % YOUNG_SWEEP_PAGES == 0:
                gc.collect(1)
            map_s += time.perf_counter() - t1
            if on_page:
                on_page(len(records))
    return MergeFetch(
        started_at=started_at,
        records=tuple(records.values()),
        deleted_source_ids=frozenset(deleted),
        full=modified_after is None,
        pages=pages,
        http_seconds=http_s,
        map_seconds=map_s,
        decode_seconds=client.decode_seconds - decoded,
        issues=tuple(i for found in issues.values() for i in found),
    )


class pages_ahead:  # noqa: N801 - used as a context manager, as `open` is
    """`walk`'s items fetched ahead in a thread of their own, at most PAGES_AHEAD of them
    waiting: Merge answers the next page while this one is mapped (the thread waits on the
    socket without the interpreter lock). Its errors are raised where the item would have
    come. Leaving the block (an error in the mapping too) stops the thread after the request
    it is in and waits for it, so the client is never closed under it."""

    _END: Any = object()

    def __init__(self, walk: Iterator[Any], depth: int = PAGES_AHEAD) -> None:
        self._walk = walk
        self._queue: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fetch, name="merge-pages", daemon=True)

    def __enter__(self) -> Iterator[Any]:
        self._thread.start()
        return self._items()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _items(self) -> Iterator[Any]:
        while True:
            item, error = self._queue.get()
            if error is not None:
                raise error
            if item is self._END:
                return
            yield item

    def _fetch(self) -> None:
        try:
            for item in self._walk:
                if not self._hand_over(item, None):
                    return
            self._hand_over(self._END, None)
        except BaseException as err:  # handed to the reader, who raises it
            self._hand_over(None, err)
        finally:
            close = getattr(self._walk, "close", None)
            if close is not None:
                close()

    def _hand_over(self, item: Any, error: BaseException | None) -> bool:
        """Wait for room in the queue, unless the reader has gone (False)."""
        while not self._stop.is_set():
            try:
                self._queue.put((item, error), timeout=0.05)
            except queue.Full:
                continue
            return True
        return False
