"""What an account decides about its syncs, as planning and the guard read it: one value."""

from __future__ import annotations

from dataclasses import dataclass

from peoplesync.core.employee import LeaverPolicy

DEFAULT_LEAVER_SHARE = 0.2  # the mass-leaver safeguard: more than a fifth of the active people
DEFAULT_LEAVER_COUNT = 5  # ... and at least this many (a 9-person company losing 2 is no mass)


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    """`leaver_policy`: what people missing from a full import become. The mass-leaver
    safeguard flags a sync whose leavers are both more than `leaver_share` of the active people
    and at least `leaver_count` (Okta's share above a size, Entra's count, at once).
    `redacted`: the fields the account never keeps. `partial`: a partial import (a file of only
    some people): it creates and updates, and nobody leaves."""

    leaver_policy: LeaverPolicy = LeaverPolicy.FORMER
    leaver_share: float = DEFAULT_LEAVER_SHARE
    leaver_count: int = DEFAULT_LEAVER_COUNT
    redacted: frozenset[str] = frozenset()
    partial: bool = False
