"""The directory's hierarchy, checked once an import is written: every manager named is a
person of the account, and nobody reports to a person removed (store/directory.py writes,
store/plans.py calls this after the last chunk)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, NoReturn

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from peoplesync.errors import ImportBlockedError
from peoplesync.store.bulk import chunks

WHOLE_CHECK = 2_000  # managers named and people removed, above which one pass is quicker


def check_managers(
    session: Session,
    account_id: int,
    managers: Collection[str],
    removed: Collection[str],
    *,
    whole: bool = False,
) -> None:
    """After an import is written, before it commits: every manager it named is a person of
    this account, and nobody reports to a person it removed; else the whole import is refused.

    This is the people table's hierarchy key, checked once for the import rather than row by
    row: a foreign key made PostgreSQL check each of a 100,000-person first import's rows on
    its own, which cost about a second (issue 16). An import that names a few managers looks
    them up; a big one (a first import) checks the whole account in one pass: a set
    difference, which both databases run by hashing or sorting whatever their statistics say
    (an anti-join, planned on the statistics of a table still empty, went row by row: 18 s).
    `whole`: check the whole account, whatever was named (the caller stopped counting)."""
    if whole or len(managers) + len(removed) > WHOLE_CHECK:
        if missing := session.scalar(_DANGLING, {"a": account_id}):
            _refuse_hierarchy(session.execute(_REPORTS, {"a": account_id, "p": [missing]}).first())
        return
    found: set[str] = set()
    for chunk in chunks(managers):
        found.update(session.scalars(_EXISTING, {"a": account_id, "p": chunk}))
    if missing := sorted(set(managers) - found):
        _refuse_hierarchy(session.execute(_REPORTS, {"a": account_id, "p": missing[:1]}).first())
    for chunk in chunks(removed):
        if orphan := session.execute(_REPORTS, {"a": account_id, "p": chunk}).first():
            _refuse_hierarchy(orphan)


_EXISTING = text("SELECT id FROM people WHERE account_id = :a AND id IN :p").bindparams(
    bindparam("p", expanding=True)
)
_REPORTS = text(
    "SELECT name, email FROM people WHERE account_id = :a AND manager_id IN :p LIMIT 1"
).bindparams(bindparam("p", expanding=True))
_DANGLING = text(  # a manager of the account's people who is not one of them
    "SELECT manager_id FROM people WHERE account_id = :a AND manager_id IS NOT NULL "
    "EXCEPT SELECT id FROM people WHERE account_id = :a LIMIT 1"
)


def _refuse_hierarchy(person: Any) -> NoReturn:
    who = (person and (person[0] or person[1])) or "someone"
    raise ImportBlockedError(
        f"Hierarchy error: {who} would report to a manager who is not in the directory, "
        "so nothing was imported.",
        hint="Run the sync again to review the current changes.",
    )
