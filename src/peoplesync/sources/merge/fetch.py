"""Fetch employees from Merge: a full walk, or what changed since the last fetch started."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from peoplesync.core.employee import SourceEmployee
from peoplesync.core.issues import Issue
from peoplesync.core.mapping import FieldMapping
from peoplesync.core.perf import gc_paused
from peoplesync.sources.merge.client import MergeClient
from peoplesync.sources.merge.fields import DEFAULT_MAPPING
from peoplesync.sources.merge.mapping import EmployeeMapper, Expected, is_leaver

YOUNG_SWEEP_PAGES = 50  # pages between two sweeps of the collector's young generations


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class MergeFetch:
    started_at: datetime  # taken before the first page: the next fetch's modified_after
    records: tuple[SourceEmployee, ...]  # live records (mapped, redacted)
    deleted_source_ids: frozenset[str]  # remote_was_deleted, or INACTIVE without a date
    full: bool
    pages: int
    http_seconds: float  # waiting on Merge (and decoding its answers)
    map_seconds: float  # our own work
    decode_seconds: float = 0.0  # of http_seconds: decoding the JSON of the pages
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
) -> MergeFetch:
    started_at = clock()
    records: dict[str, SourceEmployee] = {}
    deleted: set[str] = set()
    issues: dict[str, list[Issue]] = {}
    pages, http_s, map_s = 0, 0.0, 0.0
    decoded = client.decode_seconds
    walk = client.iter_employee_pages(modified_after=modified_after)
    map_employee = EmployeeMapper(redacted=redacted, expected=expected, mapping=mapping)
    # The records pile up (100,000 of them in a large company): the collector's full passes would
    # scan them again every few pages. Paused, it still sweeps the young generations now and
    # then, so the little cyclic garbage a page leaves behind does not pile up too.
    with gc_paused():
        while True:
            t0 = time.perf_counter()
            page = next(walk, None)
            t1 = time.perf_counter()
            http_s += t1 - t0
            if page is None:
                break
            pages += 1
            for raw in page:
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
