"""Migrations are code under test: models and migrations agree on both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect

from peoplesync.store.db import alembic_config


def test_models_and_migrations_agree(engine: Engine) -> None:
    command.check(alembic_config(engine))  # raises if autogenerate would find a difference


def test_every_table_has_an_account_or_a_parent_that_has_one(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names()) - {"alembic_version", "accounts"}
    scoped_by_parent = {"person_demographics", "plan_items", "source_records"}
    for table in tables - scoped_by_parent:
        columns = {c["name"] for c in inspect(engine).get_columns(table)}
        assert "account_id" in columns, table
