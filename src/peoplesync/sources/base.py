"""The one seam every source implements: `Source.read()` yields a `SourceBatch`.

A source maps its own records to canonical `SourceEmployee`s (redacted fields already dropped,
each record's `location` saying where it came from: "row 12", "employee 7f3a…"), and says which
core fields and demographics it provides. The built-in sources are the employee files
(`sources.csv_source.CsvSource`, `sources.xlsx_source.XlsxSource`, chosen from the bytes by
`sources.files.open_file`) and the Merge HRIS API (`sources.merge.source.MergeSource`); a new one
(another API) is one module implementing this protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from peoplesync.core.employee import SourceSnapshot
from peoplesync.core.issues import Issue

NO_TIMINGS: Mapping[str, float] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class SourceBatch:
    """What one read of a source yields.

    `snapshot.complete` is True when the records are the whole company; an incremental read
    (only what changed since `modified_after`) is not, and names the `deleted` source IDs.
    """

    snapshot: SourceSnapshot
    issues: tuple[Issue, ...] = ()  # problems found while reading one record's cell
    deleted: frozenset[str] = frozenset()
    started_at: datetime | None = None  # when the read began: where the next one starts from
    timings: Mapping[str, float] = field(default_factory=lambda: NO_TIMINGS)


class Source(Protocol):
    """Where a sync's employees come from."""

    @property
    def kind(self) -> str:
        """The run's source kind: "csv", "merge"."""
        ...

    @property
    def name(self) -> str | None:
        """What the history calls it: the file's name, the provider's."""
        ...

    def read(self, on_progress: Callable[[int], None] | None = None) -> SourceBatch:
        """Every record (or every change); `on_progress` hears how many so far."""
        ...
