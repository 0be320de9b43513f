"""Put people into a test account's directory the way production does: a planned, applied run."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peoplesync.accounts.service import local_today
from peoplesync.core.employee import SourceEmployee, SourceSnapshot
from peoplesync.core.fields import CORE_FIELDS
from peoplesync.core.states import RunState
from peoplesync.runs import service as runs
from peoplesync.store.models import Account, ChangeLog, SyncRun
from peoplesync.store.models import Person as PersonRow
from tests.support import NOW


def rec(n: int, **fields: Any) -> SourceEmployee:
    values: dict[str, Any] = {
        "location": f"employee {n}",
        "source_id": f"src-{n}",
        "employee_id": f"E{n:03d}",
        "name": f"Person {n}",
        "email": f"person{n}@acme.example",
        "start_date": date(2020, 1, 1),
        "manager_source_id": "src-1" if n != 1 else None,
        "demographics": {"Department": "Engineering" if n % 2 else "Sales"},
    }
    values.update(fields)
    return SourceEmployee.of(**values)


def snap(*records: SourceEmployee) -> SourceSnapshot:
    names = frozenset(name for r in records for name in r.demographics)
    return SourceSnapshot(
        records=records,
        provided=frozenset(CORE_FIELDS),
        demographic_names=names,
        complete=True,
        kind="merge",
    )


def plan(session: Session, account: Account, snapshot: SourceSnapshot) -> SyncRun:
    """Start and plan a run, leaving it for review (not applied)."""
    run = runs.start_run(session, account, trigger="manual", source_kind="merge", now=NOW)
    runs.plan_run(session, account, run, snapshot, today=local_today(account, NOW), now=NOW)
    session.flush()
    return run


def sync(session: Session, account: Account, snapshot: SourceSnapshot) -> SyncRun:
    """Plan and apply a run (confirming any guard findings), as an admin would."""
    run = plan(session, account, snapshot)
    if run.state == RunState.AWAITING_REVIEW:
        runs.apply_run(session, account, run, now=NOW, confirm=True)
    session.flush()
    assert run.state == RunState.SUCCEEDED, run.error
    return run


def people(session: Session, account: Account) -> dict[str, PersonRow]:
    """The account's people by source ID."""
    rows = session.scalars(select(PersonRow).where(PersonRow.account_id == account.id))
    return {p.source_id or p.id: p for p in rows}


def version(session: Session, account_id: int) -> int:
    found = session.scalar(select(Account.directory_version).where(Account.id == account_id))
    assert found is not None
    return found


def log_count(session: Session, account_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(ChangeLog).where(ChangeLog.account_id == account_id)
        )
        or 0
    )


def at(hour: int) -> datetime:
    return NOW.replace(hour=hour)
