"""Side effects wait for the commit: run after it, dropped on rollback, failures only logged."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from structlog.testing import capture_logs

from peoplesync.store.db import unit_of_work
from peoplesync.store.effects import AfterCommit, after_commit
from tests.jobs.world import World


def test_effects_run_after_the_commit_in_order(embedded: World) -> None:
    done: list[str] = []
    with unit_of_work(embedded.factory) as session:
        session.execute(text("SELECT 1"))
        after_commit(session, "first", lambda: done.append("first"))
        after_commit(session, "second", lambda: done.append("second"))
        assert done == []
    assert done == ["first", "second"]


def test_effects_are_dropped_on_rollback(embedded: World) -> None:
    done: list[str] = []

    def fail_after_asking() -> None:
        with unit_of_work(embedded.factory) as session:
            session.execute(text("SELECT 1"))
            after_commit(session, "email", lambda: done.append("sent"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_after_asking()
    assert done == []


def test_a_failed_savepoint_keeps_the_effects_of_the_unit_of_work(embedded: World) -> None:
    done: list[str] = []
    with unit_of_work(embedded.factory) as session:
        session.execute(text("SELECT 1"))
        after_commit(session, "kept", lambda: done.append("kept"))
        with pytest.raises(ValueError, match="inner"), session.begin_nested():
            raise ValueError("inner")
    assert done == ["kept"]


def test_a_failing_effect_is_logged_and_the_rest_still_run(embedded: World) -> None:
    done: list[str] = []

    def broken() -> None:
        raise OSError("smtp down")

    with capture_logs() as logs, unit_of_work(embedded.factory) as session:
        session.execute(text("SELECT 1"))
        after_commit(session, "broken", broken)
        after_commit(session, "fine", lambda: done.append("fine"))
    assert done == ["fine"]
    assert {"event": "effects.failed", "effect": "broken", "error": "OSError"}.items() <= logs[
        0
    ].items()
    assert len(AfterCommit.of(session)) == 0
