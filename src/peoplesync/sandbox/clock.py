"""Clocks of the sandbox: the wall clock (injectable) and Merge's strictly increasing record clock.

Tests pass a `ManualClock` to `SandboxServer` to move time without sleeping; everything
time-dependent in the sandbox (scripted syncs, link-token expiry, Merge timestamps) reads it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

from peoplesync.sandbox.ids import to_micros


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; safe to move from a test thread."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now


class MergeClock:
    """Merge's record clock: microseconds that strictly increase, even within one microsecond."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last = 0
        self._lock = threading.Lock()

    def tick(self) -> int:
        with self._lock:
            self._last = max(self._last + 1, to_micros(self._clock.now()))
            return self._last
