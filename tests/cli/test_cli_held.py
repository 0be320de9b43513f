"""`peoplesync held` and the hold setting, run as the real command against a fresh SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from peoplesync.accounts.service import get_account
from peoplesync.runs.service import start_run
from peoplesync.store.db import make_engine, session_factory, unit_of_work
from peoplesync.store.models import HeldChange
from tests.cli.test_cli import peoplesync, ready

__all__ = ["ready"]  # the fixture

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def hold_one(tmp_path: Path) -> int:
    """A held change of account 1, as an automated sync stores it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with unit_of_work(session_factory(engine)) as session:
        run = start_run(
            session, get_account(session, 1), trigger="automatic", source_kind="merge", now=NOW
        )
        session.flush()
        row = HeldChange(
            account_id=1,
            run_id=run.id,
            person_id="p" * 32,
            kind="update",
            label="Ada Lovelace <ada@acme.example>",
            changes=[["name", "Ada Lovelace", "Ada King", 0]],
            fingerprint="f",
            reason="privacy",
            why="Ada Lovelace <ada@acme.example>: Name and Email change at once.",
            status="held",
            created_at=NOW,
        )
        session.add(row)
        session.flush()
        held_id = row.id
    engine.dispose()
    return held_id


def test_held_list_and_discard(ready: Path) -> None:
    held_id = hold_one(ready)

    listed = peoplesync(ready, "held", "list", "--json")

    assert listed.returncode == 0, listed.stderr
    (found,) = json.loads(listed.stdout)["held"]
    assert (found["id"], found["reason"], found["status"]) == (held_id, "privacy", "held")
    table = peoplesync(ready, "held", "list")
    assert "Ada Lovelace" in table.stdout
    assert "Name and" in table.stdout  # the why, wrapped in its column
    usage = peoplesync(ready, "held", "release")
    assert usage.returncode == 2
    assert "--all" in usage.stdout + usage.stderr

    discarded = peoplesync(ready, "held", "discard", str(held_id), "--by", "ada@acme.example")

    assert discarded.returncode == 0, discarded.stderr
    assert "1 held change(s) discarded" in discarded.stdout
    assert "Nothing is held" in peoplesync(ready, "held", "list").stdout
    nothing = peoplesync(ready, "held", "release", "--all")
    assert nothing.returncode == 3
    assert "Nothing is held for review" in nothing.stdout + nothing.stderr


def test_accounts_set_switches_the_hold(ready: Path) -> None:
    off = peoplesync(ready, "accounts", "set", "--hold-whole-sync", "--json")
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout)["hold_per_person"] is False
    on = peoplesync(ready, "accounts", "set", "--hold-per-person")
    assert "a finding holds only the flagged people" in on.stdout
