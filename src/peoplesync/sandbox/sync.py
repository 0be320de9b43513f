"""Merge's per-model sync status for one linked account, scripted by the sandbox clock.

A new account starts its initial sync: every model is `SYNCING` with `is_initial_sync: true`
until `initial_sync_seconds` have passed on the clock, then `DONE` (with `last_sync_finished`,
`data_fresh_as_of` and `historical_data_since` set). Every sync that starts sets
`next_sync_start` to its start plus the board's interval (an hour, as in Merge's example), and
when that moment comes a periodic sync really runs: the models are `SYNCING` (with
`is_initial_sync: false` and the previous `last_sync_result` and `last_sync_finished` kept) for
the account's sync seconds, then finish. `advance(now)` applies due transitions and reports a
finished sync once (the `LinkedAccount.sync_completed` webhook); after a long jump of the clock
only the latest due periodic sync runs. The control API can set any status on any model, script
how the next sync ends (`script_next`: for example `last_sync_result` FAILED while `status`
shows DONE), and `POST /sync-status/resync` starts a new (non-initial) sync at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from peoplesync.sandbox.ids import merge_datetime

MODELS: tuple[str, ...] = (
    "Employee",
    "Employment",
    "Team",
    "Group",
    "Location",
    "Company",
    "PayGroup",
)
STATUSES = ("SYNCING", "DONE", "FAILED", "DISABLED", "PAUSED", "PARTIALLY_SYNCED")
REASONS = ("RATE_LIMITED", "WAITING_ON_OTHER_MODELS")
SYNC_INTERVAL = timedelta(hours=1)
FULL_HISTORY = datetime(1900, 1, 1, tzinfo=UTC)


@dataclass
class ModelSync:
    model_name: str
    status: str = "SYNCING"
    is_initial_sync: bool = True
    last_sync_start: datetime | None = None
    next_sync_start: datetime | None = None
    last_sync_result: str | None = None
    last_sync_finished: datetime | None = None
    data_fresh_as_of: datetime | None = None
    historical_data_since: datetime | None = None
    sync_status_reason: str | None = None
    selective_sync_configurations_usage: str | None = None
    finishes_at: datetime | None = None  # when a scripted SYNCING turns DONE

    def to_json(self) -> dict[str, object]:
        return {
            "model_name": self.model_name,
            "model_id": f"hris.{self.model_name}",
            "last_sync_start": merge_datetime(self.last_sync_start),
            "next_sync_start": merge_datetime(self.next_sync_start),
            "last_sync_result": self.last_sync_result,
            "last_sync_finished": merge_datetime(self.last_sync_finished),
            "data_fresh_as_of": merge_datetime(self.data_fresh_as_of),
            "historical_data_since": merge_datetime(self.historical_data_since),
            "status": self.status,
            "sync_status_reason": self.sync_status_reason,
            "is_initial_sync": self.is_initial_sync,
            "selective_sync_configurations_usage": self.selective_sync_configurations_usage,
        }

    def finish(
        self,
        at: datetime,
        result: str = "DONE",
        *,
        status: str | None = None,
        interval: timedelta = SYNC_INTERVAL,
    ) -> None:
        """End the current sync with `result`; `status` (default: the result) is what it shows."""
        self.status = status or result
        self.last_sync_result = result
        self.last_sync_finished = at
        if result in {"DONE", "PARTIALLY_SYNCED"}:
            self.data_fresh_as_of = self.last_sync_start
            self.historical_data_since = self.historical_data_since or FULL_HISTORY
        if self.next_sync_start is None or self.next_sync_start <= at:
            self.next_sync_start = at + interval
        self.sync_status_reason = None
        self.finishes_at = None

    def start(
        self,
        at: datetime,
        seconds: float | None,
        *,
        initial: bool,
        interval: timedelta = SYNC_INTERVAL,
    ) -> None:
        self.status = "SYNCING"
        self.is_initial_sync = initial
        self.last_sync_start = at
        self.next_sync_start = at + interval
        self.finishes_at = None if seconds is None else at + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Completed:
    """A sync that just finished: the data of `LinkedAccount.sync_completed`."""

    is_initial_sync: bool
    statuses: dict[str, dict[str, object]]


@dataclass(frozen=True)
class Outcome:
    """How a scripted sync of one model ends: `last_sync_result`, and the `status` it shows."""

    result: str = "DONE"
    status: str | None = None  # None: the result


IDLE = frozenset({"DISABLED", "PAUSED"})  # models that periodic syncs leave alone


@dataclass
class SyncBoard:
    models: dict[str, ModelSync] = field(default_factory=dict)
    running_initial: bool = False
    interval: timedelta = SYNC_INTERVAL
    seconds: float = 0.0  # how long a periodic sync takes
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # the next sync's, by model

    @classmethod
    def initial(
        cls, at: datetime, seconds: float, *, interval: timedelta = SYNC_INTERVAL
    ) -> SyncBoard:
        board = cls(
            {name: ModelSync(name) for name in MODELS},
            running_initial=True,
            interval=interval,
            seconds=seconds,
        )
        for model in board.models.values():
            model.start(at, seconds, initial=True, interval=interval)
        return board

    def advance(self, now: datetime) -> Completed | None:
        """Finish the scripted syncs that are due, else start a periodic sync that is due;
        report a sync when its last model finishes."""
        due = [
            m for m in self.models.values() if m.finishes_at is not None and m.finishes_at <= now
        ]
        if not due:
            return self._periodic(now)
        for model in due:
            outcome = self.outcomes.pop(model.model_name, Outcome())
            model.finish(
                model.finishes_at or now,
                outcome.result,
                status=outcome.status,
                interval=self.interval,
            )
        if any(m.status == "SYNCING" for m in self.models.values()):
            return None
        return self._completed()

    def _periodic(self, now: datetime) -> Completed | None:
        if any(m.status == "SYNCING" for m in self.models.values()):
            return None  # a sync that only the control API can finish
        eligible = [m for m in self.models.values() if m.status not in IDLE and m.next_sync_start]
        if not eligible:
            return None
        first = min(m.next_sync_start for m in eligible if m.next_sync_start is not None)
        if first > now:
            return None
        missed = (now - first) // self.interval  # after a jump of the clock: the latest one
        start = first + missed * self.interval
        for model in eligible:
            model.start(start, self.seconds, initial=False, interval=self.interval)
        return self.advance(now)

    def script_next(self, outcome: Outcome, model_names: tuple[str, ...] = MODELS) -> None:
        """How the next sync (periodic, or a resync) of these models ends."""
        for name in model_names:
            self.outcomes[name] = outcome

    def _completed(self) -> Completed:
        was_initial = self.running_initial
        self.running_initial = False
        for model in self.models.values():
            model.is_initial_sync = False
        return Completed(was_initial, self.summary())

    def summary(self) -> dict[str, dict[str, object]]:
        """`data.sync_status` of the webhook: keyed by model id."""
        return {
            f"hris.{m.model_name}": {
                "last_sync_result": m.last_sync_result,
                "last_sync_finished": merge_datetime(m.last_sync_finished),
                "data_fresh_as_of": merge_datetime(m.data_fresh_as_of),
                "sync_status_reason": m.sync_status_reason,
            }
            for m in self.models.values()
        }

    def resync(self, now: datetime, seconds: float) -> None:
        for model in self.models.values():
            if model.status != "DISABLED":
                model.start(now, seconds, initial=model.is_initial_sync, interval=self.interval)

    def set_status(
        self,
        now: datetime,
        status: str,
        *,
        model_names: tuple[str, ...] = MODELS,
        reason: str | None = None,
        is_initial_sync: bool | None = None,
        seconds: float | None = None,
        last_sync_result: str | None = None,
    ) -> Completed | None:
        """Force a status; SYNCING may finish after `seconds`. Reports a sync it completes.
        `last_sync_result` (default: the status) is the result the forced finish records."""
        for name in model_names:
            model = self.models[name]
            if status == "SYNCING":
                model.start(now, seconds, initial=model.is_initial_sync, interval=self.interval)
                if last_sync_result is not None:
                    model.last_sync_result = last_sync_result
            else:
                model.finish(now, last_sync_result or status, status=status, interval=self.interval)
            model.sync_status_reason = reason
            if is_initial_sync is not None:
                model.is_initial_sync = is_initial_sync
        if is_initial_sync is not None:
            self.running_initial = is_initial_sync
        if status == "DONE" and all(m.status != "SYNCING" for m in self.models.values()):
            return self._completed()
        return None
