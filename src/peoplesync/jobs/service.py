"""Ask for background work from a request or a command: checked now, enqueued after the commit.

The web app and the API call these inside their unit of work; the task is enqueued only once it
commits (dropped on rollback). What can be refused at once is refused here, with the reason: an
account whose run is active, a connection that cannot sync, an apply that needs a confirmation.
Two requests racing past these checks still make one run: the database allows one active run per
account, and the task that loses logs it and stops.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from peoplesync.connections import service as connections
from peoplesync.errors import ConflictError, ImportBlockedError, RunActiveError
from peoplesync.jobs.effects import after_commit
from peoplesync.jobs.tasks import Jobs
from peoplesync.runs.service import active_run, get_run
from peoplesync.runs.states import RunState
from peoplesync.sources.csv_source import without_columns
from peoplesync.store.models import Account


def ensure_idle(session: Session, account_id: int) -> None:
    active = active_run(session, account_id)
    if active is not None and active.state != RunState.AWAITING_REVIEW:
        raise RunActiveError(
            f"A sync is already running for this account (run {active.id}, "
            f"{active.state.replace('_', ' ')}).",
            hint="Wait for it to finish, then sync again.",
            run_id=active.id,
        )


def request_sync(
    session: Session, jobs: Jobs, account: Account, *, actor: str | None, trigger: str = "manual"
) -> None:
    """A sync from the connected HRIS, in the background (the run page polls for it)."""
    ensure_idle(session, account.id)
    connections.ensure_syncable(connections.get_connection(session, account.id))
    account_id = account.id
    after_commit(session, "jobs.sync", lambda: jobs.enqueue_sync(account_id, trigger, actor))


def request_csv_plan(
    session: Session,
    jobs: Jobs,
    account: Account,
    data: bytes,
    *,
    source_name: str | None,
    actor: str | None,
) -> None:
    """Plan an uploaded file in the background. Redacted columns are cut before it is queued."""
    ensure_idle(session, account.id)
    kept = without_columns(data, frozenset(account.redacted_fields))
    account_id = account.id
    after_commit(
        session, "jobs.csv", lambda: jobs.enqueue_csv_plan(account_id, kept, source_name, actor)
    )


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
    run = get_run(session, account.id, run_id)
    if run.state != RunState.AWAITING_REVIEW:
        raise ConflictError(
            f"Run {run_id} is {run.state.replace('_', ' ')}, not awaiting review.",
            hint="Start a new sync.",
        )
    if run.findings and not confirm:
        raise ImportBlockedError(
            f"Run {run_id} has {len(run.findings)} safeguard finding(s) to confirm first.",
            hint="Review the flagged people; confirm to push the changes through.",
            run_id=run_id,
        )
    account_id = account.id
    after_commit(
        session,
        "jobs.apply",
        lambda: jobs.enqueue_apply(account_id, run_id, actor, confirm=confirm),
    )
