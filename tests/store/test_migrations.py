"""Migrations are code under test: models and migrations agree on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Engine, inspect, text

from peoplesync.store.db import alembic_config, make_engine


def test_models_and_migrations_agree(engine: Engine) -> None:
    command.check(alembic_config(engine))  # raises if autogenerate would find a difference


def test_every_table_has_an_account_or_a_parent_that_has_one(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names()) - {"alembic_version", "accounts"}
    scoped_by_parent = {"person_demographics", "plan_items", "source_records", "source_pending"}
    for table in tables - scoped_by_parent:
        columns = {c["name"] for c in inspect(engine).get_columns(table)}
        assert "account_id" in columns, table


def test_pending_mirror_rows_move_to_their_own_table_and_back(tmp_path: Path) -> None:
    """0007 moves `source_records.pending_run` into `source_pending`; downgrading moves it back."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0006")
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO accounts (id, name, created_at, directory_version, leaver_policy, "
                "timezone, auto_sync_enabled, auto_sync_time, leaver_threshold_share, "
                "redacted_fields) VALUES (1, 'Acme', '2026-11-25 10:00:00', 1, 'former', 'UTC', "
                "0, '06:00', 0.1, '[]')"
            )
        )
        db.execute(
            text(
                "INSERT INTO connections (id, account_id, provider, status, base_url, "
                "initial_sync, created_at) VALUES (1, 1, 'justworks', 'connected', "
                "'http://merge.test', '{}', '2026-11-25 10:00:00')"
            )
        )
        db.execute(
            text(
                "INSERT INTO source_records (connection_id, source_id, record, pending_run) "
                "VALUES (1, 'kept', '[]', NULL), (1, 'changed', '[]', 7), (1, 'gone', NULL, 8)"
            )
        )
    command.upgrade(config, "head")
    with engine.connect() as db:
        pending = db.execute(text("SELECT source_id, run_id FROM source_pending")).all()
        mirrored = db.scalar(text("SELECT count(*) FROM source_records"))
    assert sorted(pending) == [("changed", 7), ("gone", 8)]
    assert mirrored == 3
    command.downgrade(config, "0006")
    with engine.connect() as db:
        rows = db.execute(text("SELECT source_id, pending_run FROM source_records")).all()
    assert sorted(rows) == [("changed", 7), ("gone", 8), ("kept", None)]
    engine.dispose()


def test_people_already_stored_get_their_search_terms(tmp_path: Path) -> None:
    """0008 fills `person_search_terms` for the people stored before it; downgrading drops it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0007")
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO accounts (id, name, created_at, directory_version, leaver_policy, "
                "timezone, auto_sync_enabled, auto_sync_time, leaver_threshold_share, "
                "redacted_fields) VALUES (1, 'Acme', '2026-11-25 10:00:00', 1, 'former', 'UTC', "
                "0, '06:00', 0.1, '[]')"
            )
        )
        db.execute(
            text(
                "INSERT INTO people (id, account_id, status, name, email, employee_id, "
                "created_at, updated_at) VALUES "
                "('p1', 1, 'active', 'Kristin Allen', 'kristin.allen@acme.example', 'E1', "
                "'2026-11-25 10:00:00', '2026-11-25 10:00:00'), "
                "('p2', 1, 'active', 'Zoë Park', NULL, NULL, "
                "'2026-11-25 10:00:00', '2026-11-25 10:00:00')"
            )
        )
    command.upgrade(config, "head")
    with engine.connect() as db:
        terms = db.execute(text("SELECT account_id, term, person_id FROM person_search_terms"))
        assert sorted(terms) == [
            (1, "allen", "p1"),
            (1, "e1", "p1"),
            (1, "kristin.allen@acme.example", "p1"),
            (1, "park", "p2"),
            (1, "zoe", "p2"),
        ]
    command.downgrade(config, "0007")
    assert "person_search_terms" not in inspect(engine).get_table_names()
    engine.dispose()
