"""Merge's HRIS API as a `Source`: a linked account's employees, all of them or what changed."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from peoplesync.core.employee import SourceSnapshot
from peoplesync.core.fields import CORE_FIELDS
from peoplesync.sources.base import SourceBatch
from peoplesync.sources.merge.client import MergeClient
from peoplesync.sources.merge.fetch import fetch_employees
from peoplesync.sources.merge.mapping import (
    DEMOGRAPHIC_SOURCES,
    expected_keys,
    provided_fields,
)


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
    ) -> None:
        self.client = client
        self.name = name
        self.redacted = redacted
        self.modified_after = modified_after
        self.basis = basis(supported, redacted)

    def read(self, on_progress: Callable[[int], None] | None = None) -> SourceBatch:
        with self.client:
            fetched = fetch_employees(
                self.client,
                modified_after=self.modified_after,
                redacted=self.redacted,
                expected=expected_keys(self.basis.provided, self.basis.demographic_names),
                on_page=on_progress,
            )
        snapshot = SourceSnapshot(
            records=fetched.records,
            provided=self.basis.provided,
            demographic_names=self.basis.demographic_names,
            complete=fetched.full,
            kind=self.kind,
        )
        timings = {
            "http": fetched.http_seconds,
            "map": fetched.map_seconds,
            "pages": float(fetched.pages),
        }
        return SourceBatch(
            snapshot,
            deleted=fetched.deleted_source_ids,
            started_at=fetched.started_at,
            timings=timings,
        )


def basis(supported: Collection[str] | None, redacted: frozenset[str]) -> SourceSnapshot:
    """What a sync of this provider compares (the core fields and demographics it supports,
    less the redacted ones), as a snapshot still without records. `supported` is Merge's
    `available-actions` list of Employee fields (None: unknown, so all of them)."""
    provided = provided_fields(supported) - redacted
    demographics = frozenset(
        name
        for name, merge_field in DEMOGRAPHIC_SOURCES.items()
        if name not in redacted and (supported is None or merge_field in supported)
    )
    return SourceSnapshot(
        records=(),
        provided=provided & frozenset(CORE_FIELDS),
        demographic_names=demographics,
        complete=True,
        kind=MergeSource.kind,
    )
