"""Pacing under Merge's rate limit: requests per linked account per minute (100, 400 or 600 by
plan). A `MergeClient` given a `RateBudget` waits on a `Pacer` before every request it sends
(retries included), so it stays under the budget instead of running into 429s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class RateBudget:
    """Merge's request budget of one linked account: `requests` per `per_seconds`.

    The pacer refills `requests - burst - reserve` tokens per period and holds at most `burst`:
    in any period it sends at most `requests - reserve`, leaving `reserve` requests for other
    callers of the same account (status checks, a second client) and for clock jitter.
    """

    requests: int
    per_seconds: float = 60.0
    burst: int = 5
    reserve: int = 5

    PLANS: ClassVar[Mapping[str, int]] = {"launch": 100, "professional": 400, "enterprise": 600}

    def __post_init__(self) -> None:
        if self.requests - self.burst - self.reserve < 1 or self.burst < 1 or self.per_seconds <= 0:
            raise ValueError(
                f"a budget of {self.requests} requests per {self.per_seconds} s leaves nothing "
                f"after a burst of {self.burst} and a reserve of {self.reserve}"
            )

    @classmethod
    def for_plan(cls, plan: str) -> RateBudget:
        """Merge's plans: launch (100/min), professional (400/min), enterprise (600/min)."""
        try:
            return cls(cls.PLANS[plan.lower()])
        except KeyError:
            raise ValueError(
                f"unknown Merge plan {plan!r}; one of {', '.join(cls.PLANS)}"
            ) from None

    @property
    def rate(self) -> float:
        """Requests per second, sustained."""
        return (self.requests - self.burst - self.reserve) / self.per_seconds


class Pacer:
    """A thread-safe token bucket for one `RateBudget`: `wait()` returns once a request may go.

    Each caller reserves its token under the lock (the bucket may go negative) and sleeps
    outside it, so several threads sharing one pacer are served in turn at the budget's rate.
    """

    def __init__(
        self,
        budget: RateBudget,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.budget = budget
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(budget.burst)
        self._stamp = clock()
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            rate, burst = self.budget.rate, float(self.budget.burst)
            self._tokens = min(burst, self._tokens + (now - self._stamp) * rate)
            self._stamp = now
            self._tokens -= 1.0
            delay = 0.0 if self._tokens >= 0 else -self._tokens / rate
            self.waited_seconds += delay
        if delay > 0:
            self._sleep(delay)
