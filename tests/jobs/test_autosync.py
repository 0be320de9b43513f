"""Daily auto-sync rules, on both databases: off by default, its time in its own time zone,
never twice a local day, catch-up later the same day, first run tomorrow if switched on late."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from peoplesync.accounts.autosync import (
    auto_sync_status,
    claim_day,
    claim_due,
    set_auto_sync,
)
from peoplesync.accounts.history import list_events
from peoplesync.errors import InputError
from peoplesync.store.models import Account, Connection


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def connect(session: Session, account: Account) -> None:
    session.add(
        Connection(
            account_id=account.id,
            provider="justworks",
            status="connected",
            base_url="http://hris.test/api",
            initial_sync={},
            created_at=at("2026-11-01T00:00:00+00:00"),
        )
    )
    session.flush()


def test_off_by_default(session: Session, account: Account) -> None:
    found = auto_sync_status(session, account, at("2026-11-25T12:00:00+00:00"))
    assert (found.enabled, found.time, found.timezone, found.next_run_at) == (
        False,
        "02:00",
        "UTC",
        None,
    )
    connect(session, account)
    assert claim_due(session, at("2026-11-25T12:00:00+00:00")) == []


def test_due_at_its_local_time_in_its_own_time_zone(session: Session, account: Account) -> None:
    connect(session, account)
    before = at("2026-11-25T00:30:00+00:00")  # 11:30 in Sydney (UTC+11)
    set_auto_sync(
        session, account, enabled=True, now=before, at="12:15", timezone="Australia/Sydney"
    )
    assert auto_sync_status(session, account, before).next_run_at == at("2026-11-25T01:15:00+00:00")
    assert claim_due(session, at("2026-11-25T01:14:00+00:00")) == []
    assert claim_due(session, at("2026-11-25T01:15:00+00:00")) == [account.id]
    assert claim_due(session, at("2026-11-25T09:00:00+00:00")) == []  # same local day
    assert claim_due(session, at("2026-11-26T01:15:00+00:00")) == [account.id]  # the next day
    status = auto_sync_status(session, account, at("2026-11-26T02:00:00+00:00"))
    assert status.last_local_date == date(2026, 11, 26)
    assert status.next_run_at == at("2026-11-27T01:15:00+00:00")


def test_a_scheduler_that_was_down_catches_up_later_that_day(
    session: Session, account: Account
) -> None:
    connect(session, account)
    set_auto_sync(session, account, enabled=True, now=at("2026-11-24T23:00:00+00:00"))
    assert claim_due(session, at("2026-11-25T17:40:00+00:00")) == [account.id]


def test_switched_on_after_todays_time_the_first_run_is_tomorrow(
    session: Session, account: Account
) -> None:
    connect(session, account)
    noon = at("2026-11-25T12:00:00+00:00")
    found = set_auto_sync(session, account, enabled=True, now=noon)
    assert found.next_run_at == at("2026-11-26T02:00:00+00:00")
    assert claim_due(session, noon + timedelta(minutes=1)) == []
    assert claim_due(session, at("2026-11-26T02:00:00+00:00")) == [account.id]


def test_daylight_saving_days(session: Session, account: Account) -> None:
    connect(session, account)
    set_auto_sync(
        session,
        account,
        enabled=True,
        now=at("2026-03-07T12:00:00+00:00"),
        at="02:30",  # does not exist in New York on 2026-03-08
        timezone="America/New_York",
    )
    assert claim_due(session, at("2026-03-08T06:59:00+00:00")) == []  # 01:59 EST
    assert claim_due(session, at("2026-03-08T07:00:00+00:00")) == [account.id]  # 03:00 EDT
    set_auto_sync(session, account, enabled=True, now=at("2026-10-31T12:00:00+00:00"), at="01:30")
    assert claim_due(session, at("2026-11-01T05:30:00+00:00")) == [account.id]  # 01:30 EDT
    assert claim_due(session, at("2026-11-01T06:30:00+00:00")) == []  # 01:30 EST, same day


def test_a_time_the_clock_skips_up_to_midnight_runs_at_the_jump_and_the_next_day_too(
    session: Session, account: Account
) -> None:
    """Nuuk's clock goes from 22:59 on 2025-03-29 to 00:00 on the 30th: the 29th's 23:00 sync
    starts at the jump, claimed for the 29th, and the 30th keeps its own."""
    connect(session, account)
    set_auto_sync(
        session,
        account,
        enabled=True,
        now=at("2025-03-29T12:00:00+00:00"),
        at="23:00",
        timezone="America/Nuuk",
    )
    assert claim_due(session, at("2025-03-30T00:59:00+00:00")) == []  # 22:59 on the 29th
    assert claim_due(session, at("2025-03-30T01:00:00+00:00")) == [account.id]  # 00:00, the 30th
    assert claim_due(session, at("2025-03-30T01:01:00+00:00")) == []
    assert auto_sync_status(session, account, now=at("2025-03-30T01:01:00+00:00")).next_run_at == (
        at("2025-03-31T00:00:00+00:00")
    )
    assert claim_due(session, at("2025-03-30T23:59:00+00:00")) == []  # 22:59 on the 30th
    assert claim_due(session, at("2025-03-31T00:00:00+00:00")) == [account.id]  # 23:00


def test_a_day_is_claimed_once(session: Session, account: Account) -> None:
    day = date(2026, 11, 25)
    now = at("2026-11-25T02:00:00+00:00")
    assert claim_day(session, account.id, day, now)
    assert not claim_day(session, account.id, day, now)
    assert not claim_day(session, account.id, day - timedelta(days=1), now)  # never backwards
    assert claim_day(session, account.id, day + timedelta(days=1), now)


def test_accounts_without_a_connection_are_not_due(session: Session, account: Account) -> None:
    set_auto_sync(session, account, enabled=True, now=at("2026-11-24T12:00:00+00:00"))
    assert claim_due(session, at("2026-11-25T02:00:00+00:00")) == []


def test_switching_is_recorded_and_validated(session: Session, account: Account) -> None:
    now = at("2026-11-25T00:00:00+00:00")
    set_auto_sync(session, account, enabled=True, now=now, actor="ada@acme.example")
    set_auto_sync(session, account, enabled=False, now=now, actor="ada@acme.example")
    session.flush()
    events = [(e.event, e.actor) for e in reversed(list_events(session, account.id))]
    assert events == [("auto_sync.on", "ada@acme.example"), ("auto_sync.off", "ada@acme.example")]
    for bad in ("25:00", "2:00", "02:60", "noon"):
        with pytest.raises(InputError, match="not a time of day"):
            set_auto_sync(session, account, enabled=True, now=now, at=bad)
    with pytest.raises(InputError, match="not a time zone"):
        set_auto_sync(session, account, enabled=True, now=now, timezone="Mars/Olympus")


def test_switched_on_again_before_a_new_time_today_runs_today(
    session: Session, account: Account
) -> None:
    """Issue 14: on after today's time (today counts as done), off, the time set to a few
    minutes from now, on again: the next sync is today at that time, not tomorrow."""
    connect(session, account)
    set_auto_sync(session, account, enabled=True, now=at("2026-11-25T12:00:00+00:00"))
    set_auto_sync(session, account, enabled=False, now=at("2026-11-25T12:01:00+00:00"))
    set_auto_sync(session, account, enabled=False, now=at("2026-11-25T12:02:00+00:00"), at="12:10")
    found = set_auto_sync(session, account, enabled=True, now=at("2026-11-25T12:03:00+00:00"))
    assert found.next_run_at == at("2026-11-25T12:10:00+00:00")
    assert claim_due(session, at("2026-11-25T12:09:00+00:00")) == []
    assert claim_due(session, at("2026-11-25T12:10:00+00:00")) == [account.id]
    assert auto_sync_status(session, account, at("2026-11-25T12:11:00+00:00")).next_run_at == at(
        "2026-11-26T12:10:00+00:00"
    )


def test_a_time_changed_while_on_counts_from_the_change(session: Session, account: Account) -> None:
    """A new time that has already passed today starts tomorrow, not at once; one still ahead
    today runs today."""
    connect(session, account)
    set_auto_sync(session, account, enabled=True, now=at("2026-11-25T08:00:00+00:00"), at="23:00")
    found = set_auto_sync(
        session, account, enabled=True, now=at("2026-11-25T12:10:00+00:00"), at="09:00"
    )
    assert found.next_run_at == at("2026-11-26T09:00:00+00:00")
    assert claim_due(session, at("2026-11-25T12:11:00+00:00")) == []
    found = set_auto_sync(
        session, account, enabled=True, now=at("2026-11-25T12:20:00+00:00"), at="12:30"
    )
    assert found.next_run_at == at("2026-11-25T12:30:00+00:00")
    assert claim_due(session, at("2026-11-25T12:30:00+00:00")) == [account.id]


def test_saying_on_again_never_syncs_twice_a_day(session: Session, account: Account) -> None:
    """`autosync on` (or the API's PUT) again, the schedule unchanged, after today's sync."""
    connect(session, account)
    set_auto_sync(session, account, enabled=True, now=at("2026-11-25T01:00:00+00:00"))
    assert claim_due(session, at("2026-11-25T02:00:00+00:00")) == [account.id]
    found = set_auto_sync(
        session, account, enabled=True, now=at("2026-11-25T10:00:00+00:00"), at="02:00"
    )
    assert found.next_run_at == at("2026-11-26T02:00:00+00:00")
    assert claim_due(session, at("2026-11-25T10:01:00+00:00")) == []
