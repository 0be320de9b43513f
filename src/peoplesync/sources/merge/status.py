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
            last_sync_result=_text(item.get("last_sync_result")),
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


@dataclass(frozen=True, slots=True)
class EmployeeSyncState:
    """Where Merge stands with the Employee model of one linked account."""

    phase: str  # initial_sync | ready | syncing | failed | paused | disabled | unknown
    status: SyncStatus | None

    @property
    def ready(self) -> bool:
        """The first sync has finished: our syncs may run."""
        return self.phase != "initial_sync"

    @property
    def fresh(self) -> bool:
        """Merge's data is complete and current (the stale-source guard's question)."""
        return self.phase == "ready"

    def progress(self) -> dict[str, Any]:
        if self.status is None:
            return {"phase": self.phase}
        return {
            "phase": self.phase,
            "status": self.status.status,
            "last_sync_start": self.status.last_sync_start,
            "last_sync_finished": self.status.last_sync_finished,
            "reason": self.status.sync_status_reason,
        }


def employee_sync_state(statuses: Sequence[SyncStatus]) -> EmployeeSyncState:
    employee = next(
        (s for s in statuses if s.model_id == "hris.Employee" or s.model_name == "Employee"), None
    )
    if employee is None:
        return EmployeeSyncState("unknown", None)
    never_finished = employee.last_sync_finished is None or employee.is_initial_sync
    if employee.status == "SYNCING":
        return EmployeeSyncState("initial_sync" if never_finished else "syncing", employee)
    if employee.status in FINISHED:
        return EmployeeSyncState("ready", employee)
    if never_finished and employee.status not in ("FAILED", "PAUSED", "DISABLED"):
        return EmployeeSyncState("initial_sync", employee)
    phase = (
        employee.status.lower()
        if employee.status in ("FAILED", "PAUSED", "DISABLED")
        else "unknown"
    )
    return EmployeeSyncState(phase, employee)
