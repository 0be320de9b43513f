"""Sync runs, their stored plans and the change log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from peoplesync.core.states import RunState
from peoplesync.store.models.base import (
    _ACTIVE_SQL,
    Base,
    EncodedJSON,
    StrEnumType,
)


class SyncRun(Base):
    """One sync: the import history entry. At most one active run per account (partial index)."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        Index(
            "uq_sync_runs_one_active",
            "account_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        Index("ix_sync_runs_account_created", "account_id", "created_at"),
        Index("ix_sync_runs_undoes", "undoes_run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL")
    )
    trigger: Mapped[str] = mapped_column(String(20))  # manual, automatic, csv, cli, webhook
    source_kind: Mapped[str] = mapped_column(String(20))  # csv, merge
    source_name: Mapped[str | None] = mapped_column(String(500))  # file name or provider
    started_by: Mapped[str | None] = mapped_column(String(320))
    state: Mapped[RunState] = mapped_column(StrEnumType(RunState, 20))
    blocked_reason: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    import_date: Mapped[date | None] = mapped_column(Date)
    base_version: Mapped[int | None] = mapped_column(Integer)
    mirror_basis: Mapped[str | None] = mapped_column(String(64))  # what an HRIS plan compared
    # A partial import (a file of only some people): nobody leaves.
    partial: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # An undo (issue 17): the run whose changes it reverses (a plain column: runs are pruned).
    undoes_run_id: Mapped[int | None] = mapped_column(Integer)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    issues: Mapped[list[Any]] = mapped_column(default=list)
    findings: Mapped[list[Any]] = mapped_column(default=list)  # guard findings (issue 5)
    confirmations: Mapped[list[Any]] = mapped_column(default=list)  # who pushed what through
    timings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class PlanItem(Base):
    """The durable plan: one row per planned change (unchanged people are only counted).

    No foreign key to its run, for the same bulk-write reason as PersonDemographic: a first
    import of 100,000 stores 100,000 items, and PostgreSQL's per-row check of the run cost a
    third of storing them. Only store/plans.py writes them, for the run in hand.
    """

    __tablename__ = "plan_items"
    __table_args__ = (
        Index("ix_plan_items_run_kind", "run_id", "kind", "seq"),
        Index("ix_plan_items_run_person", "run_id", "person_id"),
    )

    run_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(900))
    label_key: Mapped[str] = mapped_column(String(900))  # folded label, for search
    # [[field, before, after, demographic], ...]; a create planned from its record in the
    # compact form {"values": ..., "demographics": ..., "status": ..., "keys": ...}
    # (store.plans.stored_changes), whose fields store/creates.py reads on SQLite.
    changes: Mapped[list[Any] | dict[str, Any]] = mapped_column(EncodedJSON)


class ChangeLog(Base):
    """One row per changed field: the person's history.

    No foreign keys, for the same bulk-write reason as PersonDemographic: a first import of
    100,000 people writes 100,000 rows, and PostgreSQL's per-row check of the account alone
    cost about 9% of the whole apply (3 interleaved pairs: 13.4 -> 12.1 s on average, a slow
    host). Person, run and account are plain columns; a run may be pruned while its history
    stays.
    """

    __tablename__ = "change_log"
    __table_args__ = (
        Index("ix_change_log_person", "person_id", "id"),
        Index("ix_change_log_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(Integer)
    person_id: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(320))
    changed_at: Mapped[datetime] = mapped_column()


class HeldChange(Base):
    """A change an automated sync held back for an admin (issue 17): one person's whole planned
    change, why it waits, and what became of it.

        held        waits on the "Held for review" list
        released    imported, by the run `outcome_run_id`
        discarded   the admin said no: the directory keeps what it has (`runs.held`)
        superseded  a later sync planned this person again (its own change replaces this one)
        stale       the directory moved past it before it was released (`note` says how)
        kept_out    a later sync found the same change again and kept it out: it was discarded
    """

    __tablename__ = "held_changes"
    __table_args__ = (
        Index("ix_held_changes_account_status", "account_id", "status", "id"),
        Index("ix_held_changes_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(900))
    changes: Mapped[list[Any]] = mapped_column()  # [[field, before, after, demographic], ...]
    fingerprint: Mapped[str] = mapped_column(Text)  # core.hold.fingerprint: the same change again
    reason: Mapped[str] = mapped_column(String(40))  # privacy, mass_leaver, dependency
    why: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None] = mapped_column()
    outcome_run_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
