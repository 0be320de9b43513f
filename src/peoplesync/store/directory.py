"""The directory: write a plan into it in bulk (store/snapshots.py reads it for the planner).

Hot paths use Core statements and executemany, never per-row ORM flushes. Writes happen inside
the caller's transaction; nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, exists, insert, select, update
from sqlalchemy.orm import Session

from peoplesync.core.changes import FieldChange, StoredCreate
from peoplesync.core.employee import PersonStatus, fold
from peoplesync.core.exclusions import LEAVE_REASON
from peoplesync.core.fields import DATE_FIELDS, FIELDS
from peoplesync.core.perf import gc_paused
from peoplesync.core.plan import ChangeKind
from peoplesync.store.bulk import bulk_insert, bulk_update, chunks
from peoplesync.store.models import (
    ChangeLog,
    Demographic,
    PersonDemographic,
    SyncRun,
    people_table,
)
from peoplesync.store.models import Person as PersonRow
from peoplesync.store.search_terms import (
    SEARCHED,
    current_values,
    insert_terms,
    move_terms,
    term_rows,
)
from peoplesync.store.snapshots import demographic_ids

_people = people_table
_values = cast(Table, PersonDemographic.__table__)
_log = cast(Table, ChangeLog.__table__)

# The people columns planned changes name: the source ID and a column per core field (the
# field schema, core/fields.py). A change names a field; `COLUMN_OF` says where it is kept.
COLUMN_OF: Mapping[str, str] = {"source_id": "source_id", **{f.name: f.column for f in FIELDS}}
# Columns whose values must stay unique per account; changed in two phases (see write_plan).
UNIQUE_COLUMNS = ("email", "source_id")
_DATE_COLUMNS = frozenset(COLUMN_OF[f] for f in DATE_FIELDS)


def ensure_demographics(
    session: Session, account_id: int, names: Iterable[str], now: datetime
) -> dict[str, int]:
    known = demographic_ids(session, account_id)
    missing = sorted(set(names) - known.keys())
    if missing:
        session.execute(
            insert(Demographic),
            [{"account_id": account_id, "name": n, "created_at": now} for n in missing],
        )
        known = demographic_ids(session, account_id)
    return known


@dataclass(frozen=True, slots=True)
class PlanRow:
    """A stored plan item, as apply reads it back."""

    kind: ChangeKind
    person_id: str
    label: str
    # (field, before, after, demographic) — FieldChange's order; read back as plain JSON lists,
    # because building a million FieldChange tuples would cost more than the writes themselves;
    # a create in its compact stored form (StoredCreate), which `_new_people` reads directly.
    changes: Sequence[FieldChange | list[Any]]


def write_plan(
    session: Session,
    *,
    account_id: int,
    run_id: int | None,
    items: Sequence[PlanRow],
    source_kind: str,
    actor: str | None,
    now: datetime,
) -> Written:
    """Apply planned changes to the directory and the change log: what was written, for
    `hierarchy.check_managers` once every chunk of the import is in."""
    with gc_paused():
        return _write_plan(session, account_id, run_id, items, source_kind, actor, now)


@dataclass(slots=True)
class Written:
    """What `write_plan` wrote: change-log rows, the managers it named, the people it removed."""

    logged: int
    managers: set[str]
    removed: list[str]


def _write_plan(  # noqa: PLR0917 - the private body of write_plan, same parameters
    session: Session,
    account_id: int,
    run_id: int | None,
    items: Sequence[PlanRow],
    source_kind: str,
    actor: str | None,
    now: datetime,
) -> Written:
    creates = [i for i in items if i.kind is ChangeKind.CREATE]
    removes = [i.person_id for i in items if i.kind is ChangeKind.REMOVE]
    updates = [i for i in items if i.kind not in _NOT_UPDATES and i.changes]
    renames = [i for i in updates if _renames(i)]
    people, created_values = _new_people(account_id, creates, source_kind, now)
    changed_values = [
        (item.person_id, field, before, after)
        for item in updates
        for field, before, after, demographic in item.changes
        if demographic
    ]
    names = {v[1] for v in created_values} | {v[1] for v in changed_values}
    demographics = ensure_demographics(session, account_id, names, now)
    searched_before = current_values(session, account_id, (i.person_id for i in renames))
    _remove_people(session, account_id, removes)
    _release_unique_values(session, updates)
    _insert_people(session, people, _terms_of(account_id, people))
    _update_people(session, updates, now)
    move_terms(session, account_id, _searched_after(renames, searched_before))
    _write_demographics(session, created_values, changed_values, demographics)
    _expire_loaded_people(session)
    logged = _log_changes(session, account_id, run_id=run_id, items=items, actor=actor, now=now)
    return Written(logged, _managers_named(people, updates), removes)


@dataclass(slots=True)
class NewPeople:
    """A chunk of creates made into the rows `write_new_people` writes, with no database in
    reach: store/plans.py makes the next chunk's on a thread while this one's are written."""

    people: list[list[Any]]  # PEOPLE_INSERT_COLUMNS
    values: list[tuple[str, str, Any]]  # (person id, demographic, value)
    terms: list[tuple[Any, ...]]  # TERM_COLUMNS
    log: list[tuple[Any, ...]]  # LOG_COLUMNS


def new_people(
    account_id: int,
    run_id: int | None,
    creates: Sequence[PlanRow],
    *,
    source_kind: str,
    actor: str | None,
    now: datetime,
) -> NewPeople:
    """The rows of a chunk of creates (and nothing else) as `write_plan` would write them."""
    people, values = _new_people(account_id, creates, source_kind, now)
    terms = list(_terms_of(account_id, people))
    return NewPeople(people, values, terms, _log_rows(account_id, run_id, creates, actor, now))


def write_new_people(session: Session, account_id: int, new: NewPeople, now: datetime) -> Written:
    """Write a chunk `new_people` made, as `write_plan` writes the same creates."""
    demographics = ensure_demographics(session, account_id, {v[1] for v in new.values}, now)
    _insert_people(session, new.people, new.terms)
    _write_demographics(session, new.values, (), demographics)
    _expire_loaded_people(session)
    bulk_insert(session, _log, LOG_COLUMNS, new.log)
    return Written(len(new.log), _managers_named(new.people, ()), [])


def _managers_named(people: Sequence[list[Any]], updates: Sequence[PlanRow]) -> set[str]:
    """The managers new people report to, and those changed people now report to."""
    at = _ROW_SLOTS[COLUMN_OF["manager"]]
    named = {row[at] for row in people}
    named.update(
        after
        for item in updates
        for field, _, after, demographic in item.changes
        if field == "manager" and not demographic
    )
    named.discard(None)
    return named


_NOT_UPDATES = frozenset({ChangeKind.CREATE, ChangeKind.REMOVE})


def _remove_people(session: Session, account_id: int, person_ids: Sequence[str]) -> None:
    """Take people out of the directory (an undo of the import that created them): their
    demographic values and search terms first (neither has a foreign key), then the rows. Their
    values stay in the change log (the undo's items carry every before-value), so undoing the
    undo creates them again."""
    if not person_ids:
        return
    searched = current_values(session, account_id, person_ids)
    move_terms(
        session, account_id, ((old, [old[0], None, None, None, None]) for old in searched.values())
    )
    for chunk in chunks(person_ids):
        session.execute(delete(_values).where(_values.c.person_id.in_(chunk)))
        session.execute(
            delete(_people).where(_people.c.account_id == account_id, _people.c.id.in_(chunk))
        )


def drop_unheld_demographics(
    session: Session, account_id: int, items: Sequence[PlanRow], *, undone_run_id: int
) -> None:
    """After an undo (`items`) of run `undone_run_id`: the demographics it names that were
    created by that run (or after) and that nobody holds any more go, so that an undo of the
    import that brought them leaves the account's demographics as they were."""
    names = {c[0] for item in items for c in item.changes if c[3]}
    since = session.scalar(select(SyncRun.started_at).where(SyncRun.id == undone_run_id))
    if not names or since is None:
        return
    held = exists().where(_values.c.demographic_id == Demographic.id)  # by its index
    session.execute(
        delete(Demographic).where(
            Demographic.account_id == account_id,
            Demographic.name.in_(list(names)),
            Demographic.created_at >= since,
            ~held,
        )
    )


def _expire_loaded_people(session: Session) -> None:
    """Bulk statements bypass the ORM: people already loaded in this session are now stale."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, PersonRow):
            session.expire(obj)


def _release_unique_values(session: Session, updates: Sequence[PlanRow]) -> None:
    """Clear unique values that change first, so swaps between two people never collide."""
    for column in UNIQUE_COLUMNS:
        ids = [{"pid": i.person_id} for i in updates if _touches(i, column)]
        if ids:
            values: dict[str, Any] = {column: None}
            if column == "email":
                values["email_key"] = None
            session.execute(
                update(_people).where(_people.c.id == bindparam("pid")).values(**values), ids
            )


SEARCHED_COLUMNS = frozenset(SEARCHED)
_SEARCHED_SLOTS = {column: i + 1 for i, column in enumerate(SEARCHED)}  # after the id


def _renames(item: PlanRow) -> bool:
    """Does this update change what the person is searched by?"""
    return any(f in SEARCHED_COLUMNS and not demographic for f, _, _, demographic in item.changes)


def _searched_after(
    renames: Sequence[PlanRow], before: Mapping[str, list[Any]]
) -> Iterator[tuple[list[Any], list[Any]]]:
    """(searched values before, after) of each renamed person, for moving their search terms."""
    for item in renames:
        old = before[item.person_id]
        new = old.copy()
        for field, _, after, demographic in item.changes:
            if not demographic and field in SEARCHED_COLUMNS:
                new[_SEARCHED_SLOTS[field]] = after
        yield old, new


def _touches(item: PlanRow, column: str) -> bool:
    return any(f == column and not demographic for f, _, _, demographic in item.changes)


def _column_value(column: str, text: str | None) -> Any:
    if text is not None and column in _DATE_COLUMNS:
        return date.fromisoformat(text)
    return text


PEOPLE_INSERT_COLUMNS = (
    "id",
    "account_id",
    "status",
    *dict.fromkeys(COLUMN_OF.values()),
    "name_key",
    "email_key",
    "source_kind",
    "created_at",
    "updated_at",
)
_ROW_SLOTS = {name: i for i, name in enumerate(PEOPLE_INSERT_COLUMNS)}


def _new_people(
    account_id: int, creates: Sequence[PlanRow], source_kind: str, now: datetime
) -> tuple[list[list[Any]], list[tuple[str, str, Any]]]:
    """The people rows of the creates, and their demographic values (person id, demographic,
    value), in one pass over their changes. Date values stay ISO text: both databases parse it."""
    template: list[Any] = [None] * len(PEOPLE_INSERT_COLUMNS)
    template[_ROW_SLOTS["account_id"]] = account_id
    template[_ROW_SLOTS["status"]] = PersonStatus.ACTIVE.value
    template[_ROW_SLOTS["source_kind"]] = source_kind
    template[_ROW_SLOTS["created_at"]] = template[_ROW_SLOTS["updated_at"]] = now
    slots = {field: _ROW_SLOTS[column] for field, column in COLUMN_OF.items()}
    slots["status"] = _ROW_SLOTS["status"]
    name_at, email_at = _ROW_SLOTS["name"], _ROW_SLOTS["email"]
    name_key_at, email_key_at = _ROW_SLOTS["name_key"], _ROW_SLOTS["email_key"]
    rows = []
    values: list[tuple[str, str, Any]] = []
    for item in creates:
        row = template.copy()
        row[0] = pid = item.person_id
        changes = item.changes
        if isinstance(changes, StoredCreate):  # read back from a plan: its values by field
            stored = changes.data
            for field, after in stored["values"].items():
                row[slots[field]] = after
            values.extend([(pid, name, value) for name, value in stored["demographics"].items()])
            row[slots["status"]] = stored["status"]
        else:
            for field, _, after, demographic in changes:
                if demographic:
                    values.append((pid, field, after))
                else:
                    row[slots[field]] = after
        row[name_key_at] = fold(row[name_at]) if row[name_at] else None
        row[email_key_at] = fold(row[email_at]) if row[email_at] else None
        rows.append(row)
    return rows, values


_SEARCHED_AT = [_ROW_SLOTS[c] for c in ("id", *SEARCHED)]  # a people row's PersonValues


def _terms_of(account_id: int, rows: Sequence[list[Any]]) -> Iterator[tuple[Any, ...]]:
    """The search terms (TERM_COLUMNS) of new people's rows."""
    return term_rows(account_id, ([row[i] for i in _SEARCHED_AT] for row in rows))


def _insert_people(
    session: Session, rows: Sequence[list[Any]], terms: Iterable[tuple[Any, ...]]
) -> None:
    """New people in one bulk insert, and their search terms (`_terms_of`) in another."""
    bulk_insert(session, _people, PEOPLE_INSERT_COLUMNS, rows)
    insert_terms(session, terms)


def _update_people(session: Session, updates: Sequence[PlanRow], now: datetime) -> None:
    """Each person written once, with only their changed columns: one executemany per set of
    changed columns (a handful, whatever the size)."""
    by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for item in updates:
        values: dict[str, Any] = {}
        for field, _, after, demographic in item.changes:
            if demographic or field == LEAVE_REASON:  # the reason is logged, not a column
                continue
            column = COLUMN_OF.get(field, field)  # a field, or "status"
            values[column] = value = _column_value(column, after)
            if column in ("email", "name"):
                values[f"{column}_key"] = fold(value) if value else None
        values["updated_at"] = now
        by_columns[tuple(values)].append((*values.values(), item.person_id))
    for columns, rows in by_columns.items():
        bulk_update(session, _people, columns, ("id",), rows)


def _write_demographics(
    session: Session,
    created: Sequence[tuple[str, str, Any]],
    changed: Sequence[tuple[str, str, str | None, str | None]],
    demographics: dict[str, int],
) -> None:
    """`created`: (person id, demographic, value) of new people; `changed`: (person id,
    demographic, before, after) of people changed."""
    removals = [
        {"pid": pid, "did": demographics[name]}
        for pid, name, before, _ in changed
        if before is not None
    ]
    additions = [(pid, demographics[name], value) for pid, name, value in created]
    additions.extend(
        (pid, demographics[name], after) for pid, name, _, after in changed if after is not None
    )
    if removals:
        session.execute(
            delete(_values).where(
                _values.c.person_id == bindparam("pid"),
                _values.c.demographic_id == bindparam("did"),
            ),
            removals,
        )
    bulk_insert(session, _values, ("person_id", "demographic_id", "value"), additions)


def _log_changes(
    session: Session,
    account_id: int,
    *,
    run_id: int | None,
    items: Sequence[PlanRow],
    actor: str | None,
    now: datetime,
) -> int:
    """The change log's rows of `items` (`_log_rows`), in one bulk insert: how many."""
    rows = _log_rows(account_id, run_id, items, actor, now)
    bulk_insert(session, _log, LOG_COLUMNS, rows)
    return len(rows)


def _log_rows(
    account_id: int,
    run_id: int | None,
    items: Sequence[PlanRow],
    actor: str | None,
    now: datetime,
) -> list[tuple[Any, ...]]:
    """One row per changed field; a new person is one 'created' row (their values are the row);
    a removed person is one 'removed' row, then a row per field they had (its before-value)."""
    rows: list[tuple[Any, ...]] = []
    for item in items:
        if item.kind is ChangeKind.CREATE:
            rows.append((account_id, run_id, item.person_id, CREATED, None, item.label, actor, now))
            continue
        if item.kind is ChangeKind.REMOVE:
            rows.append((account_id, run_id, item.person_id, REMOVED, item.label, None, actor, now))
        rows.extend(
            (account_id, run_id, item.person_id, field, before, after, actor, now)
            for field, before, after, _ in item.changes
        )
    return rows


CREATED, REMOVED = "created", "removed"  # the change log's rows for a whole person
LOG_COLUMNS = (
    "account_id",
    "run_id",
    "person_id",
    "field",
    "before",
    "after",
    "actor",
    "changed_at",
)
