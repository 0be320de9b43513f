"""Daily auto-sync: off by default; when on, once a day at the account's time in its time zone.

A periodic task asks every minute which accounts are due: auto-sync on, an HRIS connected, the
local time at or past `auto_sync_time` (default 02:00), and the local day not yet done. A due
account is claimed atomically (`auto_sync_marks` holds the last local day done), so two
schedulers never start two syncs on one day; a scheduler that was down at 02:00 catches up later
that day.

The schedule counts from the moment it is set: switching auto-sync on, or choosing another time
or time zone, starts it afresh. Its first sync is the first time the local clock reaches the
chosen time after that moment: today if that time is still ahead, else tomorrow (today counts as
done). Only the latest setting counts, so "on after today's time, off, a time a few minutes
ahead, on again" syncs today. On a day the time does not exist (a clock moved forward past it),
the sync starts when the clock jumps; on a day it happens twice (a clock moved back), at the
first (at the second, if the schedule was set between them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peoplesync.accounts.history import record_event
from peoplesync.accounts.settings import SettingsChange, change_settings
from peoplesync.errors import InputError
from peoplesync.store.models import Account, AutoSyncMark, Connection

log = structlog.get_logger(__name__)

_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True, slots=True)
class AutoSyncStatus:
    enabled: bool
    time: str  # "HH:MM", local to `timezone`
    timezone: str
    last_local_date: date | None  # the last local day done: synced, or before the schedule began
    next_run_at: datetime | None  # aware UTC; None when off

    def to_dict(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "time": self.time,
            "timezone": self.timezone,
            "last_local_date": self.last_local_date.isoformat() if self.last_local_date else None,
            "next_run_at": self.next_run_at.isoformat() if self.next_run_at else None,
        }


def parse_time(value: str) -> time:
    match = _HHMM.fullmatch(value.strip())
    if not match:
        raise InputError(
            f"'{value}' is not a time of day.", hint="Use 24-hour HH:MM, e.g. 02:00.", field="time"
        )
    return time(int(match.group(1)), int(match.group(2)))


def set_auto_sync(
    session: Session,
    account: Account,
    *,
    enabled: bool,
    now: datetime,
    actor: str | None = None,
    at: str | None = None,
    timezone: str | None = None,
) -> AutoSyncStatus:
    """Switch the daily auto-sync on or off (and optionally its time and time zone)."""
    before = (account.auto_sync_enabled, account.auto_sync_time, account.timezone)
    if at is not None:
        account.auto_sync_time = parse_time(at).strftime("%H:%M")
    if timezone is not None:
        change_settings(session, account, SettingsChange(timezone=timezone))
    account.auto_sync_enabled = enabled
    if enabled and before != (True, account.auto_sync_time, account.timezone):
        schedule = Schedule.of(account)
        _set_mark(session, account.id, schedule.done_before(now), now)  # counts from now
    record_event(
        session,
        account.id,
        "auto_sync.on" if enabled else "auto_sync.off",
        now=now,
        actor=actor,
        detail={"time": account.auto_sync_time, "timezone": account.timezone},
    )
    log.info("autosync.switched", account_id=account.id, enabled=enabled, by=actor)
    return auto_sync_status(session, account, now)


def auto_sync_status(session: Session, account: Account, now: datetime) -> AutoSyncStatus:
    last = _mark(session, account.id)
    return AutoSyncStatus(
        enabled=account.auto_sync_enabled,
        time=account.auto_sync_time,
        timezone=account.timezone,
        last_local_date=last,
        next_run_at=Schedule.of(account).next_run(last, now) if account.auto_sync_enabled else None,
    )


@dataclass(frozen=True, slots=True)
class Schedule:
    """A daily time in a time zone: when a day's sync is due, and when the next one starts."""

    zone: ZoneInfo
    at: time

    @classmethod
    def of(cls, account: Account) -> Schedule:
        return cls(ZoneInfo(account.timezone), parse_time(account.auto_sync_time))

    def local(self, now: datetime) -> datetime:
        return now.astimezone(self.zone)

    def done_before(self, now: datetime) -> date:
        """The last local day done for a schedule set at `now`: today if today's time has come,
        else yesterday (so today's sync is still to come)."""
        local = self.local(now)
        return local.date() if local.time() >= self.at else local.date() - timedelta(days=1)

    def is_due(self, last: date | None, now: datetime) -> bool:
        return self.due_day(last, now) is not None

    def due_day(self, last: date | None, now: datetime) -> date | None:
        """The local day whose sync is due at `now`, if one is (the day a scheduler claims):
        today's once the local time has come, or yesterday's when a clock change skipped
        yesterday's time and landed past midnight. In America/Nuuk the clock goes from 22:59
        on the last Saturday of March to 00:00 on Sunday, so that Saturday's 23:00 sync starts
        at the jump, on Sunday's date, and Sunday's own 23:00 sync still follows."""
        local = self.local(now)
        today = local.date()
        if local.time() >= self.at:
            return today if last is None or last < today else None
        yesterday = today - timedelta(days=1)
        if last is not None and last >= yesterday:
            return None  # the usual case: yesterday's is done
        # When yesterday's sync started: on its own date, unless a jump carried it past midnight.
        started = self._first_due(yesterday, now - timedelta(days=3))
        return yesterday if self.local(started).date() == today and started <= now else None

    def next_run(self, last: date | None, now: datetime) -> datetime:
        """When the next daily sync starts (in `now`'s zone): now if it is due, else the first
        instant after now, on a day after `last`, whose local time is at or past the chosen one."""
        if self.is_due(last, now):
            return now
        local = self.local(now)
        day = local.date() if local.time() < self.at else local.date() + timedelta(days=1)
        if last is not None and last >= day:
            day = last + timedelta(days=1)
        return self._first_due(day, now).astimezone(now.tzinfo)

    def _first_due(self, day: date, after: datetime) -> datetime:
        """The first instant after `after` at which `day`'s local time is at or past the chosen
        one: when the clock shows it (the first time, or the second if a clock moved back and
        the first has passed), or when a clock moved forward over it, the end of that gap."""
        wall = datetime.combine(day, self.at, tzinfo=self.zone)
        earlier, later = sorted((wall.astimezone(UTC), wall.replace(fold=1).astimezone(UTC)))
        found = [c for c in (earlier, later) if self._reached(day, c)]
        if not self._reached(day, earlier):  # in a gap: it ends between the two readings
            instant = earlier
            while not self._reached(day, instant):
                instant += timedelta(minutes=1)
            found.append(instant)
        return min(c for c in found if c > after)

    def _reached(self, day: date, instant: datetime) -> bool:
        local = self.local(instant)
        return local.date() > day or (local.date() == day and local.time() >= self.at)


def claim_day(session: Session, account_id: int, local_date: date, now: datetime) -> bool:
    """Mark `local_date` as the account's auto-sync day; False if it already was (or later)."""
    moved = session.execute(
        update(AutoSyncMark)
        .where(AutoSyncMark.account_id == account_id, AutoSyncMark.local_date < local_date)
        .values(local_date=local_date, enqueued_at=now),
        execution_options={"synchronize_session": False},
    )
    if moved.rowcount:  # type: ignore[attr-defined]
        return True
    if _mark(session, account_id) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(AutoSyncMark(account_id=account_id, local_date=local_date, enqueued_at=now))
    except IntegrityError:
        return False  # another scheduler claimed it first
    return True


def claim_due(session: Session, now: datetime) -> list[int]:
    """The accounts whose daily sync starts now, each claimed for its local day (the day whose
    sync it is: `Schedule.due_day`)."""
    session.flush()  # settings changed in this unit of work count
    accounts = session.scalars(
        select(Account)
        .where(Account.auto_sync_enabled.is_(True))
        .where(select(Connection.id).where(Connection.account_id == Account.id).exists())
        .order_by(Account.id)
    ).all()
    marks = dict(session.execute(select(AutoSyncMark.account_id, AutoSyncMark.local_date)).all())
    due = []
    for account in accounts:
        try:
            day = Schedule.of(account).due_day(marks.get(account.id), now)
        except (InputError, ValueError, KeyError) as err:
            log.warning("autosync.misconfigured", account_id=account.id, error=str(err))
            continue
        if day is not None and claim_day(session, account.id, day, now):
            due.append(account.id)
    return due


def _set_mark(session: Session, account_id: int, local_date: date, now: datetime) -> None:
    """Set the last local day done, backwards too (a schedule set afresh counts from now)."""
    moved = session.execute(
        update(AutoSyncMark)
        .where(AutoSyncMark.account_id == account_id)
        .values(local_date=local_date, enqueued_at=now),
        execution_options={"synchronize_session": False},
    )
    if moved.rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():
            session.add(AutoSyncMark(account_id=account_id, local_date=local_date, enqueued_at=now))
    except IntegrityError:  # a scheduler claimed a first day meanwhile: the setting wins
        _set_mark(session, account_id, local_date, now)


def _mark(session: Session, account_id: int) -> date | None:
    return session.scalar(
        select(AutoSyncMark.local_date).where(AutoSyncMark.account_id == account_id)
    )
