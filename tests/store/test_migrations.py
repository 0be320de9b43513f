"""Migrations are code under test: models and migrations agree on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Engine, inspect, text

from peoplesync.store.db import alembic_config, make_engine

# Account 1, as every schema version since 0001 holds it.
ACME = (
    "INSERT INTO accounts (id, name, created_at, directory_version, leaver_policy, timezone, "
    "auto_sync_enabled, auto_sync_time, leaver_threshold_share, redacted_fields) "
    "VALUES (1, 'Acme', '2026-11-25 10:00:00', 1, 'former', 'UTC', 0, '06:00', 0.1, '[]')"
)
# Its connection 1, as every schema version since 0001 holds it.
JUSTWORKS = (
    "INSERT INTO connections (id, account_id, provider, status, base_url, initial_sync, "
    "created_at) VALUES (1, 1, 'justworks', 'connected', 'http://merge.test', '{}', "
    "'2026-11-25 10:00:00')"
)


def test_models_and_migrations_agree(engine: Engine) -> None:
    command.check(alembic_config(engine))  # raises if autogenerate would find a difference


def test_every_table_has_an_account_or_a_parent_that_has_one(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names()) - {"alembic_version", "accounts"}
    scoped_by_parent = {"person_demographics", "plan_items", "source_records", "source_pending"}
    # Rows about a request before it is known to be anyone's: a Merge delivery is recognised as
    # a replay before its linked account is looked up; a failed sign-in is counted whether or
    # not the account and email tried exist.
    before_any_account = {"merge_webhook_receipts", "sign_in_failures"}
    for table in tables - scoped_by_parent - before_any_account:
        columns = {c["name"] for c in inspect(engine).get_columns(table)}
        assert "account_id" in columns, table


def test_pending_mirror_rows_move_to_their_own_table_and_back(tmp_path: Path) -> None:
    """0007 moves `source_records.pending_run` into `source_pending`; downgrading moves it back."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0006")
    with engine.begin() as db:
        db.execute(text(ACME))
        db.execute(text(JUSTWORKS))
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


def test_logins_become_unique_per_account_and_back(tmp_path: Path) -> None:
    """0009: the same address may then have a login in two accounts; the old failure counters
    go. Downgrading works while every address is unique across accounts again."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0007")
    account = (
        "INSERT INTO accounts (id, name, created_at, directory_version, leaver_policy, timezone, "
        "auto_sync_enabled, auto_sync_time, leaver_threshold_share, redacted_fields) VALUES "
        "({id}, '{name}', '2026-11-25 10:00:00', 1, 'former', 'UTC', 0, '06:00', 0.1, '[]')"
    )
    login = (
        "INSERT INTO logins (account_id, email, email_key, name, role, password_hash, created_at, "
        "failed_logins) VALUES ({account}, 'ada@x.example', 'ada@x.example', 'Ada', 'admin', "
        "'$argon2id$...', '2026-11-25 10:00:00', 3)"
    )
    with engine.begin() as db:
        db.execute(text(account.format(id=1, name="Acme")))
        db.execute(text(account.format(id=2, name="Beta")))
        db.execute(text(login.format(account=1)))
    command.upgrade(config, "head")
    with engine.begin() as db:
        db.execute(
            text(login.replace(", failed_logins", "").replace(", 3)", ")").format(account=2))
        )
        assert db.scalar(text("SELECT count(*) FROM logins WHERE email_key = 'ada@x.example'")) == 2
    assert "failed_logins" not in {c["name"] for c in inspect(engine).get_columns("logins")}
    with engine.begin() as db:
        db.execute(text("DELETE FROM logins WHERE account_id = 2"))
    command.downgrade(config, "0007")
    assert "failed_logins" in {c["name"] for c in inspect(engine).get_columns("logins")}


def test_people_already_stored_get_their_search_terms(tmp_path: Path) -> None:
    """0008 fills `person_search_terms` for the people stored before it; downgrading drops it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0007")
    with engine.begin() as db:
        db.execute(text(ACME))
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
        assert sorted(terms) == [  # the email is found by its key (0017)
            (1, "allen", "p1"),
            (1, "e1", "p1"),
            (1, "park", "p2"),
            (1, "zoe", "p2"),
        ]
    command.downgrade(config, "0007")
    assert "person_search_terms" not in inspect(engine).get_table_names()
    engine.dispose()


def test_connections_get_their_integration_and_keep_their_mirror_both_ways(tmp_path: Path) -> None:
    """0011: an existing connection is a Justworks one; downgrading drops the two columns and
    keeps the connection and its mirror rows (no table copy cascading through foreign keys)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0009")
    with engine.begin() as db:
        db.execute(text(ACME))
        db.execute(text(JUSTWORKS))
        db.execute(
            text(
                "INSERT INTO source_records (connection_id, source_id, record) "
                "VALUES (1, 'a', '[]')"
            )
        )
    command.upgrade(config, "0011")
    with engine.connect() as db:
        found = db.execute(text("SELECT integration_name, integration_slug FROM connections")).all()
    assert found == [("Justworks", "justworks")]
    command.downgrade(config, "0009")
    with engine.connect() as db:
        assert db.scalar(text("SELECT count(*) FROM connections")) == 1
        assert db.scalar(text("SELECT count(*) FROM source_records")) == 1
    engine.dispose()


def test_runs_say_which_run_they_undo_both_ways(engine: Engine) -> None:
    """0015: a run may undo another (issue 17); downgrading drops the column, upgrading brings
    it back, on both databases."""
    config = alembic_config(engine)

    def columns() -> set[str]:
        return {c["name"] for c in inspect(engine).get_columns("sync_runs")}

    assert "undoes_run_id" in columns()
    command.downgrade(config, "0011")
    assert "undoes_run_id" not in columns()
    command.upgrade(config, "head")
    assert "undoes_run_id" in columns()
    command.check(config)


def test_field_mappings_arrive_and_leave_keeping_connections_and_their_mirror(
    tmp_path: Path,
) -> None:
    """0013: a table of field mappings (none: the default mapping) and the connection's
    `mirror_mapping` (empty: the next sync fetches everything once); downgrading drops both and
    keeps the connection and its mirror rows."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0011")
    with engine.begin() as db:
        db.execute(text(ACME))
        db.execute(text(JUSTWORKS))
        db.execute(
            text(
                "INSERT INTO source_records (connection_id, source_id, record) "
                "VALUES (1, 'a', '[]')"
            )
        )
    command.upgrade(config, "0013")
    with engine.begin() as db:
        assert db.scalar(text("SELECT mirror_mapping FROM connections")) is None
        db.execute(
            text(
                "INSERT INTO field_mappings (account_id, source, mapping, updated_at) "
                "VALUES (1, 'merge', '{\"targets\": {}}', '2026-12-02 06:00:00')"
            )
        )
    command.downgrade(config, "0011")
    with engine.connect() as db:
        assert db.scalar(text("SELECT count(*) FROM connections")) == 1
        assert db.scalar(text("SELECT count(*) FROM source_records")) == 1
        tables = {r[0] for r in db.execute(text("SELECT name FROM sqlite_master")).all()}
    assert "field_mappings" not in tables
    engine.dispose()


def test_the_change_log_loses_its_account_key_and_gets_it_back(tmp_path: Path) -> None:
    """0016: the change log's account is a plain column (issue 16); its rows stay both ways."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0013")

    def keys() -> list[str]:
        return [k["referred_table"] for k in inspect(engine).get_foreign_keys("change_log")]

    assert keys() == ["accounts"]
    with engine.begin() as db:
        db.execute(text(ACME))
        db.execute(
            text(
                "INSERT INTO change_log (account_id, run_id, person_id, field, changed_at) "
                "VALUES (1, 7, 'p1', 'created', '2026-11-25 10:00:00')"
            )
        )
    command.upgrade(config, "head")
    assert keys() == []
    command.downgrade(config, "0013")
    assert keys() == ["accounts"]
    with engine.connect() as db:
        assert db.execute(text("SELECT account_id, person_id FROM change_log")).all() == [(1, "p1")]
    command.upgrade(config, "head")
    command.check(config)
    engine.dispose()


def test_emails_leave_the_search_terms_and_come_back(tmp_path: Path) -> None:
    """0017: an email is found by people.email_key, so its term goes, unless its accent-free
    form differs from its key; downgrading writes the email terms again."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0016")
    stamp = "'2026-11-25 10:00:00'"
    with engine.begin() as db:
        db.execute(text(ACME))
        db.execute(
            text(
                "INSERT INTO people (id, account_id, status, name, email, email_key, "
                "created_at, updated_at) VALUES "
                f"('p1', 1, 'active', 'Kristin Allen', 'K.Allen@acme.example', "
                f"'k.allen@acme.example', {stamp}, {stamp}), "
                f"('p2', 1, 'active', 'Zoë Park', 'zoë@acme.example', 'zoë@acme.example', "
                f"{stamp}, {stamp})"
            )
        )
        db.execute(text("DELETE FROM person_search_terms"))  # as 0016's code wrote them
        db.execute(
            text(
                "INSERT INTO person_search_terms (account_id, term, person_id) VALUES "
                "(1, 'allen', 'p1'), (1, 'kristin', 'p1'), (1, 'k.allen@acme.example', 'p1'), "
                "(1, 'park', 'p2'), (1, 'zoe@acme.example', 'p2')"
            )
        )

    def terms() -> list[tuple[str, str]]:
        with engine.connect() as db:
            found = db.execute(text("SELECT term, person_id FROM person_search_terms"))
            return sorted((term, person) for term, person in found)

    command.upgrade(config, "head")
    assert terms() == [
        ("allen", "p1"),
        ("kristin", "p1"),
        ("park", "p2"),
        ("zoe@acme.example", "p2"),  # "zoe" finds Zoë, whose key starts "zoë"
    ]
    command.downgrade(config, "0016")
    assert terms() == [
        ("allen", "p1"),
        ("k.allen@acme.example", "p1"),
        ("kristin", "p1"),
        ("park", "p2"),
        ("zoe@acme.example", "p2"),
    ]
    engine.dispose()


def test_people_lose_their_foreign_keys_and_get_them_back(tmp_path: Path) -> None:
    """0018: a person's account and manager are plain columns (issue 16), checked by the
    directory's writes; the people and who they report to stay both ways."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0017")

    def keys() -> list[tuple[str, list[str]]]:
        found = inspect(engine).get_foreign_keys("people")
        return sorted((k["referred_table"], k["constrained_columns"]) for k in found)

    assert keys() == [("accounts", ["account_id"]), ("people", ["manager_id"])]
    stamp = "'2026-11-25 10:00:00'"
    with engine.begin() as db:
        db.execute(text(ACME))
        db.execute(
            text(
                "INSERT INTO people (id, account_id, status, name, manager_id, created_at, "
                f"updated_at) VALUES ('boss', 1, 'active', 'Ada', NULL, {stamp}, {stamp}), "
                f"('p1', 1, 'active', 'Ben', 'boss', {stamp}, {stamp})"
            )
        )

    def people() -> list[tuple[str, str | None]]:
        with engine.connect() as db:
            return sorted((i, m) for i, m in db.execute(text("SELECT id, manager_id FROM people")))

    command.upgrade(config, "head")
    assert keys() == []
    assert people() == [("boss", None), ("p1", "boss")]
    command.downgrade(config, "0017")
    assert keys() == [("accounts", ["account_id"]), ("people", ["manager_id"])]
    assert people() == [("boss", None), ("p1", "boss")]
    command.upgrade(config, "head")
    command.check(config)
    engine.dispose()


def test_plan_items_lose_their_run_key_and_get_it_back(tmp_path: Path) -> None:
    """0019: a plan item's run is a plain column (issue 16); the stored plan stays both ways."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0018")

    def keys() -> list[str]:
        return [k["referred_table"] for k in inspect(engine).get_foreign_keys("plan_items")]

    assert keys() == ["sync_runs"]
    with engine.begin() as db:
        db.execute(text(ACME))
        db.execute(
            text(
                "INSERT INTO sync_runs (id, account_id, trigger, state, source_kind, counts, "
                "issues, findings, confirmations, timings, progress, created_at) VALUES (7, 1, "
                "'manual', 'awaiting_review', 'csv', '{}', '[]', '[]', '[]', '{}', '{}', "
                "'2026-11-25 10:00:00')"
            )
        )
        db.execute(
            text(
                "INSERT INTO plan_items (run_id, seq, kind, person_id, label, label_key, "
                "changes) VALUES (7, 0, 'create', 'p1', 'Ada', 'ada', '{}')"
            )
        )

    def items() -> list[tuple[int, int, str]]:
        with engine.connect() as db:
            found = db.execute(text("SELECT run_id, seq, person_id FROM plan_items"))
            return [(r, s, p) for r, s, p in found]

    command.upgrade(config, "head")
    assert keys() == []
    assert items() == [(7, 0, "p1")]
    command.downgrade(config, "0018")
    assert keys() == ["sync_runs"]
    assert items() == [(7, 0, "p1")]
    command.upgrade(config, "head")
    command.check(config)
    engine.dispose()


def test_the_mirror_loses_its_connection_key_and_gets_it_back(tmp_path: Path) -> None:
    """0020: a mirror row's connection is a plain column (issue 16); the pending rows keep
    their key; the mirror's rows and look-up indexes stay both ways."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0019")

    def keys(table: str) -> list[str]:
        return [k["referred_table"] for k in inspect(engine).get_foreign_keys(table)]

    def indexes() -> list[str]:
        return sorted(i["name"] or "" for i in inspect(engine).get_indexes("source_records"))

    looked_up = indexes()
    assert keys("source_records") == ["connections"]
    assert "ix_source_records_email" in looked_up
    with engine.begin() as db:
        db.execute(text(ACME))
        db.execute(text(JUSTWORKS))
        db.execute(
            text(
                "INSERT INTO source_records (connection_id, source_id, record, email_key) "
                "VALUES (1, 'a', '[]', 'ada@acme.test')"
            )
        )

    def rows() -> list[tuple[int, str, str]]:
        with engine.connect() as db:
            found = db.execute(
                text("SELECT connection_id, source_id, email_key FROM source_records")
            )
            return [(c, s, e) for c, s, e in found]

    command.upgrade(config, "head")
    assert keys("source_records") == []
    assert keys("source_pending") == ["connections"]
    assert indexes() == looked_up
    assert rows() == [(1, "a", "ada@acme.test")]
    command.downgrade(config, "0019")
    assert keys("source_records") == ["connections"]
    assert indexes() == looked_up
    assert rows() == [(1, "a", "ada@acme.test")]
    command.upgrade(config, "head")
    command.check(config)
    engine.dispose()
