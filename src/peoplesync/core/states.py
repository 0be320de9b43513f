"""The run's states and their allowed moves: one table."""

from __future__ import annotations

import enum

from peoplesync.errors import ConflictError


class RunState(enum.StrEnum):
    QUEUED = "queued"
    FETCHING = "fetching"
    PLANNING = "planning"
    AWAITING_REVIEW = "awaiting_review"
    APPLYING = "applying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


S = RunState
TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    S.QUEUED: frozenset({S.FETCHING, S.PLANNING, S.FAILED, S.CANCELLED, S.BLOCKED}),
    S.FETCHING: frozenset({S.PLANNING, S.FAILED, S.CANCELLED, S.BLOCKED}),
    S.PLANNING: frozenset({S.AWAITING_REVIEW, S.APPLYING, S.SUCCEEDED, S.BLOCKED, S.FAILED}),
    S.AWAITING_REVIEW: frozenset({S.APPLYING, S.CANCELLED, S.EXPIRED, S.FAILED}),
    S.APPLYING: frozenset({S.SUCCEEDED, S.FAILED}),
    S.SUCCEEDED: frozenset(),
    S.FAILED: frozenset(),
    S.BLOCKED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}
ACTIVE_STATES = frozenset({S.QUEUED, S.FETCHING, S.PLANNING, S.AWAITING_REVIEW, S.APPLYING})
FINAL_STATES = frozenset(s for s, moves in TRANSITIONS.items() if not moves)


def check_move(current: str, target: RunState) -> RunState:
    state = RunState(current)
    if target not in TRANSITIONS[state]:
        raise ConflictError(
            f"This run is {state.value.replace('_', ' ')} and cannot become "
            f"{target.value.replace('_', ' ')}.",
            hint="Start a new sync.",
        )
    return target
