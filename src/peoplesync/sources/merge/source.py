"""Merge's HRIS API as a `Source`: a linked account's employees, all of them or what changed."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

from peoplesync.core.employee import SourceSnapshot
from peoplesync.core.fields import CORE_FIELDS
from peoplesync.core.mapping import FieldMapping
from peoplesync.sources.base import SourceBatch
from peoplesync.sources.merge.client import MergeClient
from peoplesync.sources.merge.fetch import fetch_employees
from peoplesync.sources.merge.fields import BY_KEY, DEFAULT_MAPPING
from peoplesync.sources.merge.mapping import expected_keys, provided_fields
from peoplesync.sources.merge.shared import SharedObjects
from peoplesync.sources.merge.windows import earliest_created, fetch_windows, window_bounds


class MergeSource:
    """One read of a linked account: every employee (`modified_after` None), or those changed
    since then. The client is closed when the read ends."""

    kind = "merge"

    def __init__(
        self,
        client: MergeClient,
        *,
        name: str,
        supported: Collection[str] | None,
        redacted: frozenset[str],
        modified_after: datetime | None,
        windows: int = 1,
        client_for: Callable[[], MergeClient] | None = None,
        mapping: FieldMapping = DEFAULT_MAPPING,
    ) -> None:
        """`windows` > 1 with `client_for` (clients sharing one pacer): a full read walks that
        many `created_at` windows at once (`sources.merge.windows`). `mapping`: which fields
        become which demographics, and who is excluded (core/mapping.py)."""
        self.client = client
        self._walk: Any = None  # the windowed walk under way (for `estimate`)
        self.windows = windows if client_for is not None else 1
        self.client_for = client_for
        self.name = name
        self.redacted = redacted
        self.modified_after = modified_after
        self.mapping = mapping
        self.basis = basis(supported, redacted, mapping)

    def _follow(self, walk: Any) -> None:
        self._walk = walk

    def estimate(self) -> dict[str, float]:
        """How far a windowed first read has got and the seconds left (when it is one), and how
        long the read has waited on Merge's rate limit (its budget's pacing and 429s)."""
        walk = self._walk
        found = {} if walk is None else dict(walk.estimate())
        pacer = self.client.pacer
        limited = self.client.rate_limited_seconds + (pacer.waited_seconds if pacer else 0.0)
        if limited:
            found["rate_limited_seconds"] = round(limited, 1)
        return found

    def _compared(self) -> dict[str, str]:
        """The mapped fields whose demographics this sync compares."""
        names = self.basis.demographic_names
        return {k: n for k, n in self.mapping.mapped().items() if n in names}

    def read(self, on_progress: Callable[[int], None] | None = None) -> SourceBatch:
        expected = expected_keys(self.basis.provided, self._compared())
        with self.client:
            listed = time.perf_counter()
            # A full walk lists the relations every employee shares once (sources/merge/shared.py).
            shared = SharedObjects.fetch(self.client) if self.modified_after is None else None
            listed = time.perf_counter() - listed
            if self.modified_after is None and self.windows > 1 and self.client_for is not None:
                started_at = datetime.now(UTC)
                since = earliest_created(self.client)
                bounds = window_bounds(since, started_at, self.windows) if since else None
                fetched = fetch_windows(
                    self.client_for,
                    bounds or [(None, None)],
                    redacted=self.redacted,
                    expected=expected,
                    mapping=self.mapping,
                    on_page=on_progress,
                    started_at=started_at,
                    since=since,
                    progress=self._follow,
                    shared=shared,
                )
            else:
                fetched = fetch_employees(
                    self.client,
                    modified_after=self.modified_after,
                    redacted=self.redacted,
                    expected=expected,
                    mapping=self.mapping,
                    on_page=on_progress,
                    shared=shared,
                )
        snapshot = SourceSnapshot(
            records=fetched.records,
            provided=self.basis.provided,
            demographic_names=self.basis.demographic_names,
            complete=fetched.full,
            kind=self.kind,
        )
        timings = {
            "http": fetched.http_seconds + listed,
            "decode": fetched.decode_seconds,
            "map": fetched.map_seconds,
            "pages": float(fetched.pages),
        }
        return SourceBatch(
            snapshot,
            issues=fetched.issues,
            deleted=fetched.deleted_source_ids,
            started_at=fetched.started_at,
            timings=timings,
        )


def basis(
    supported: Collection[str] | None,
    redacted: frozenset[str],
    mapping: FieldMapping = DEFAULT_MAPPING,
) -> SourceSnapshot:
    """What a sync of this provider compares (the core fields it supports and the demographics
    its mapping fills, less the redacted ones), as a snapshot still without records.
    `supported` is Merge's `available-actions` list of Employee fields (None: unknown, so all
    of them); a custom field is compared whenever it is mapped."""
    provided = provided_fields(supported) - redacted
    demographics = frozenset(
        name
        for key, name in mapping.mapped().items()
        if name not in redacted and _fills(key, supported)
    )
    return SourceSnapshot(
        records=(),
        provided=provided & frozenset(CORE_FIELDS),
        demographic_names=demographics,
        complete=True,
        kind=MergeSource.kind,
    )


def _fills(key: str, supported: Collection[str] | None) -> bool:
    field = BY_KEY.get(key)
    if field is None or supported is None:
        return True
    return any(f in supported for f in field.merge_fields)
