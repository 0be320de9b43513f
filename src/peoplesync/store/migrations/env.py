"""Alembic environment: the engine is handed in by peoplesync.store.db (never built here)."""

from __future__ import annotations

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Engine

from peoplesync.store.models import Base, UTCDateTime


def render_item(kind: str, obj: object, _autogen: AutogenContext) -> str | Literal[False]:
    """Render our UTCDateTime as the plain column type it stores (migrations stay standalone)."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):  # pragma: no cover - a misuse, not a runtime path
    raise RuntimeError("run migrations through peoplesync.store.db.migrate(engine)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
