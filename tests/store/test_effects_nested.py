"""Effects wait for the outermost commit: a savepoint released on the way (SQLAlchemy reports
it as a commit too) does not run them early."""

from __future__ import annotations

from sqlalchemy import Engine, text

from peoplesync.store.db import session_factory, unit_of_work
from peoplesync.store.effects import after_commit


def test_a_released_savepoint_does_not_run_the_effects(engine: Engine) -> None:
    ran: list[str] = []
    with unit_of_work(session_factory(engine)) as session:
        after_commit(session, "first", lambda: ran.append("first"))
        with session.begin_nested():
            session.execute(text("SELECT 1"))
        assert ran == []  # the savepoint is released; the transaction is not committed
        with session.begin_nested():
            after_commit(session, "second", lambda: ran.append("second"))
        assert ran == []
    assert ran == ["first", "second"]
