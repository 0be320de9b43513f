"""The change log read back per import: what an undo reverses (issue 17).

`run_changes` is the one reader of a run's rows: how a create or a removal is stored (today one
'created' row, and for a removal one 'removed' row then a row per field) is known only here and
in `store.directory._log_changes`, its writer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from peoplesync.core.changes import FieldChange
from peoplesync.core.fields import CORE_FIELDS
from peoplesync.core.undo import LoggedPerson
from peoplesync.store.bulk import chunks
from peoplesync.store.directory import CREATED, REMOVED

# The change log names a core field by its name and a demographic by its own exact name (the
# same rule redaction's purge reads it by).
_CORE = frozenset({"source_id", "status", *CORE_FIELDS})


@dataclass(frozen=True, slots=True)
class LaterChange:
    """A change logged after a run, to a person that run changed (or to their manager link)."""

    person_id: str
    run_id: int | None  # None: an admin's edit (or a redaction)
    actor: str | None


def run_changes(session: Session, account_id: int, run_id: int) -> list[LoggedPerson]:
    """Every person the run changed, with their logged before -> after values."""
    rows = session.execute(
        text(
            'SELECT person_id, field, "before", "after" FROM change_log '
            "WHERE account_id = :a AND run_id = :r ORDER BY id"
        ),
        {"a": account_id, "r": run_id},
    ).all()
    return list(_people_of(rows))


def _people_of(rows: Sequence[Any]) -> Iterator[LoggedPerson]:
    order: dict[str, list[Any]] = {}
    for row in rows:
        order.setdefault(row[0], []).append(row)
    for person_id, own in order.items():
        marks = {r[1] for r in own}
        fields = tuple(
            FieldChange(f, before, after, f not in _CORE)
            for _, f, before, after in own
            if f not in (CREATED, REMOVED)
        )
        yield LoggedPerson(person_id, CREATED in marks, REMOVED in marks, fields)


def last_row(session: Session, account_id: int, run_id: int) -> int:
    """The id of the run's last change-log row (0: it logged nothing)."""
    found = session.execute(
        text("SELECT max(id) FROM change_log WHERE account_id = :a AND run_id = :r"),
        {"a": account_id, "r": run_id},
    ).scalar()
    return int(found or 0)


def changed_after(
    session: Session,
    account_id: int,
    after_row: int,
    person_ids: Collection[str],
    managers: Collection[str] = (),
) -> list[LaterChange]:
    """Changes logged after row `after_row` to any of `person_ids`, or to the people who now
    report to one of `managers` (people an undo would remove: a create logs no manager row, so
    the directory says who reports to them): one per person, the first."""
    wanted = set(person_ids) | _reporting_to(session, account_id, managers)
    found: dict[str, LaterChange] = {}
    query = text(
        "SELECT person_id, run_id, actor FROM change_log WHERE account_id = :a AND id > :i "
        "AND person_id IN :p ORDER BY id"
    ).bindparams(bindparam("p", expanding=True))
    for chunk in chunks(list(wanted)):
        for pid, run_id, actor in session.execute(
            query, {"a": account_id, "i": after_row, "p": chunk}
        ):
            found.setdefault(pid, LaterChange(pid, run_id, actor))
    return sorted(found.values(), key=lambda c: (c.run_id or 0, c.person_id))


def _reporting_to(session: Session, account_id: int, managers: Collection[str]) -> set[str]:
    query = text("SELECT id FROM people WHERE account_id = :a AND manager_id IN :m").bindparams(
        bindparam("m", expanding=True)
    )
    return {
        pid
        for chunk in chunks(list(managers))
        for (pid,) in session.execute(query, {"a": account_id, "m": chunk})
    }
