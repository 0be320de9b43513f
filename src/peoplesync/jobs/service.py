"""Ask for background work from a request: checked and started now, enqueued after the commit.

The web app and the API call these inside their unit of work. What can be refused at once is
refused here, with the reason: an account whose run is active, a connection that cannot sync, an
apply that is not possible or needs a confirmation. A sync's run is started here, queued, so
every accepted request has a run (its page and the API can follow it from the first moment);
the task continues it, through the sync use case (runs/sync.py). The database allows one active
run per account, so two requests racing past these checks still make one run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from peoplesync.connections import service as connections
from peoplesync.core.states import RunState
from peoplesync.runs.files import import_mode
from peoplesync.runs.service import (
    active_run,
    already_running,
    ensure_applicable,
    get_run,
    start_run,
)
from peoplesync.sources.files import without_columns
from peoplesync.store.effects import after_commit
from peoplesync.store.models import Account


class _Clocked(Protocol):
    @property
    def clock(self) -> Callable[[], datetime]: ...


class Jobs(Protocol):
    """What a request needs of the queue (`jobs.tasks.Jobs` is it): the time, and the tasks to
    enqueue. The tasks start syncs through this module too (the daily fan-out)."""

    @property
    def runtime(self) -> _Clocked: ...

    def enqueue_sync(
        self,
        account_id: int,
        trigger: str = "manual",
        actor: str | None = None,
        run_id: int | None = None,
        *,
        full: bool = False,
        delay: float = 0.0,
    ) -> None: ...

    def enqueue_csv_plan(
        self,
        account_id: int,
        data: bytes,
        source_name: str | None,
        actor: str | None,
        run_id: int | None = None,
        *,
        sheet: str | None = None,
    ) -> None: ...

    def enqueue_apply(
        self, account_id: int, run_id: int, actor: str | None, *, confirm: bool = False
    ) -> None: ...


def ensure_idle(session: Session, account_id: int) -> None:
    active = active_run(session, account_id)
    if active is not None and active.state != RunState.AWAITING_REVIEW:
        raise already_running(active)


def request_sync(
    session: Session,
    jobs: Jobs,
    account: Account,
    *,
    actor: str | None,
    trigger: str = "manual",
    full: bool = False,
    replace_waiting: bool = False,
    delay: float = 0.0,
) -> int:
    """A sync from the connected HRIS, in the background (`full`: refetch every employee, not
    only what changed), its task taken up `delay` seconds from now. Returns its (queued) run's
    id. A run waiting for review refuses (`ReviewWaitingError`) unless `replace_waiting`."""
    ensure_idle(session, account.id)
    connection = connections.get_connection(session, account.id)
    connections.ensure_syncable(connection)
    run = start_run(
        session,
        account,
        trigger=trigger,
        source_kind="merge",
        source_name=connections.PROVIDERS[connection.provider],
        actor=actor,
        now=jobs.runtime.clock(),
        connection_id=connection.id,
        replace_waiting=replace_waiting,
    )
    session.flush()
    account_id, run_id = account.id, run.id
    after_commit(
        session,
        "jobs.sync",
        lambda: jobs.enqueue_sync(account_id, trigger, actor, run_id, full=full, delay=delay),
    )
    return run_id


def request_csv_plan(
    session: Session,
    jobs: Jobs,
    account: Account,
    data: bytes,
    *,
    source_name: str | None,
    actor: str | None,
    partial: bool | None = None,
    replace_hris: bool = False,
    sheet: str | None = None,
) -> int:
    """Plan an uploaded file (CSV or XLSX: `sheet`) in the background; returns its run's id.
    `partial` None: the account's default (runs/files.py); a full import beside a connected HRIS
    needs `replace_hris`. Redacted columns are cut before the file is queued. A run waiting for
    review is replaced (and says so)."""
    ensure_idle(session, account.id)
    is_partial = import_mode(session, account.id, partial=partial, replace_hris=replace_hris)
    run = start_run(
        session,
        account,
        trigger="csv",
        source_kind="csv",
        source_name=source_name,
        actor=actor,
        now=jobs.runtime.clock(),
        replace_waiting=True,
    )
    run.partial = is_partial
    session.flush()
    kept = without_columns(data, frozenset(account.redacted_fields), sheet=sheet)
    account_id, run_id = account.id, run.id
    after_commit(
        session,
        "jobs.csv",
        lambda: jobs.enqueue_csv_plan(account_id, kept, source_name, actor, run_id, sheet=sheet),
    )
    return run_id


def request_apply(
    session: Session,
    jobs: Jobs,
    account: Account,
    run_id: int,
    *,
    actor: str | None,
    confirm: bool = False,
) -> None:
    """Import a reviewed run in the background. A run with guard findings needs `confirm`."""
    ensure_applicable(get_run(session, account.id, run_id), confirm=confirm)
    account_id = account.id
    after_commit(
        session,
        "jobs.apply",
        lambda: jobs.enqueue_apply(account_id, run_id, actor, confirm=confirm),
    )
