"""Merge's sync-status, and what it means for us: is the first sync done, can we trust the data?"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Terminal statuses: DONE and PARTIALLY_SYNCED finished; FAILED, DISABLED, PAUSED did not.
FINISHED = frozenset({"DONE", "PARTIALLY_SYNCED"})


@dataclass(frozen=True, slots=True)
class SyncStatus:
    model_name: str
    model_id: str
    status: str
    last_sync_result: str | None
    last_sync_start: str | None
    last_sync_finished: str | None
    next_sync_start: str | None
    is_initial_sync: bool
    sync_status_reason: str | None


def parse_sync_statuses(results: Iterable[Mapping[str, Any]]) -> list[SyncStatus]:
    """Tolerant of unknown statuses and missing optional fields (never of a missing model_id)."""
    return [
        SyncStatus(
            model_name=str(item.get("model_name") or item["model_id"]),
            model_id=str(item["model_id"]),
            status=str(item.get("status") or "UNKNOWN").upper(),
            last_sync_result=_upper(item.get("last_sync_result")),
            last_sync_start=_text(item.get("last_sync_start")),
            last_sync_finished=_text(item.get("last_sync_finished")),
            next_sync_start=_text(item.get("next_sync_start")),
            is_initial_sync=bool(item.get("is_initial_sync")),
            sync_status_reason=_text(item.get("sync_status_reason")),
        )
        for item in results
    ]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _upper(value: object) -> str | None:
    return None if value is None else str(value).upper()


@dataclass(frozen=True, slots=True)
class EmployeeSyncState:
    """Where Merge stands with the Employee model of one linked account.

    Merge's fields mean different things (docs/merge-facts.md, "How the fields are meant"):
    `status` is what Merge is doing now (SYNCING during every routine re-sync);
    `last_sync_result` and `last_sync_finished` say how and when the latest finished sync
    ended; `is_initial_sync` says the first sync has not finished yet.
    """

    phase: str  # initial_sync | ready | syncing | failed | paused | disabled | unknown
    status: SyncStatus | None
    ready: bool = False  # the first sync has finished: our syncs may run
    fresh: bool = False  # the latest finished sync succeeded and Merge keeps syncing

    @property
    def freshness(self) -> str:
        """What an automated run is told of the data: the latest finished sync's result when it
        is fresh (DONE, PARTIALLY_SYNCED), else why not (SYNCING during the first sync,
        FAILED, PAUSED, DISABLED, or what Merge said). A routine re-sync (`status` SYNCING)
        over a good last sync is fresh."""
        if self.status is None:
            return "UNKNOWN"
        result = self.status.last_sync_result
        if self.fresh and result in FINISHED:
            return result
        if self.fresh:
            return "DONE"
        if self.phase == "initial_sync":
            return "SYNCING"
        if self.status.status in IDLE:
            return self.status.status
        return result or self.status.status

    def progress(self) -> dict[str, Any]:
        if self.status is None:
            return {"phase": self.phase, "fresh": False, "freshness": "UNKNOWN"}
        return {
            "phase": self.phase,
            "status": self.status.status,
            "last_sync_result": self.status.last_sync_result,
            "last_sync_start": self.status.last_sync_start,
            "last_sync_finished": self.status.last_sync_finished,
            "next_sync_start": self.status.next_sync_start,
            "is_initial_sync": self.status.is_initial_sync,
            "fresh": self.fresh,
            "freshness": self.freshness,
            "reason": self.status.sync_status_reason,
        }


STOPPED = frozenset({"FAILED", "PAUSED", "DISABLED"})
IDLE = frozenset({"PAUSED", "DISABLED"})  # Merge is not syncing at all: the data is not kept up


def employee_sync_state(statuses: Sequence[SyncStatus]) -> EmployeeSyncState:
    employee = next(
        (s for s in statuses if s.model_id == "hris.Employee" or s.model_name == "Employee"), None
    )
    if employee is None:
        return EmployeeSyncState("unknown", None)
    status = employee.status
    first_done = not employee.is_initial_sync and employee.last_sync_finished is not None
    if not first_done:
        phase = status.lower() if status in STOPPED else "initial_sync"
        return EmployeeSyncState(phase, employee)
    result = employee.last_sync_result or (status if status != "SYNCING" else None)
    fresh = result in FINISHED and status not in IDLE
    if status == "SYNCING":
        phase = "syncing"  # a routine re-sync; the data of the last one is there
    elif status in IDLE:
        phase = status.lower()
    elif result in FINISHED:
        phase = "ready"
    elif result == "FAILED":
        phase = "failed"  # also `status DONE, last_sync_result FAILED` (two different syncs)
    else:
        phase = "unknown"
    return EmployeeSyncState(phase, employee, ready=True, fresh=fresh)
