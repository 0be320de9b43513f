"""Deterministic identifiers and timestamp formats of the sandbox HRIS.

Merge ids are UUID strings that look random but sort in slot order: the first 48 bits are a
per-(seed, model) offset plus the slot, the rest is a hash. So "order by id" among records that
share one `modified_at` is simply "order by slot", and a lazily generated company of a million
people needs no sorted index. `slot_of` inverts the id in O(1).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from functools import lru_cache

MAX_SLOTS = 1 << 40  # far more than any company; keeps offset + slot inside 48 bits
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MEMBER_MODULUS = 10**9
_MEMBER_FACTOR = 738_219_451  # coprime with 10**9, so the member id permutes the slot


def _digest(text: str, size: int) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=size).digest()


@lru_cache(maxsize=256)
def _offset(seed: int, model: str) -> int:
    return int.from_bytes(_digest(f"{seed}:{model}:offset", 6), "big") >> 2


@lru_cache(maxsize=65_536)  # managers, teams, offices and groups recur on every page
def ordered_uuid(seed: int, model: str, slot: int) -> str:
    """The Merge id of record `slot` of `model`: a valid UUID4 that sorts by slot."""
    key = _offset(seed, model) + slot
    tail = int.from_bytes(
        hashlib.blake2b(f"{seed}:{model}:{slot}".encode(), digest_size=10).digest()
    )
    third = 0x4000 | (tail & 0x0FFF)
    fourth = 0x8000 | ((tail >> 12) & 0x3FFF)
    last = tail >> 26 & 0xFFFF_FFFF_FFFF
    return f"{key >> 16:08x}-{key & 0xFFFF:04x}-{third:04x}-{fourth:04x}-{last:012x}"


def slot_of(seed: int, model: str, merge_id: str) -> int | None:
    """The slot whose id is `merge_id`, or None when no slot has that id."""
    if len(merge_id) != 36:
        return None
    try:
        key = int(merge_id[:8] + merge_id[9:13], 16)
    except ValueError:
        return None
    slot = key - _offset(seed, model)
    if not 0 <= slot < MAX_SLOTS or ordered_uuid(seed, model, slot) != merge_id.lower():
        return None
    return slot


@lru_cache(maxsize=64)
def _member_shift(seed: int) -> int:
    return int.from_bytes(_digest(f"{seed}:member", 4), "big")


def member_id(seed: int, slot: int) -> str:
    """The Justworks member id (Merge `remote_id`) of employee `slot`: nine digits."""
    shift = _member_shift(seed)
    return f"{(slot * _MEMBER_FACTOR + shift) % _MEMBER_MODULUS:09d}"


def slot_of_member(seed: int, remote_id: str) -> int | None:
    """Inverse of `member_id` (None when `remote_id` is not nine digits)."""
    if len(remote_id) != 9 or not remote_id.isdigit():
        return None
    shift = _member_shift(seed)
    inverse = pow(_MEMBER_FACTOR, -1, _MEMBER_MODULUS)
    return ((int(remote_id) - shift) * inverse) % _MEMBER_MODULUS


def hr_date(day: date | None) -> str | None:
    """An HR date the way Merge serves it: midnight UTC, `2020-10-10T00:00:00Z`."""
    return None if day is None else f"{day.isoformat()}T00:00:00Z"


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)


def merge_time(micros: int) -> str:
    """A Merge-side timestamp: ISO 8601, microseconds, `Z`."""
    return from_micros(micros).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def merge_datetime(moment: datetime | None) -> str | None:
    return None if moment is None else merge_time(to_micros(moment))
