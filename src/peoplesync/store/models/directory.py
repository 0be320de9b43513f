"""The directory: accounts, people (a column per core field), demographics, search terms."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from peoplesync.core.employee import LeaverPolicy, PersonStatus
from peoplesync.core.fields import FIELDS, CoreField, Kind
from peoplesync.store.models.base import (
    Base,
    StrEnumType,
    UTCDateTime,
)


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
    # An automated sync's safeguard finding holds only the flagged people (issue 17).
    hold_per_person: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


def _field_column(field: CoreField) -> Column[Any]:
    """The people table's column for a core field, from its kind and length. A person (the
    manager) is a person id of the same account, checked once an import is written
    (store/hierarchy.py `check_managers`), not by a foreign key row by row."""
    if field.kind is Kind.PERSON:
        return Column(field.column, String(32))
    if field.kind is Kind.DATE:
        return Column(field.column, Date)
    return Column(field.column, String(field.max_length))


# The directory: a column per core field (core/fields.py), beside the keys the directory is
# searched and matched by. No foreign keys, for the same bulk-write reason as
# PersonDemographic: PostgreSQL checked each row of a first import against its account and its
# manager, about a second each at 100,000 people (issue 16). The directory module is the only
# writer, with the account in hand; it checks the managers an import names in one pass.
people_table = Table(
    "people",
    Base.metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", Integer, nullable=False),
    Column("status", StrEnumType(PersonStatus, 20), nullable=False),
    Column("source_id", String(255)),
    *(_field_column(f) for f in FIELDS),
    Column("name_key", String(500)),  # folded, for search and sorting
    # Folded: the match key, and a search's range (store/search_terms.py), so compared
    # bytewise on PostgreSQL as on SQLite.
    Column("email_key", String(320).with_variant(String(320, collation="C"), "postgresql")),
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
