"""ORM models, all in one module so relationships never make import cycles.

Every row belongs to an account. Relationships are `lazy="raise"`: eager loads are stated in the
query. Constraint names follow one convention (SQLite batch migrations need it).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from peoplesync.core.employee import LeaverPolicy, PersonStatus
from peoplesync.core.fields import FIELDS, CoreField, Kind
from peoplesync.core.states import RunState

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# States in which a run still holds its account's one active slot (see runs/states.py).
ACTIVE_RUN_STATES = ("queued", "fetching", "planning", "awaiting_review", "applying")
_ACTIVE_SQL = "state IN ('queued', 'fetching', 'planning', 'awaiting_review', 'applying')"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: peoplesync stores aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


E = TypeVar("E", bound=enum.StrEnum)


class StrEnumType(TypeDecorator[E]):
    """A string enum kept as its plain value (a VARCHAR, as the migrations made it) and read back
    as the enum; a value outside the enum is refused on the way in."""

    impl = String
    cache_ok = True

    def __init__(self, enum_type: type[E], length: int) -> None:
        super().__init__(length)
        self.enum_type = enum_type

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_type(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum_type(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute by name
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UTCDateTime,
    }


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column()
    # Bumped by every change to the directory; a plan made against an older version is refused.
    directory_version: Mapped[int] = mapped_column(Integer, default=0)
    leaver_policy: Mapped[LeaverPolicy] = mapped_column(
        StrEnumType(LeaverPolicy, 20), default=LeaverPolicy.FORMER
    )
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    auto_sync_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_sync_time: Mapped[str] = mapped_column(String(5), default="02:00")
    # Mass-leaver guard: more leavers than this share of active people and at least this count.
    leaver_threshold_share: Mapped[float] = mapped_column(default=0.2)
    leaver_threshold_count: Mapped[int | None] = mapped_column(Integer, default=5)  # None: 5
    redacted_fields: Mapped[list[Any]] = mapped_column(default=list)


def _field_column(field: CoreField) -> Column[Any]:
    """The people table's column for a core field, from its kind and length."""
    if field.kind is Kind.PERSON:
        return Column(field.column, ForeignKey("people.id", deferrable=True, initially="DEFERRED"))
    if field.kind is Kind.DATE:
        return Column(field.column, Date)
    return Column(field.column, String(field.max_length))


# The directory: a column per core field (core/fields.py), beside the keys the directory is
# searched and matched by.
people_table = Table(
    "people",
    Base.metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("status", StrEnumType(PersonStatus, 20), nullable=False),
    Column("source_id", String(255)),
    *(_field_column(f) for f in FIELDS),
    Column("name_key", String(500)),  # folded, for search and sorting
    Column("email_key", String(320)),  # folded: the match key
    Column("source_kind", String(20)),  # csv, merge, manual
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("account_id", "email_key"),
    UniqueConstraint("account_id", "source_id"),
    Index("ix_people_account_status", "account_id", "status"),
    Index("ix_people_account_name", "account_id", "name_key", "id"),  # the Users order
    Index("ix_people_account_employee", "account_id", "employee_id"),
)


class Person(Base):
    __table__ = people_table

    if TYPE_CHECKING:  # the columns code reads by name (each core field is a column)
        id: Mapped[str]
        account_id: Mapped[int]
        status: Mapped[PersonStatus]
        source_id: Mapped[str | None]
        employee_id: Mapped[str | None]
        name: Mapped[str | None]
        name_key: Mapped[str | None]
        preferred_name: Mapped[str | None]
        email: Mapped[str | None]
        email_key: Mapped[str | None]
        birth_date: Mapped[date | None]
        start_date: Mapped[date | None]
        end_date: Mapped[date | None]
        manager_id: Mapped[str | None]
        source_kind: Mapped[str | None]
        created_at: Mapped[datetime]
        updated_at: Mapped[datetime]


class Demographic(Base):
    __tablename__ = "demographics"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()


class PersonDemographic(Base):
    """A person's value for one demographic.

    No foreign keys here, by choice: a 100,000-person import writes 300,000 of these rows, and
    PostgreSQL's per-row key checks tripled the cost of the whole apply. The directory module is
    the only writer; deleting a demographic or an account deletes these rows explicitly.
    """

    __tablename__ = "person_demographics"
    __table_args__ = (Index("ix_person_demographics_value", "demographic_id", "value"),)

    person_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    demographic_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class PersonSearchTerm(Base):
    """A word a person is found by (see store/search_terms.py): one B-tree range per search word.

    The key is the whole row, led by (account, term) for the search; a person's terms are found
    again by recomputing them. No foreign keys, for the same bulk-write reason as
    PersonDemographic; without a rowid on SQLite, the key is the table. PostgreSQL compares
    terms bytewise ("C"), so a prefix range holds exactly the terms with that prefix, whatever
    the database's collation.
    """

    __tablename__ = "person_search_terms"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 - SQLAlchemy's own attribute

    account_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term: Mapped[str] = mapped_column(
        String(100).with_variant(String(100, collation="C"), "postgresql"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(String(32), primary_key=True)


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
    """The durable plan: one row per planned change (unchanged people are only counted)."""

    __tablename__ = "plan_items"
    __table_args__ = (
        Index("ix_plan_items_run_kind", "run_id", "kind", "seq"),
        Index("ix_plan_items_run_person", "run_id", "person_id"),
    )

    run_id: Mapped[int] = mapped_column(
        ForeignKey("sync_runs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(900))
    label_key: Mapped[str] = mapped_column(String(900))  # folded label, for search
    changes: Mapped[list[Any]] = mapped_column()  # [[field, before, after, demographic], ...]


class ChangeLog(Base):
    """One row per changed field: the person's history.

    Only the account is a foreign key: person and run are plain indexed columns, for the same
    bulk-write reason as PersonDemographic (and a run may be pruned while its history stays).
    """

    __tablename__ = "change_log"
    __table_args__ = (
        Index("ix_change_log_person", "person_id", "id"),
        Index("ix_change_log_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(Integer)
    person_id: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(320))
    changed_at: Mapped[datetime] = mapped_column()


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
    created_at: Mapped[datetime] = mapped_column()


class SourceRecord(Base):
    """The source mirror: the last mapped record of every source employee of a connection.

    Beside the record, the values an incremental plan looks records up by (see core/delta.py).
    A deleted employee stays as a row without a record until a plan takes the deletion in.
    """

    __tablename__ = "source_records"
    __table_args__ = (
        Index("ix_source_records_email", "connection_id", "email_key"),
        Index("ix_source_records_employee", "connection_id", "employee_key"),
        Index("ix_source_records_manager", "connection_id", "manager_source_id"),
        Index("ix_source_records_end_date", "connection_id", "end_date"),
    )

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    record: Mapped[list[Any] | None] = mapped_column()  # connections.mirror.MIRROR_FIELDS
    email_key: Mapped[str | None] = mapped_column(String(320))
    employee_key: Mapped[str | None] = mapped_column(String(255))
    manager_source_id: Mapped[str | None] = mapped_column(String(255))
    end_date: Mapped[date | None] = mapped_column(Date)


class PendingRecord(Base):
    """A mirror row the directory has not taken in yet, and the last run that changed it.

    A table of its own, small, rather than a column of the mirror: taking rows in then deletes
    a few rows here instead of rewriting a page of the mirror for every changed employee.
    """

    __tablename__ = "source_pending"
    __table_args__ = (Index("ix_source_pending_run", "connection_id", "run_id"),)

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer)


# --- Automation: outbox, webhooks ---


class EmailMessage(Base):
    """An email to an account's admins: written in the unit of work that caused it (the outbox),
    sent over SMTP after the commit, or kept here for the admin to read (embedded default)."""

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_account_created", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))  # run_blocked, run_failed, reconnect_needed
    sender: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # outbox, pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()


class NotificationRecipient(Base):
    """Who gets an account's emails (its admins' addresses)."""

    __tablename__ = "notification_recipients"
    __table_args__ = (UniqueConstraint("account_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column()


class WebhookEndpoint(Base):
    """An account's outgoing webhook: events are POSTed, signed with HMAC-SHA256 of the body."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (UniqueConstraint("account_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(1000))
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    events: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column()


class WebhookDelivery(Base):
    """One event for one endpoint; the body is stored as sent, so every retry signs the same."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()


class MergeWebhookReceipt(Base):
    """A `LinkedAccount.sync_completed` delivery received from Merge, by the SHA-256 of its
    signed body: the same delivery again is not acted on (kept for a week; no account of its
    own, since a replay is recognised before its linked account is looked up)."""

    __tablename__ = "merge_webhook_receipts"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class AutoSyncMark(Base):
    """The local day an account's daily auto-sync last started: never twice the same day."""

    __tablename__ = "auto_sync_marks"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    local_date: Mapped[date] = mapped_column(Date)
    enqueued_at: Mapped[datetime] = mapped_column()


class AuditEvent(Base):
    """Account-level history beyond sync runs: auto-sync switched, fields redacted and purged."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str | None] = mapped_column(String(320))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column()


# --- Web access: logins, their sessions, API tokens ------------------------------------------


class Login(Base):
    """Someone who signs in to the web app: an account administrator or a plain user."""

    __tablename__ = "logins"
    # One login per address in an account; the same address may sign in to several accounts
    # (an account cannot learn, nor take, an address another account uses).
    __table_args__ = (UniqueConstraint("account_id", "email_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320))  # folded; one login per address
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin | user
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    person_id: Mapped[str | None] = mapped_column(String(32))  # their own directory record
    created_at: Mapped[datetime] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    login_id: Mapped[int] = mapped_column(ForeignKey("logins.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()


class SignInFailure(Base):
    """A failed sign-in or a wrong API token, kept for the brake's window (access/throttle.py).
    No account of its own: a failure is counted before anything says whose it would be."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_client", "kind", "client", "failed_at"),
        Index("ix_sign_in_failures_target", "target", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # sign_in | api_token
    client: Mapped[str] = mapped_column(String(64))  # the client's address
    target: Mapped[str | None] = mapped_column(String(64))  # digest of the account + email tried
    failed_at: Mapped[datetime] = mapped_column()


class ApiToken(Base):
    """An account's API token: shown once at creation, stored as its SHA-256."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists, to tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
