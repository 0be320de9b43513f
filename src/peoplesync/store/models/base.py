"""The models' common ground: the metadata and its naming convention, the column types."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeEngine

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


class EncodedJSON(TypeDecorator[Any]):
    """JSON that peoplesync encodes itself (orjson) and nothing reads inside in SQL on
    PostgreSQL: kept there as text, which the server stores as it comes, where its json type
    parses every value again to check it (a first import's 100,000 plan items, COPY into a
    bare table, 3 runs: 0.30-0.45 s as json, 0.16-0.23 s as text). SQLite keeps JSON as text
    anyway, and reads into it (store/creates.py, json_extract). The bulk paths write encoded
    text and read `CAST(... AS TEXT)` on both; the ORM gets the decoded value on both."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(Text() if dialect.name == "postgresql" else JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if dialect.name == "postgresql" and value is not None:
            return orjson.dumps(value).decode()
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if dialect.name == "postgresql" and value is not None:
            return orjson.loads(value)
        return value


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
