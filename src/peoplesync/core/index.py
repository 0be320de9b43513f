"""Look-ups over a snapshot's records, built once and shared by validation and planning."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from peoplesync.core.employee import EMAIL_AT, EMPLOYEE_ID_AT, SourceEmployee, fold


@dataclass(frozen=True, slots=True)
class RecordIndex:
    email_keys: tuple[str | None, ...]  # folded (core.identity's rule)
    employee_keys: tuple[str | None, ...]  # trimmed (core.identity.employee_key)
    by_email: dict[str, int]  # folded email -> first record carrying it
    by_source: dict[str, int]  # source ID -> first record carrying it
    manager: tuple[int | None, ...]  # each record's manager record, when it resolves

    @classmethod
    def build(cls, records: Sequence[SourceEmployee]) -> RecordIndex:
        email_keys: list[str | None] = []
        employee_keys: list[str | None] = []
        add_email, add_employee = email_keys.append, employee_keys.append
        by_email: dict[str, int] = {}
        by_source: dict[str, int] = {}
        for i, rec in enumerate(records):
            values = rec.values
            email = values[EMAIL_AT]
            if email:
                key = email.strip().casefold()  # type: ignore[union-attr]
                add_email(key)
                by_email.setdefault(key, i)
            else:
                add_email(None)
            eid = values[EMPLOYEE_ID_AT]
            add_employee(eid.strip() or None if eid else None)  # type: ignore[union-attr]
            if sid := rec.source_id:
                by_source.setdefault(sid, i)
        manager: list[int | None] = []
        for r in records:
            if m := r.manager_source_id:
                manager.append(by_source.get(m))
            elif r.manager_email:
                manager.append(by_email.get(fold(r.manager_email)))
            else:
                manager.append(None)
        return cls(tuple(email_keys), tuple(employee_keys), by_email, by_source, tuple(manager))
