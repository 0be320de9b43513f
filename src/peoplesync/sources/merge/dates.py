"""Merge's date-only fields (typed as date-times on the wire) -> calendar dates. Pure.

Merge writes a date-only concept (a birth date, a start date) as a date-time: usually midnight
UTC (`2021-03-02T00:00:00Z`), but providers also send offsets (`2021-03-02T00:00:00+09:00`) and
a lower-case `z` or `t` (RFC 3339 allows both cases). The calendar date is the one **as
written**, whatever the offset: converting `+09:00` midnight to UTC would land a day early. A
time late in the UTC day (`2021-03-01T23:00:00Z`) is most likely the local midnight of the next
day stored in UTC: the written date is kept, and the caller names it in a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache

_MOMENT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?"
    r"([Zz]|[+-]\d{2}:?\d{2})?)?"
)
LATE_HOUR = 12  # a UTC time from noon on: probably the next day's midnight east of UTC


@dataclass(frozen=True, slots=True)
class ParsedDate:
    day: date
    moment: datetime  # the instant (naive values taken as UTC), for ordering
    late_utc: bool  # a UTC time late in the day: the date may be meant as the next one


class NotADateError(ValueError):
    """The value is not a date or an RFC 3339 date-time."""


def parse_date(value: object) -> ParsedDate:
    """The calendar date as written, with the instant it names. Raises `NotADateError`."""
    if not isinstance(value, str):
        raise NotADateError(repr(value))
    return parse_text(value)


# A company's dates repeat (birth days, start days, every base record's `modified_at`): a first
# fetch of 100,000 employees parses 400,000 values, of which a few tens of thousands differ.
# ParsedDate is immutable, so a parsed value is shared; a value that is no date is not kept.
@lru_cache(maxsize=1 << 16)
def parse_text(value: str) -> ParsedDate:
    found = _MOMENT.fullmatch(value.strip())
    if found is None:
        raise NotADateError(repr(value[:40]))
    y, mo, d, hh, mm, ss, zone = found.groups()
    try:
        day = date(int(y), int(mo), int(d))
        at = time(int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        raise NotADateError(repr(value[:40])) from None
    tz = _zone(zone)
    moment = datetime.combine(day, at, tz)
    late = tz.utcoffset(None) == timedelta(0) and hh is not None and at.hour >= LATE_HOUR
    return ParsedDate(day, moment, late)


def _zone(text: str | None) -> timezone:
    if text is None or text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise NotADateError(text)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def sort_moment(value: object) -> datetime:
    """An instant to order by; a value that is no date sorts first."""
    try:
        return parse_date(value).moment
    except NotADateError:
        return datetime.min.replace(tzinfo=UTC)
