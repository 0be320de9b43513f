"""Whole syncs from a source, shared by the CLI, the web app and the workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from peoplesync.accounts.service import local_today
from peoplesync.core.issues import ValidationReport
from peoplesync.errors import CsvFormatError
from peoplesync.runs.service import PlanOutcome, fail_run, plan_run, start_run
from peoplesync.runs.states import RunState
from peoplesync.sources.csv_source import parse_csv
from peoplesync.store.models import Account


def plan_csv(
    session: Session,
    account: Account,
    data: bytes,
    *,
    now: datetime,
    source_name: str | None = None,
    actor: str | None = None,
) -> PlanOutcome:
    """Start a CSV run and plan it. A malformed file leaves a failed run saying where."""
    run = start_run(
        session,
        account,
        trigger="csv",
        source_kind="csv",
        source_name=source_name,
        actor=actor,
        now=now,
    )
    try:
        parsed = parse_csv(data, redacted=frozenset(account.redacted_fields))
    except CsvFormatError as error:
        fail_run(run, error.admin_message(), now)
        return PlanOutcome(
            run.id, RunState.FAILED, ValidationReport(()), None, error.admin_message()
        )
    return plan_run(
        session,
        account,
        run,
        parsed.snapshot,
        today=local_today(account, now),
        now=now,
        source_issues=parsed.issues,
    )
