"""Daily auto-sync: off by default; when on, once a day at the account's time in its time zone.

A periodic task asks every minute which accounts are due: auto-sync on, an HRIS connected, the
local time at or past `auto_sync_time` (default 02:00), and no auto-sync yet this local day. A due
account is claimed atomically (`auto_sync_marks`), so two schedulers never start two syncs on one
day; a scheduler that was down at 02:00 catches up later that day. Switching auto-sync on after
today's time has passed starts the first sync tomorrow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peoplesync.accounts.history import record_event
from peoplesync.accounts.settings import SettingsChange, change_settings
from peoplesync.errors import InputError
from peoplesync.store.effects import after_commit
from peoplesync.store.models import Account, AutoSyncMark, Connection

log = structlog.get_logger(__name__)

_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True, slots=True)
class AutoSyncStatus:
    enabled: bool
    time: str  # "HH:MM", local to `timezone`
    timezone: str
    last_local_date: date | None  # the local day of the last daily sync
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
    if at is not None:
        account.auto_sync_time = parse_time(at).strftime("%H:%M")
    if timezone is not None:
        change_settings(session, account, SettingsChange(timezone=timezone))
    switched_on = enabled and not account.auto_sync_enabled
    account.auto_sync_enabled = enabled
    if switched_on and _local(account, now).time() >= parse_time(account.auto_sync_time):
        claim_day(session, account.id, _local(account, now).date(), now)  # first sync tomorrow
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
        next_run_at=next_run(account, last, now) if account.auto_sync_enabled else None,
    )


def next_run(account: Account, last: date | None, now: datetime) -> datetime:
    """When the next daily sync starts (UTC): now if it is due, else the next local time."""
    local = _local(account, now)
    at = parse_time(account.auto_sync_time)
    day = local.date()
    if last is not None and last >= day:
        day += timedelta(days=1)
    elif local.time() >= at:
        return now
    zone = ZoneInfo(account.timezone)
    return datetime.combine(day, at, tzinfo=zone).astimezone(now.tzinfo)


def is_due(account: Account, last: date | None, now: datetime) -> bool:
    local = _local(account, now)
    return local.time() >= parse_time(account.auto_sync_time) and (
        last is None or last < local.date()
    )


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
    """The accounts whose daily sync starts now, each claimed for its local day."""
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
            if not is_due(account, marks.get(account.id), now):
                continue
        except (InputError, ValueError, KeyError) as err:
            log.warning("autosync.misconfigured", account_id=account.id, error=str(err))
            continue
        if claim_day(session, account.id, _local(account, now).date(), now):
            due.append(account.id)
    return due


def enqueue_due(session: Session, now: datetime, enqueue: Callable[[int], object]) -> list[int]:
    """Claim the due accounts; their syncs are enqueued once this unit of work commits."""
    due = claim_due(session, now)
    for account_id in due:
        log.info("autosync.due", account_id=account_id)
        after_commit(session, "autosync.enqueue", partial(enqueue, account_id))
    return due


def _mark(session: Session, account_id: int) -> date | None:
    return session.scalar(
        select(AutoSyncMark.local_date).where(AutoSyncMark.account_id == account_id)
    )


def _local(account: Account, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(account.timezone))
