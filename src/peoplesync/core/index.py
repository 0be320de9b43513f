"""Look-ups over a snapshot's records, built once and shared by validation and planning."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from peoplesync.core.employee import SourceEmployee, fold


@dataclass(frozen=True, slots=True)
class RecordIndex:
    email_keys: tuple[str | None, ...]
    by_email: dict[str, int]  # folded email -> first record carrying it
    by_source: dict[str, int]  # source ID -> first record carrying it
    manager: tuple[int | None, ...]  # each record's manager record, when it resolves

    @classmethod
    def build(cls, records: Sequence[SourceEmployee]) -> RecordIndex:
        keys = tuple(fold(r.email) if r.email else None for r in records)
        by_email: dict[str, int] = {}
        by_source: dict[str, int] = {}
        for i, rec in enumerate(records):
            if (key := keys[i]) is not None:
                by_email.setdefault(key, i)
            if rec.source_id:
                by_source.setdefault(rec.source_id, i)
        manager = tuple(_manager(r, by_email, by_source) for r in records)
        return cls(keys, by_email, by_source, manager)


def _manager(
    rec: SourceEmployee, by_email: dict[str, int], by_source: dict[str, int]
) -> int | None:
    if rec.manager_source_id:
        return by_source.get(rec.manager_source_id)
    if rec.manager_email:
        return by_email.get(fold(rec.manager_email))
    return None
