"""Alembic environment: the engine is handed in by peoplesync.store.db (never built here)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, Engine, Text
from sqlalchemy.types import TypeEngine

from peoplesync.store.models import Base, UTCDateTime
from peoplesync.store.models.base import EncodedJSON


def render_item(kind: str, obj: object, _autogen: AutogenContext) -> str | Literal[False]:
    """Render our UTCDateTime as the plain column type it stores (migrations stay standalone)."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def compare_type(
    ctx: MigrationContext,
    _inspected_column: object,
    _metadata_column: object,
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """EncodedJSON is compared as the type it stores on this database (text on PostgreSQL);
    every other type the usual way (None)."""
    if isinstance(metadata_type, EncodedJSON):
        wanted = Text if ctx.dialect.name == "postgresql" else JSON
        return not isinstance(inspected_type, wanted)
    return None


config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):  # pragma: no cover - a misuse, not a runtime path
    raise RuntimeError("run migrations through peoplesync.store.db.migrate(engine)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        compare_type=compare_type,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
