"""Small builders for guard tests: directory people, source records, a plan between them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from peoplesync.core.employee import Person, PersonStatus, SourceEmployee, SourceSnapshot
from peoplesync.core.fields import CORE_FIELDS
from peoplesync.core.guard import GuardReport, SourceState, guard
from peoplesync.core.plan import Plan, plan
from peoplesync.core.policy import SyncPolicy

TODAY = date(2026, 11, 25)


def person(n: int, **kw: object) -> Person:
    base = Person.of(
        f"p{n}",
        PersonStatus.ACTIVE,
        source_id=f"s{n}",
        employee_id=f"E{n}",
        name=f"Person {n}",
        email=f"person{n}@acme.example",
        birth_date=date(1980, 1, 1 + n % 28),
        start_date=date(2020, 1, 1),
    )
    return base.changed(**kw)


def record(p: Person, **kw: object) -> SourceEmployee:
    """The source's record of directory person `p`, with `kw` changed."""
    base = SourceEmployee.of(
        f"employee {p.source_id}",
        source_id=p.source_id,
        employee_id=p.employee_id,
        name=p.name,
        email=p.email,
        birth_date=p.birth_date,
        start_date=p.start_date,
    )
    return base.changed(**kw)


def snapshot(*records: SourceEmployee, provided: Sequence[str] = CORE_FIELDS) -> SourceSnapshot:
    return SourceSnapshot(
        records=records,
        provided=frozenset(provided) - {"manager"},
        demographic_names=frozenset({"Gender"}),
        kind="merge",
    )


def planned(directory: Sequence[Person], *records: SourceEmployee) -> Plan:
    return plan(snapshot(*records), directory, import_date=TODAY)


def check(
    directory: Sequence[Person],
    *records: SourceEmployee,
    share: float = 0.2,
    count: int = 5,
    redacted: frozenset[str] = frozenset(),
    source: SourceState | None = None,
) -> GuardReport:
    return guard(
        planned(directory, *records),
        directory,
        policy=SyncPolicy(leaver_share=share, leaver_count=count, redacted=redacted),
        source_state=source,
    )
