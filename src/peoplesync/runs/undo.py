"""Undo an import (issue 17): plan the reverse of a run's changes as a run of its own.

The undo is a manual run like any other: planned here (from the change log, validated by the
rules every import meets), stored and guarded by `record_plan`, reviewed, and imported by
`apply_run` (which refuses a plan the directory moved past). It is refused, naming the people,
when later changes (another import, an admin's edit) concern the people the run changed: their
before-values are no longer what the undo would put back over.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.accounts.service import get_account, local_today
from peoplesync.core.states import RunState
from peoplesync.core.undo import LoggedPerson, check_undo, reverse
from peoplesync.errors import ConflictError
from peoplesync.people.service import labels
from peoplesync.runs.service import Laps, Planned, get_run, move
from peoplesync.store.changelog import LaterChange, changed_after, last_row, run_changes
from peoplesync.store.db import reading, unit_of_work
from peoplesync.store.models import Account, SyncRun
from peoplesync.store.snapshots import load_directory


class SyncEnvLike(Protocol):
    """What the plan stage needs of the sync use case's environment (runs/sync.py's SyncEnv)."""

    @property
    def factory(self) -> sessionmaker[Session]: ...

    def clock(self) -> datetime: ...


MAX_NAMED = 10  # a refusal names at most this many people, then says how many more
TRIGGER = "undo"  # an undo is a manual run: it waits for review


def undone_by(session: Session, run: SyncRun) -> SyncRun | None:
    """The undo that reversed `run` (a succeeded run saying it undoes it), if any."""
    return session.scalar(
        select(SyncRun).where(
            SyncRun.account_id == run.account_id,
            SyncRun.undoes_run_id == run.id,
            SyncRun.state == RunState.SUCCEEDED,
        )
    )


def undoers(session: Session, account_id: int, run_ids: Collection[int]) -> dict[int, int]:
    """Of these runs, the undone ones: run id -> the undo that reversed it (one query)."""
    if not run_ids:
        return {}
    rows = session.execute(
        select(SyncRun.undoes_run_id, SyncRun.id).where(
            SyncRun.account_id == account_id,
            SyncRun.undoes_run_id.in_(list(run_ids)),
            SyncRun.state == RunState.SUCCEEDED,
        )
    )
    return {int(undone): int(undo) for undone, undo in rows if undone is not None}


def undoable(session: Session, account_id: int, run: SyncRun) -> list[LoggedPerson]:
    """What `run` changed, when it can be undone; else why not (a `ConflictError`)."""
    if run.state != RunState.SUCCEEDED:
        raise ConflictError(
            f"Sync {run.id} is {run.state.replace('_', ' ')}: only an imported sync can be undone.",
            hint="Nothing of it was imported, so there is nothing to undo.",
            run_id=run.id,
        )
    if (undo := undone_by(session, run)) is not None:
        raise ConflictError(
            f"Sync {run.id} was already undone by sync {undo.id}.",
            hint=f"To import its changes again, undo sync {undo.id}.",
            run_id=run.id,
        )
    logged = run_changes(session, account_id, run.id)
    if not logged:
        raise ConflictError(
            f"Sync {run.id} changed nothing in the directory: there is nothing to undo.",
            hint="Choose a sync that imported changes.",
            run_id=run.id,
        )
    _refuse_later_changes(session, account_id, run, logged)
    return logged


def _refuse_later_changes(
    session: Session, account_id: int, run: SyncRun, logged: list[LoggedPerson]
) -> None:
    created = [p.person_id for p in logged if p.created]
    later = changed_after(
        session,
        account_id,
        last_row(session, account_id, run.id),
        [p.person_id for p in logged],
        created,
    )
    if not later:
        return
    names = labels(session, account_id, {c.person_id for c in later})
    named = ", ".join(_named(c, names) for c in later[:MAX_NAMED])
    more = f" and {len(later) - MAX_NAMED} more" if len(later) > MAX_NAMED else ""
    raise ConflictError(
        f"Sync {run.id} cannot be undone: later changes concern {len(later)} of the people it "
        f"changed: {named}{more}.",
        hint="Undo the later syncs first (the newest first), or correct these people by hand.",
        run_id=run.id,
    )


def _named(change: LaterChange, names: dict[str, str]) -> str:
    who = names.get(change.person_id, "a person no longer in the directory")
    if change.run_id is not None:
        return f"{who} (sync {change.run_id})"
    return f"{who} (edited by {change.actor})" if change.actor else f"{who} (edited)"


def check(factory: sessionmaker[Session], account_id: int, run_id: int) -> str:
    """Refuse (raise) to undo a run that cannot be; else its source kind (the undo's: people it
    creates again come from that source)."""
    with reading(factory) as session:
        run = get_run(session, account_id, run_id)
        undoable(session, account_id, run)
        return run.source_kind


def plan_stage(account_id: int, undo_id: int, env: SyncEnvLike, run_id: int) -> Planned:
    """The sync use case's plan stage of an undo: the run says which run it undoes, then the
    reverse is planned (only reads: no write lock while it computes)."""
    with unit_of_work(env.factory) as session:
        undo = get_run(session, account_id, undo_id)
        undo.undoes_run_id = run_id
        move(undo, RunState.PLANNING, env.clock())
    with reading(env.factory) as session:
        account = get_account(session, account_id)
        today = local_today(account, env.clock())
        return plan_undo(session, account, get_run(session, account_id, run_id), today=today)


def plan_undo(session: Session, account: Account, run: SyncRun, *, today: date) -> Planned:
    """The reverse of `run` against the directory now, validated; refused (raised) when it
    cannot be undone. Only reads."""
    clock = Laps()
    version = account.directory_version
    logged = undoable(session, account.id, run)
    directory = load_directory(session, account.id)
    clock.lap("load_directory")
    result = reverse(logged, directory, today)
    clock.lap("plan")
    report = check_undo(directory, result, today)
    clock.lap("validate")
    return Planned(report, result, directory, None, version, today, clock.timings)
