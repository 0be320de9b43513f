"""Connections to an HRIS, the mirror of what it sent, and records waiting to be planned."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from peoplesync.store.models.base import (
    Base,
    EncodedJSON,
)


class Connection(Base):
    """An account's HRIS connection (Justworks through Merge). Secrets are Fernet-encrypted."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("account_id", "provider"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(50))  # the integration's slug: justworks...
    status: Mapped[str] = mapped_column(String(30))  # connected, initial_sync, reconnect_needed...
    status_detail: Mapped[str | None] = mapped_column(Text)
    base_url: Mapped[str] = mapped_column(String(500))
    api_key_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    account_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    linked_account_id: Mapped[str | None] = mapped_column(String(100))
    integration_name: Mapped[str | None] = mapped_column(String(200))  # Merge's, e.g. BambooHR
    integration_slug: Mapped[str | None] = mapped_column(String(100))  # e.g. bamboohr
    supported_fields: Mapped[list[Any] | None] = mapped_column(default=None)
    initial_sync: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_fetch_started_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    # When the directory is in step with the mirror (but for its pending rows): the directory
    # version and import date the last applied sync left, and what that sync compared.
    in_step: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # The key of the field mapping the mirror's records were mapped with (core/mapping.py): a
    # sync under another mapping fetches everything again.
    mirror_mapping: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column()


class FieldMappingRow(Base):
    """An account's field mapping and exclusion rule for one source ("merge": the connected
    HRIS; "file": uploads), as core/mapping.py's JSON. No row: the source's default mapping."""

    __tablename__ = "field_mappings"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column()
    updated_by: Mapped[str | None] = mapped_column(String(320))


class SourceRecord(Base):
    """The source mirror: the last mapped record of every source employee of a connection.

    Beside the record, the values an incremental plan looks records up by (see core/delta.py).
    A deleted employee stays as a row without a record until a plan takes the deletion in.

    No foreign key to its connection, for the same bulk-write reason as PlanItem: a first fetch
    of 100,000 writes 100,000 rows, and PostgreSQL's per-row check of the connection cost a
    fifth of the mirror's write. Nothing deletes a connection: switching or disconnecting it
    deletes its mirror rows (connections/service.py, runs/disconnect.py).
    """

    __tablename__ = "source_records"
    __table_args__ = (
        Index("ix_source_records_email", "connection_id", "email_key"),
        Index("ix_source_records_employee", "connection_id", "employee_key"),
        Index("ix_source_records_manager", "connection_id", "manager_source_id"),
        Index("ix_source_records_end_date", "connection_id", "end_date"),
    )

    connection_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    record: Mapped[list[Any] | None] = mapped_column(EncodedJSON)  # store/mirror.py record_to_json
    email_key: Mapped[str | None] = mapped_column(String(320))
    employee_key: Mapped[str | None] = mapped_column(String(255))
    manager_source_id: Mapped[str | None] = mapped_column(String(255))
    end_date: Mapped[date | None] = mapped_column(Date)


class PendingRecord(Base):
    """A mirror row the directory has not taken in yet, and the last run that changed it.

    A table of its own, small, rather than a column of the mirror: taking rows in then deletes
    a few rows here instead of rewriting a page of the mirror for every changed employee.
    Its key to the connection stays: only incremental syncs write here, a few rows at a time.
    """

    __tablename__ = "source_pending"
    __table_args__ = (Index("ix_source_pending_run", "connection_id", "run_id"),)

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer)


# --- Automation: outbox, webhooks ---
