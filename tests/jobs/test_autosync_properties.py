"""The auto-sync schedule, property-tested over times of day, time zones and their clock changes.

Set at any moment, the schedule says when its first sync starts, and the scheduler (asked at
every minute) starts it exactly then: the first time the local clock reaches the chosen time
after that moment (today if that time is still ahead, else tomorrow), whatever was set before.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from peoplesync.accounts.autosync import Schedule, auto_sync_status, claim_due, set_auto_sync
from peoplesync.store.models import Account, Connection

# Zones whose offsets changed in whole minutes since 2015; no zone skipped a whole day since.
ZONES = sorted(z for z in available_timezones() if not z.startswith(("Etc/", "SystemV/")))
FIRST, LAST = datetime(2015, 1, 1, tzinfo=UTC), datetime(2037, 12, 31, tzinfo=UTC)
ONE_SECOND, ONE_MINUTE = timedelta(seconds=1), timedelta(minutes=1)


@functools.cache
def clock_changes(zone: str, year: int) -> tuple[datetime, ...]:
    """The instants (UTC) at which the zone's offset changed in that year."""
    tz = ZoneInfo(zone)
    found: list[datetime] = []
    hour = datetime(year, 1, 1, tzinfo=UTC)
    offset = hour.astimezone(tz).utcoffset()
    while hour.year == year:
        following = hour + timedelta(hours=1)
        if following.astimezone(tz).utcoffset() != offset:
            moment = hour
            while moment.astimezone(tz).utcoffset() == offset:
                moment += ONE_MINUTE
            found.append(moment)
            offset = following.astimezone(tz).utcoffset()
        hour = following
    return tuple(found)


@st.composite
def moments(draw: st.DrawFn, zone: str) -> datetime:
    """Any instant, or one within a day and a half of one of the zone's clock changes."""
    anywhere = draw(st.datetimes(FIRST.replace(tzinfo=None), LAST.replace(tzinfo=None)))
    changes = clock_changes(zone, anywhere.year)
    if not changes or draw(st.booleans()):
        return anywhere.replace(tzinfo=UTC)
    near = draw(st.sampled_from(changes))
    return near + timedelta(seconds=draw(st.integers(-36 * 3600, 36 * 3600)))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Schedule, datetime]:
    zone = draw(st.sampled_from(ZONES))
    at = draw(st.times().map(lambda t: time(t.hour, t.minute)))
    return Schedule(ZoneInfo(zone), at), draw(moments(zone))


def expected_day(schedule: Schedule, set_at: datetime) -> date:
    local = set_at.astimezone(schedule.zone)
    return local.date() if local.time() < schedule.at else local.date() + timedelta(days=1)


@settings(max_examples=400, deadline=None)
@given(cases())
@example(  # the clock skips 23:00-24:00 on 2025-03-29 here: the sync starts at the jump
    (
        Schedule(ZoneInfo("America/Scoresbysund"), time(23, 0)),
        datetime(2025, 3, 30, 0, 59, 59, tzinfo=UTC),
    )
)
def test_the_first_sync_is_the_first_time_the_clock_reaches_the_chosen_time(
    case: tuple[Schedule, datetime],
) -> None:
    schedule, set_at = case
    last = schedule.done_before(set_at)
    first = schedule.next_run(last, set_at)
    assert first >= set_at
    # The day whose sync it is (its local date, or the day before when a clock change skipped
    # that day's time and landed past midnight).
    assert schedule.due_day(last, first) == expected_day(schedule, set_at)
    assert schedule.is_due(last, first)
    assert first == set_at or not schedule.is_due(last, first - ONE_SECOND)
    # The scheduler, asked every minute from the moment it was set, starts nothing before.
    asked = set_at
    while asked < first - ONE_MINUTE:
        assert not schedule.is_due(last, asked), asked
        asked += ONE_MINUTE
    # Once that day is claimed, the next one is the following local day's.
    claimed = schedule.due_day(last, first)
    assert claimed is not None
    following = schedule.next_run(claimed, first)
    assert following > first
    assert schedule.due_day(claimed, following) == claimed + timedelta(days=1)
    assert not schedule.is_due(claimed, first + ONE_MINUTE)


def test_a_time_the_clock_skips_starts_when_the_clock_jumps() -> None:
    """02:30 does not exist in New York on 2026-03-08: the sync starts at 03:00 EDT."""
    schedule = Schedule(ZoneInfo("America/New_York"), time(2, 30))
    set_at = datetime(2026, 3, 7, 12, tzinfo=UTC)
    jump = datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert schedule.next_run(schedule.done_before(set_at), set_at) == jump


def test_a_time_skipped_up_to_midnight_starts_at_the_jump_and_the_next_day_keeps_its_own() -> None:
    """In America/Nuuk the clock goes from 22:59 on 2025-03-29 to 00:00 on the 30th (01:00
    UTC): that Saturday's 23:00 sync starts at the jump, claimed for the 29th, and the 30th's
    own 23:00 sync still follows (found by the property above, in America/Scoresbysund)."""
    schedule = Schedule(ZoneInfo("America/Nuuk"), time(23, 0))
    set_at = datetime(2025, 3, 30, 0, 59, 59, tzinfo=UTC)  # 22:59:59 on the 29th
    jump = datetime(2025, 3, 30, 1, 0, tzinfo=UTC)  # 00:00 on the 30th
    last = schedule.done_before(set_at)
    assert last == date(2025, 3, 28)
    assert schedule.next_run(last, set_at) == jump
    assert not schedule.is_due(last, set_at)
    assert schedule.due_day(last, jump) == date(2025, 3, 29)
    assert schedule.due_day(last, jump + timedelta(hours=5)) == date(2025, 3, 29)  # until claimed
    sunday = datetime(2025, 3, 31, 0, 0, tzinfo=UTC)  # 23:00 on the 30th (-01)
    assert schedule.next_run(date(2025, 3, 29), jump) == sunday
    assert schedule.due_day(date(2025, 3, 29), sunday) == date(2025, 3, 30)
    # Without the clock change nothing is due before the time: a day missed is not caught up.
    assert schedule.due_day(date(2025, 4, 1), datetime(2025, 4, 3, 1, tzinfo=UTC)) is None


def test_a_time_the_clock_repeats_starts_at_the_first_unless_set_in_between() -> None:
    """01:30 happens twice in New York on 2026-11-01 (EDT, then EST)."""
    schedule = Schedule(ZoneInfo("America/New_York"), time(1, 30))
    before = datetime(2026, 11, 1, 4, tzinfo=UTC)  # 00:00 EDT
    between = datetime(2026, 11, 1, 6, 10, tzinfo=UTC)  # 01:10 EST, after 01:30 EDT
    assert schedule.next_run(schedule.done_before(before), before) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )
    assert schedule.next_run(schedule.done_before(between), between) == datetime(
        2026, 11, 1, 6, 30, tzinfo=UTC
    )


SETTINGS = st.lists(
    st.tuples(
        st.booleans(),  # on or off
        st.none() | st.times().map(lambda t: t.strftime("%H:%M")),
        st.none() | st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"]),
    ),
    max_size=4,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    history=SETTINGS,
    at=st.times().map(lambda t: t.strftime("%H:%M")),
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe"]),
    start=st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31)),  # noqa: DTZ001 - naive bounds, as Hypothesis wants
    steps=st.lists(st.integers(1, 600), min_size=4, max_size=4),
)
def test_whatever_was_set_before_the_last_setting_decides(  # noqa: PLR0917 - fixtures and strategies
    session: Session,
    account: Account,
    history: list[tuple[bool, str | None, str | None]],
    at: str,
    zone: str,
    start: datetime,
    steps: list[int],
) -> None:
    """Any history of on/off, times and zones (with syncs claimed in between), then auto-sync
    switched on with a time and a zone: the status says when, and the scheduler starts then."""
    with session.begin_nested() as example:
        session.add(
            Connection(
                account_id=account.id,
                provider="justworks",
                status="connected",
                base_url="http://hris.test/api",
                initial_sync={},
                created_at=datetime(2025, 1, 1, tzinfo=UTC),
            )
        )
        now = start.replace(tzinfo=UTC)
        for (enabled, time_of_day, tz), step in zip(history, steps, strict=False):
            set_auto_sync(session, account, enabled=enabled, now=now, at=time_of_day, timezone=tz)
            now += timedelta(minutes=step)
            claim_due(session, now)
        set_auto_sync(session, account, enabled=False, now=now)
        found = set_auto_sync(session, account, enabled=True, now=now, at=at, timezone=zone)
        first = found.next_run_at
        assert first is not None
        schedule = Schedule(ZoneInfo(zone), time.fromisoformat(at))
        assert first.astimezone(schedule.zone).date() == expected_day(schedule, now)
        assert auto_sync_status(session, account, now).next_run_at == first
        if first > now:
            assert account.id not in claim_due(session, first - ONE_SECOND)
        assert account.id in claim_due(session, first)
        example.rollback()
