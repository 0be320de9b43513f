"""Injected faults and the per-token rate limit of one linked account.

Fault kinds (each lasts `count` matching requests, then disappears):

* `rate_limit`: 429 `{"detail": "Request was throttled..."}` with `Retry-After: <retry_after>`,
  or without the header when `retry_after` is null.
* `error`: status `status` (default 500; any 4xx/5xx such as 408, 502, 503) with a `detail`.
* `slow`: wait `delay_seconds`, then answer normally.
* `invalid_json`: a 200 list page whose body is cut off (not JSON).
* `repeat_cursor`: a list page whose `next` is the cursor the request sent, so the client loops
  (on a first page: a cursor that restarts from the beginning).
* `missing_key`: a list page whose first record lacks `key` (default `id`).

The first three hit any request of the account; the last three only list endpoints. `endpoint`
(for example `employees`, `sync-status`) restricts a fault to requests to that endpoint.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

STATUS_FAULTS = ("rate_limit", "error", "slow")
PAGE_FAULTS = ("invalid_json", "repeat_cursor", "missing_key")
FAULT_KINDS = STATUS_FAULTS + PAGE_FAULTS


@dataclass
class Fault:
    kind: str
    remaining: int = 1
    status: int = 500
    retry_after: int | None = 1
    delay_seconds: float = 0.0
    key: str = "id"
    endpoint: str | None = None

    def matches(self, endpoint: str, kinds: tuple[str, ...]) -> bool:
        return self.kind in kinds and self.endpoint in {None, endpoint}


@dataclass
class FaultQueue:
    faults: list[Fault] = field(default_factory=list)

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def clear(self) -> None:
        self.faults.clear()

    def take(self, endpoint: str, kinds: tuple[str, ...]) -> Fault | None:
        """Use up one request of the first matching fault."""
        for fault in self.faults:
            if fault.matches(endpoint, kinds):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None


@dataclass
class RateLimiter:
    """At most `per_minute` requests in any rolling window (60 s; tests may shrink it to see a
    budget bite within seconds); the answer says how long to wait. Refused requests are not
    counted against the budget; `throttled` counts them."""

    per_minute: int
    window_seconds: float = 60.0
    seen: deque[float] = field(default_factory=deque)
    throttled: int = 0

    def wait_seconds(self, now: float) -> int:
        """0 when this request may pass (and it is counted), else the seconds to wait."""
        while self.seen and self.seen[0] <= now - self.window_seconds:
            self.seen.popleft()
        if len(self.seen) >= self.per_minute:
            self.throttled += 1
            return max(1, int(self.seen[0] + self.window_seconds - now + 0.999))
        self.seen.append(now)
        return 0
