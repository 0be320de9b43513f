"""What an account decides about its syncs, as planning and the guard read it: one value."""

from __future__ import annotations

from dataclasses import dataclass

from peoplesync.core.employee import LeaverPolicy

DEFAULT_LEAVER_SHARE = 0.2  # the mass-leaver safeguard: a fifth of the active people


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    """`leaver_policy`: what people missing from a full import become. The mass-leaver
    safeguard flags more leavers than `leaver_share` of the active people (or, when set,
    than `leaver_count`). `redacted`: the fields the account never keeps. `partial`: a partial
    import (a file of only some people): it creates and updates, and nobody leaves."""

    leaver_policy: LeaverPolicy = LeaverPolicy.FORMER
    leaver_share: float = DEFAULT_LEAVER_SHARE
    leaver_count: int | None = None
    redacted: frozenset[str] = frozenset()
    partial: bool = False
