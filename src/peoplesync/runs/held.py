"""The "Held for review" list (issue 17): release a held change, or discard it.

    release   checked against the directory as it is now, never applied blindly: a change whose
              person moved since it was held (a field no longer has the value the change found)
              is refused as stale, saying which fields, and leaves the list (the next sync plans
              that person again, against the directory as it is then); a change that cannot go
              without another held one (`core.hold`: an email still someone else's, a manager
              whose creation is held, a reporting loop) is refused and stays held, saying what
              it waits for. The rest imports as one run of its own (trigger `release`), through
              the same apply as every sync: one transaction, the change log, the history.
    discard   the directory keeps what it has. What that means for later syncs: `runs.hold`.

Each function works in the caller's transaction; `release_held` is the unit of work around
release, with the run's webhooks told after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session

from peoplesync.accounts.service import get_account
from peoplesync.core.fields import FIELD_LABELS
from peoplesync.core.hold import split, stale_fields
from peoplesync.core.plan import ChangeKind, Plan, PlannedChange
from peoplesync.core.states import RunState
from peoplesync.errors import ConflictError, NotFoundError
from peoplesync.runs.hold import DISCARDED, HELD, RELEASED, STALE, open_rows
from peoplesync.runs.service import apply_run, move, start_run
from peoplesync.runs.sync import Syncs
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import Account, HeldChange, SyncRun
from peoplesync.store.plans import decode_changes, save_plan
from peoplesync.store.snapshots import load_directory

log = structlog.get_logger(__name__)

REASON_WORDS = {
    "privacy": "identity change",
    "mass_leaver": "one of many leavers",
    "dependency": "waits for another held change",
}
STATUS_WORDS = {
    "held": "Held for review",
    "released": "Released",
    "discarded": "Discarded",
    "superseded": "Replaced by a later sync",
    "stale": "Not released: the directory changed",
    "kept_out": "Kept out (discarded earlier)",
}


@dataclass(frozen=True, slots=True)
class Released:
    """What a release did: the run that imported (None: nothing did), and what it refused."""

    run_id: int | None
    released: tuple[int, ...] = ()
    refused: dict[int, str] = field(default_factory=dict)  # held change id -> why

    def summary(self) -> str:
        said = f"{len(self.released)} held change(s) released (sync {self.run_id})."
        if not self.released:
            said = "Nothing was released."
        return " ".join([said, *(f"Held change {i}: {why}" for i, why in self.refused.items())])


def item_of(row: HeldChange) -> PlannedChange:
    return PlannedChange(
        ChangeKind(row.kind), row.person_id, row.label, decode_changes(row.changes)
    )


def chosen(session: Session, account_id: int, ids: Sequence[int] | None) -> list[HeldChange]:
    """The held changes `ids` (None: every one), each still waiting."""
    rows = open_rows(session, account_id, (HELD,))
    if ids is None:
        return rows
    by_id = {r.id: r for r in rows}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NotFoundError(
            f"Held change {missing[0]} is not waiting for review in this account.",
            hint="It may have been released, discarded or replaced by a later sync: see the "
            "Held for review list.",
        )
    return [by_id[i] for i in dict.fromkeys(ids)]


def release(
    session: Session,
    account: Account,
    ids: Sequence[int] | None,
    *,
    actor: str | None,
    now: datetime,
) -> Released:
    """Import the chosen held changes that still apply (see the module's docstring)."""
    rows = chosen(session, account.id, ids)
    if not rows:
        raise ConflictError("Nothing is held for review.", hint="There is nothing to release.")
    people = load_directory(session, account.id)
    by_id = {p.id: p for p in people}
    refused: dict[int, str] = {}
    fresh: list[HeldChange] = []
    for row in rows:
        stale = stale_fields(item_of(row), by_id.get(row.person_id))
        if stale:
            refused[row.id] = _stale(row, stale, now=now, actor=actor)
        else:
            fresh.append(row)
    parts = split(Plan(now.date(), tuple(item_of(r) for r in fresh)), people, {})
    waits = {h.item.person_id: h.why for h in parts.held}
    going = [r for r in fresh if r.person_id not in waits]
    for row in fresh:
        if row.person_id in waits:
            refused[row.id] = f"Not released: {waits[row.person_id]} Release it with that change."
    if not going:
        return Released(None, refused=refused)
    run_id = _import(session, account, going, actor=actor, now=now)
    for row in going:
        row.status, row.decided_by, row.decided_at = RELEASED, actor, now
        row.outcome_run_id = run_id
    log.info("held.released", run_id=run_id, released=len(going), refused=len(refused))
    return Released(run_id, tuple(r.id for r in going), refused)


def _stale(row: HeldChange, fields: Sequence[str], *, now: datetime, actor: str | None) -> str:
    named = ", ".join(FIELD_LABELS.get(f, f) for f in fields)
    why = (
        f"Not released: {row.label} changed in the directory since this was held ({named}). "
        "The next sync plans them again against the directory as it is then."
    )
    row.status, row.note, row.decided_by, row.decided_at = STALE, why, actor, now
    return why


def _import(
    session: Session,
    account: Account,
    rows: Sequence[HeldChange],
    *,
    actor: str | None,
    now: datetime,
) -> int:
    """One run of its own, through the same state table and apply as a sync."""
    origins = sorted({r.run_id for r in rows})
    origin = session.get(SyncRun, origins[0])
    run = start_run(
        session,
        account,
        trigger="release",
        source_kind=origin.source_kind if origin else "merge",
        source_name="Held changes of sync " + ", ".join(str(i) for i in origins),
        actor=actor,
        now=now,
    )
    move(run, RunState.PLANNING, now)
    items = tuple(item_of(r) for r in rows)
    run.import_date = now.date()
    run.base_version = account.directory_version
    run.counts = {"errors": 0, "warnings": 0, **Plan(now.date(), items).counts()}
    save_plan(session, run.id, items)
    move(run, RunState.AWAITING_REVIEW, now)
    apply_run(session, account, run, now=now, actor=actor)
    return run.id


def discard(
    session: Session,
    account: Account,
    ids: Sequence[int] | None,
    *,
    actor: str | None,
    now: datetime,
) -> list[int]:
    """The directory keeps what it has; later syncs keep this exact change out (`runs.hold`)."""
    rows = chosen(session, account.id, ids)
    for row in rows:
        row.status, row.decided_by, row.decided_at = DISCARDED, actor, now
        row.note = (
            "Discarded: the directory keeps what it has. Later automated syncs keep this change "
            "out (and say so) while the HRIS says the same."
        )
    log.info("held.discarded", account_id=account.id, discarded=len(rows))
    return [r.id for r in rows]


def release_held(
    syncs: Syncs, account_id: int, ids: Sequence[int] | None, *, actor: str | None
) -> Released:
    """`release` as its own unit of work; the account's webhooks hear of the run it made."""
    with unit_of_work(syncs.env.factory) as session:
        done = release(
            session, get_account(session, account_id), ids, actor=actor, now=syncs.env.clock()
        )
    if done.run_id is not None:
        syncs.conclude(account_id, done.run_id)
    return done


def held_view(row: HeldChange) -> dict[str, Any]:
    """A held change as the pages and the API show it (no value of a redacted field is ever
    stored in a plan, so none is here)."""
    return {
        "id": row.id,
        "run_id": row.run_id,
        "person_id": row.person_id,
        "kind": row.kind,
        "label": row.label,
        "reason": row.reason,
        "reason_label": REASON_WORDS.get(row.reason, row.reason),
        "why": row.why,
        "status": row.status,
        "status_label": STATUS_WORDS.get(row.status, row.status),
        "fields": [FIELD_LABELS.get(c[0], c[0]) for c in row.changes],
        "decided_by": row.decided_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "released_by_run": row.outcome_run_id,
        "note": row.note,
        "held_at": row.created_at.isoformat(),
    }
