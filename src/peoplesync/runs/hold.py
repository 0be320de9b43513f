"""Hold a person instead of the company (issue 17), where an automated sync's plan is stored.

With the account's `hold_per_person` on (the default), a privacy or mass-leaver finding on an
automated sync no longer blocks the run: the flagged people's changes (and every change that
cannot go without one of them, `core.hold`) wait on the "Held for review" list, and the rest
imports. A stale-source finding still blocks the whole run (nothing is right to import then).

What a later automated sync does with a change already decided or waiting:

    still held   the same change again (`core.hold.fingerprint`): it stays held, on its first
                 row; nobody is emailed twice for it
    kept out     the same change as one an admin discarded: it stays out, and the run says so
                 (a row `kept_out` on the run, counted as such). A discard is a decision about
                 that change: once the HRIS says something else for the person, the new change
                 is planned (and guarded) as usual. A manual sync shows it for review as ever,
                 so an admin can still push it through.
    superseded   a different change for a person with a held one: the new plan (made against
                 the directory as it is now) replaces it; so does a whole-company plan in
                 which the person no longer changes (the HRIS no longer says it)

While anything is held or kept out, the directory is not in step with the HRIS: the run does not
mark the mirror in step, so the next sync plans the whole company again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from peoplesync.core.guard import GuardReport
from peoplesync.core.hold import Hold, fingerprint, holdable, seeds, split
from peoplesync.core.plan import Plan
from peoplesync.store.models import Account, HeldChange, SyncRun
from peoplesync.store.plans import encode_changes
from peoplesync.store.snapshots import load_directory

log = structlog.get_logger(__name__)

HELD, RELEASED, DISCARDED = "held", "released", "discarded"
SUPERSEDED, STALE, KEPT_OUT = "superseded", "stale", "kept_out"
STILL_HELD = "still_held"


@dataclass(frozen=True, slots=True)
class HeldBack:
    """A plan with its held changes taken out: what imports, and how many of each kind wait."""

    plan: Plan
    counts: dict[str, int]


def hold_back(
    session: Session,
    account: Account,
    run: SyncRun,
    result: Plan,
    checked: GuardReport,
    *,
    whole: bool,
    now: datetime,
) -> HeldBack | None:
    """Take the held changes out of an automated run's plan and list them. None: the run goes
    as before (nothing to hold, or a finding that holds the whole run). `whole`: the plan covers
    the whole company (a person it does not change no longer changes)."""
    if checked.blocked and not holdable(checked):
        return None
    waiting = {r.fingerprint: r for r in open_rows(session, account.id, (HELD, DISCARDED))}
    found = seeds(result, checked) if checked.blocked else {}
    for item in result.changed():
        row = waiting.get(fingerprint(item))
        if row is not None:
            found.setdefault(item.person_id, (row.reason, row.why))
    directory = load_directory(session, account.id) if found else []
    parts = split(result, directory, found) if found else None
    held = parts.held if parts else ()
    known = {p.id: p.describe() for p in directory}  # labelled as the directory knows them
    counts = _record(session, run, held, waiting=waiting, known=known, now=now)
    _supersede(session, account, run, result, held, whole=whole)
    if not held:
        return None
    run.mirror_basis = None  # not in step with the HRIS while changes wait
    log.info("sync.hold.held", run_id=run.id, **counts)
    assert parts is not None
    return HeldBack(parts.imported, counts)


def _record(
    session: Session,
    run: SyncRun,
    held: Sequence[Hold],
    *,
    waiting: dict[str, HeldChange],
    known: dict[str, str],
    now: datetime,
) -> dict[str, int]:
    counts = dict.fromkeys((HELD, STILL_HELD, KEPT_OUT), 0)
    for hold in held:
        mark = fingerprint(hold.item)
        earlier = waiting.get(mark)
        if earlier is not None and earlier.status == HELD:
            counts[STILL_HELD] += 1
            continue
        status, why = HELD, hold.why
        if earlier is not None:
            status = KEPT_OUT
            why = (
                f"Discarded by {earlier.decided_by or 'an admin'} on "
                f"{earlier.decided_at:%Y-%m-%d}; the HRIS still says this, so it stays out."
            )
        counts[status] += 1
        label = known.get(hold.item.person_id, hold.item.label)
        session.add(_row(run, hold, label=label, mark=mark, status=status, why=why, now=now))
    session.flush()
    return counts


def _row(
    run: SyncRun, hold: Hold, *, label: str, mark: str, status: str, why: str, now: datetime
) -> HeldChange:
    item = hold.item
    return HeldChange(
        account_id=run.account_id,
        run_id=run.id,
        person_id=item.person_id,
        kind=item.kind.value,
        label=label[:900],
        changes=encode_changes(item.changes),
        fingerprint=mark,
        reason=hold.reason,
        why=why,
        status=status,
        created_at=now,
    )


def _supersede(
    session: Session,
    account: Account,
    run: SyncRun,
    result: Plan,
    held: Sequence[Hold],
    *,
    whole: bool,
) -> None:
    """Older held changes this plan replaces (see the module's docstring)."""
    kept = {fingerprint(h.item) for h in held}
    planned = {i.person_id for i in result.changed()}
    for row in open_rows(session, account.id, (HELD,)):
        if row.run_id == run.id or row.fingerprint in kept:
            continue
        if row.person_id in planned:
            row.status, row.note = SUPERSEDED, f"Sync {run.id} planned a newer change instead."
        elif whole and row.kind != "create":
            row.status, row.note = SUPERSEDED, f"Sync {run.id}: the HRIS no longer says this."


def open_rows(
    session: Session, account_id: int, statuses: Sequence[str] = (HELD,)
) -> list[HeldChange]:
    return list(
        session.scalars(
            select(HeldChange)
            .where(HeldChange.account_id == account_id, HeldChange.status.in_(statuses))
            .order_by(HeldChange.id)
        )
    )


def rows_of_run(session: Session, account_id: int, run_id: int) -> list[HeldChange]:
    """What a run held back or kept out (whatever became of each since)."""
    return list(
        session.scalars(
            select(HeldChange)
            .where(HeldChange.account_id == account_id, HeldChange.run_id == run_id)
            .order_by(HeldChange.id)
        )
    )
