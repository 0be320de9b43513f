"""0014 up and down on both databases: the hold setting (on for existing accounts) and the held
changes' table, each removed again without touching what an account owns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from peoplesync.store.db import alembic_config, make_engine
from tests.support import postgres_schema

ACCOUNT = (
    "INSERT INTO accounts (id, name, created_at, directory_version, leaver_policy, timezone, "
    "auto_sync_enabled, auto_sync_time, leaver_threshold_share, redacted_fields) VALUES "
    "(1, 'Acme', '2026-11-25 10:00:00', 1, 'former', 'UTC', false, '06:00', 0.2, '[]')"
)


@pytest.fixture(params=["sqlite", "postgres"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (a migration test moves the schema up and down)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    with postgres_schema("peoplesync_mig") as engine:
        yield engine


def test_the_hold_setting_and_held_changes_go_up_and_down(blank: Engine) -> None:
    config = alembic_config(blank)
    command.upgrade(config, "0015")
    with blank.begin() as db:
        db.execute(text(ACCOUNT))
    command.upgrade(config, "0014")
    with blank.connect() as db:
        assert db.scalar(text("SELECT hold_per_person FROM accounts")) in {True, 1}  # noqa: B033 - SQLite answers 1, PostgreSQL True
    assert "held_changes" in inspect(blank).get_table_names()

    command.downgrade(config, "0015")

    assert "held_changes" not in inspect(blank).get_table_names()
    columns = {c["name"] for c in inspect(blank).get_columns("accounts")}
    assert "hold_per_person" not in columns
    with blank.connect() as db:
        assert db.scalar(text("SELECT count(*) FROM accounts")) == 1
    command.upgrade(config, "head")
