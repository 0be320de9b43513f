"""Side effects that wait for the commit: enqueued tasks, emails, webhooks.

A unit of work collects them in `AfterCommit.of(session)`; they run once the session's outermost
transaction commits and are dropped if it rolls back. A failing effect is logged, never raised:
the data it follows is already committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = structlog.get_logger(__name__)

_KEY = "peoplesync.after_commit"


class AfterCommit:
    """The effects buffered by one session (see the module docstring)."""

    def __init__(self) -> None:
        self._actions: list[tuple[str, Callable[[], Any]]] = []

    @classmethod
    def of(cls, session: Session) -> AfterCommit:
        found = session.info.get(_KEY)
        if isinstance(found, AfterCommit):
            return found
        buffer = cls()
        session.info[_KEY] = buffer
        event.listen(session, "after_commit", buffer._run)
        event.listen(session, "after_soft_rollback", buffer._drop)
        return buffer

    def add(self, name: str, action: Callable[[], Any]) -> None:
        self._actions.append((name, action))

    def __len__(self) -> int:
        return len(self._actions)

    def _run(self, session: Session) -> None:
        if session.in_nested_transaction():  # a savepoint released: the transaction goes on
            return
        actions, self._actions = self._actions, []
        for name, action in actions:
            try:
                action()
            except Exception as err:  # the commit stands: the failure is logged, not raised
                log.error("effects.failed", effect=name, error=type(err).__name__, detail=str(err))

    def _drop(self, _session: Session, previous: SessionTransaction) -> None:
        if previous.parent is None and self._actions:
            log.info("effects.dropped", count=len(self._actions))
            self._actions.clear()


def after_commit(session: Session, name: str, action: Callable[[], Any]) -> None:
    """Run `action` once `session` commits (dropped if it rolls back)."""
    AfterCommit.of(session).add(name, action)
