"""Whom a finished stage of a sync concerns: the admins' email of an automated run that stopped
(blocked, failed, the connection lost) or imported with changes held back (issue 17)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from peoplesync.connections import service as connections
from peoplesync.core.states import RunState
from peoplesync.notify.service import Notifier
from peoplesync.runs import hris
from peoplesync.runs.hold import rows_of_run
from peoplesync.runs.service import AUTOMATED_TRIGGERS
from peoplesync.store.models import Account, SyncRun


def tell_admins(
    session: Session, notifier: Notifier, account: Account, run: SyncRun, now: datetime
) -> None:
    """The admins' email about an automated run, if it needs one (sent after the commit)."""
    if run.trigger not in AUTOMATED_TRIGGERS:
        return
    if run.state == RunState.BLOCKED:
        notifier.run_blocked(session, account, run, now)
    elif run.state == RunState.SUCCEEDED and run.counts.get("held"):
        notifier.run_held(session, account, run, rows_of_run(session, account.id, run.id), now)
    elif run.state == RunState.FAILED:
        lost = hris.lost_connection(session, account.id)
        if lost is not None:
            provider = connections.PROVIDERS.get(lost.provider, lost.provider)
            notifier.reconnect_needed(session, account, provider, lost.status_detail, now)
        else:
            notifier.run_failed(session, account, run, now)
