"""One common model of one linked account: lazily generated base records plus an overlay.

Every record has a slot; its id sorts by slot (`peoplesync.sandbox.ids`). Base records all share
one Merge `modified_at` (the moment the account was linked) and are generated on demand. A record
that an HR change touched moves to the overlay with a newer `modified_at` from the strictly
increasing Merge clock, and `order` keeps the overlay sorted by `(modified_at, slot)` for free:
each change appends a key larger than all before it (older keys of the same slot go stale).

Base records may also carry distinct `created_at` values (`created_step`): record `slot` was
created `(slots - slot) * created_step` microseconds before `base_time`, as an initial sync
creates them one after another; a `created_after`/`created_before` window then selects a range
of base slots without looking at the others (disjoint windows split one company).

Listing order is therefore `(modified_at, id)`: first the base segment in slot order, then the
overlay in change order. A `modified_after` later than the base time skips the base segment
without generating a single base record, so an incremental fetch costs only the changed records.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

F = TypeVar("F")
Key = tuple[int, int]  # (modified_at in microseconds, slot)
_MAX = 1 << 62


@dataclass(frozen=True, slots=True)
class Meta:
    created: int  # Merge created_at, microseconds
    modified: int  # Merge modified_at, microseconds
    deleted: bool = False  # remote_was_deleted


@dataclass(frozen=True, slots=True)
class Entry(Generic[F]):
    slot: int
    facts: F
    meta: Meta

    @property
    def key(self) -> Key:
        return (self.meta.modified, self.slot)


@dataclass(frozen=True)
class Window:
    """Bounds on Merge timestamps, all strict (`>` after, `<` before); None means unbounded."""

    modified_after: int | None = None
    modified_before: int | None = None
    created_after: int | None = None
    created_before: int | None = None

    def admits(self, meta: Meta) -> bool:
        return _between(meta.modified, self.modified_after, self.modified_before) and _between(
            meta.created, self.created_after, self.created_before
        )


def _between(value: int, low: int | None, high: int | None) -> bool:
    return (low is None or value > low) and (high is None or value < high)


class ModelStore(Generic[F]):
    """Records of one model for one account. `generate(slot)` builds a base record (or None)."""

    def __init__(
        self,
        slots: int,
        generate: Callable[[int], F | None],
        base_time: int,
        *,
        created_step: int = 0,
    ) -> None:
        self.slots = slots
        self.generate = generate
        self.base_meta = Meta(base_time, base_time)
        self.created_step = created_step
        self.overlay: dict[int, Entry[F]] = {}
        self.order: list[Key] = []

    def base_entry(self, slot: int, facts: F) -> Entry[F]:
        if not self.created_step:
            return Entry(slot, facts, self.base_meta)
        base = self.base_meta.modified
        return Entry(slot, facts, Meta(base - (self.slots - slot) * self.created_step, base))

    def get(self, slot: int) -> Entry[F] | None:
        found = self.overlay.get(slot)
        if found is not None:
            return found
        if not 0 <= slot < self.slots:
            return None
        facts = self.generate(slot)
        return None if facts is None else self.base_entry(slot, facts)

    def _created_range(self, window: Window) -> tuple[int, int]:
        """The base slots `[low, high)` whose `created_at` is inside the window's bounds."""
        if not self.created_step:
            admitted = _between(self.base_meta.created, window.created_after, window.created_before)
            return (0, self.slots) if admitted else (0, 0)
        base, step, low, high = self.base_meta.modified, self.created_step, 0, self.slots
        if window.created_after is not None:  # (slots - s) * step < base - after
            low = max(low, self.slots + 1 - -(-(base - window.created_after) // step))
        if window.created_before is not None:  # (slots - s) * step > base - before
            high = min(high, self.slots - (base - window.created_before) // step)
        low, high = min(max(low, 0), self.slots), max(0, high)
        return low, max(low, high)

    def put(self, slot: int, facts: F, now: int, *, deleted: bool | None = None) -> Entry[F]:
        """Store a changed (or new) record at Merge time `now`, which must be the latest tick."""
        old = self.get(slot)
        created = now if old is None else old.meta.created
        gone = (old.meta.deleted if old else False) if deleted is None else deleted
        entry = Entry(slot, facts, Meta(created, now, gone))
        self.overlay[slot] = entry
        self.order.append(entry.key)
        return entry

    def walk(
        self, start: Key | None, window: Window, *, reverse: bool, base_slots: Iterable[int] | None
    ) -> Iterator[Entry[F]]:
        """Records strictly after `start` (before it when `reverse`) inside `window`.

        `base_slots`, when given, are the only base slots that can match a filter (a fast path
        for `remote_id`, `work_email`, `manager_id`); overlay records are always all visited.
        """
        if reverse:
            yield from self._overlay_backward(start, window)
            yield from self._base(start, window, base_slots, reverse=True)
        else:
            yield from self._base(start, window, base_slots, reverse=False)
            yield from self._overlay_forward(start, window)

    def _base(
        self, start: Key | None, window: Window, candidates: Iterable[int] | None, *, reverse: bool
    ) -> Iterator[Entry[F]]:
        base = self.base_meta.modified
        if not _between(base, window.modified_after, window.modified_before):
            return
        low, high = self._created_range(window)
        if reverse:
            last = high - 1 if start is None or start[0] > base else min(start[1], high) - 1
            if start is not None and start[0] < base:
                return
            slots: Iterable[int] = range(last, low - 1, -1)
            if candidates is not None:
                slots = sorted((s for s in candidates if low <= s <= last), reverse=True)
        else:
            if start is not None and start[0] > base:
                return
            first = low if start is None or start[0] < base else max(low, start[1] + 1)
            slots = range(first, high)
            if candidates is not None:
                slots = sorted(s for s in candidates if first <= s < high)
        for slot in slots:
            if slot not in self.overlay:
                facts = self.generate(slot)
                if facts is not None:
                    yield self.base_entry(slot, facts)

    def _overlay_forward(self, start: Key | None, window: Window) -> Iterator[Entry[F]]:
        begin = start or (-1, -1)
        if window.modified_after is not None:
            begin = max(begin, (window.modified_after, _MAX))
        for position in range(bisect_right(self.order, begin), len(self.order)):
            entry = self._current(position)
            if entry is None:
                continue
            if window.modified_before is not None and entry.meta.modified >= window.modified_before:
                return
            if window.admits(entry.meta):
                yield entry

    def _overlay_backward(self, start: Key | None, window: Window) -> Iterator[Entry[F]]:
        end = start or (_MAX, _MAX)
        if window.modified_before is not None:
            end = min(end, (window.modified_before, -1))
        for position in range(bisect_left(self.order, end) - 1, -1, -1):
            entry = self._current(position)
            if entry is None:
                continue
            if window.modified_after is not None and entry.meta.modified <= window.modified_after:
                return
            if window.admits(entry.meta):
                yield entry

    def _current(self, position: int) -> Entry[F] | None:
        modified, slot = self.order[position]
        entry = self.overlay[slot]
        return entry if entry.meta.modified == modified else None


@dataclass(frozen=True)
class Cursor:
    key: Key
    reverse: bool = False


START = Cursor((-1, -1))  # a cursor that means "from the first record"


def encode_cursor(cursor: Cursor) -> str:
    """Opaque, bare, base64 (DRF-like `r=<reverse>&p=<modified>&s=<slot>`)."""
    raw = f"r={int(cursor.reverse)}&p={cursor.key[0]}&s={cursor.key[1]}"
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(text: str) -> Cursor | None:
    try:
        raw = base64.b64decode(text.encode(), validate=True).decode()
        parts = dict(part.split("=", 1) for part in raw.split("&"))
        return Cursor((int(parts["p"]), int(parts["s"])), reverse=parts["r"] == "1")
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError):
        return None


@dataclass(frozen=True)
class Page(Generic[F]):
    entries: list[Entry[F]]
    next: Cursor | None
    previous: Cursor | None


def paginate(
    walk: Callable[[Key | None, bool], Iterator[Entry[F]]],
    cursor: Cursor | None,
    page_size: int,
    keep: Callable[[Entry[F]], bool],
) -> Page[F]:
    """One page of `walk` (records after/before the cursor) with the records `keep` accepts."""
    reverse = cursor is not None and cursor.reverse
    found: list[Entry[F]] = []
    for entry in walk(cursor.key if cursor else None, reverse):
        if keep(entry):
            found.append(entry)
            if len(found) > page_size:
                break
    more = len(found) > page_size
    entries = found[:page_size]
    if cursor is None or not cursor.reverse:
        after = Cursor(entries[-1].key) if more else None
        before = None
        if cursor is not None:
            before = Cursor(entries[0].key if entries else cursor.key, reverse=True)
        return Page(entries, after, before)
    entries.reverse()
    before = Cursor(entries[0].key, reverse=True) if more else None
    resume = entries[-1].key if entries else (cursor.key[0], cursor.key[1] - 1)
    return Page(entries, Cursor(resume), before)
