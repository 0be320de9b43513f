"""The plan as a durable artifact: stored per run, read back by apply and by the review."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from datetime import datetime
from functools import partial
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Table, delete, text
from sqlalchemy.orm import Session

from peoplesync.core.changes import CreatedChanges, FieldChange, StoredCreate, expand_created
from peoplesync.core.employee import fold
from peoplesync.core.perf import gc_paused
from peoplesync.core.plan import ChangeKind, PlannedChange
from peoplesync.store.bulk import BULK_LOAD_ROWS, bulk_insert, loading
from peoplesync.store.creates import SQL_CREATES, write_creates, writes_creates
from peoplesync.store.db import checkpoint_after_commit
from peoplesync.store.directory import (
    NewPeople,
    PlanRow,
    Written,
    new_people,
    write_new_people,
    write_plan,
)
from peoplesync.store.hierarchy import WHOLE_CHECK, check_managers
from peoplesync.store.models import PlanItem

_items = cast(Table, PlanItem.__table__)
PLAN_COLUMNS = ("run_id", "seq", "kind", "person_id", "label", "label_key", "changes")


def encode_changes(changes: Iterable[FieldChange]) -> list[list[Any]]:
    """[field, before, after, demographic (0 or 1)] of each change (a held change's form)."""
    if isinstance(changes, CreatedChanges):  # a create's, encoded from its record
        return changes.encoded()
    return [[c.field, c.before, c.after, int(c.demographic)] for c in changes]


def decode_changes(data: Sequence[Sequence[Any]] | Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """Stored changes (either form: `stored_changes`) as FieldChanges."""
    rows = expand_created(data) if isinstance(data, Mapping) else data
    return tuple(FieldChange(f, b, a, bool(d)) for f, b, a, d in rows)


def stored_changes(changes: Iterable[FieldChange]) -> list[list[Any]] | dict[str, Any]:
    """The form a plan item's changes are stored in: a create planned from its record in the
    compact form (`CreatedChanges.stored`), every other item as `encode_changes` gives it."""
    return changes.stored() if isinstance(changes, CreatedChanges) else encode_changes(changes)


def _read_back(data: list[Any] | dict[str, Any]) -> Sequence[Any]:
    return StoredCreate(data) if isinstance(data, dict) else data


def save_plan(session: Session, run_id: int, items: Sequence[PlannedChange]) -> None:
    """Store every change of the plan (unchanged people are counted, not stored)."""
    session.execute(delete(_items).where(_items.c.run_id == run_id))
    stored = [i for i in items if i.kind is not ChangeKind.UNCHANGED]
    if len(stored) >= BULK_LOAD_ROWS:  # a first import's plan: its commit does not copy the log
        checkpoint_after_commit(session)
    rows = (
        (
            run_id,
            seq,
            item.kind.value,
            item.person_id,
            item.label[:900],
            fold(item.label)[:900],
            _dumps(stored_changes(item.changes)),
        )
        for seq, item in enumerate(stored)
    )
    with gc_paused():  # a create's changes are made here, from its record: a million lists
        bulk_insert(session, _items, PLAN_COLUMNS, rows)


def _dumps(value: Any) -> str:
    """Compact JSON text (orjson: a 100,000-item plan encodes in a tenth of the time)."""
    return orjson.dumps(value).decode()


def load_plan(session: Session, run_id: int) -> list[PlanRow]:
    """The whole plan, in order."""
    with gc_paused():
        return [row for _, row in _load_plan(session, run_id, "run_id = :run_id", {})]


APPLY_CHUNK = 20_000  # creates read and written at a time: memory grows with this, not the import


def plan_in_chunks(
    session: Session, run_id: int, *, size: int = APPLY_CHUNK, with_creates: bool = True
) -> Iterator[list[PlanRow]]:
    """The plan as apply writes it: every change to people already in the directory first (in
    one list: a unique value one of them releases may be taken by any other item), then the
    creates, `size` at a time (each a range of the (run, kind, seq) index), so that a first
    import of a million people never holds its whole plan. Without the creates if not
    `with_creates` (store/creates.py writes them)."""
    others = "run_id = :run_id AND kind <> 'create'"
    with gc_paused():
        yield [row for _, row in _load_plan(session, run_id, others, {})]
    if not with_creates:
        return
    with gc_paused():
        yield from _create_chunks(session, run_id, size)


# The tables a create writes a row (or more) to, whose indexes a first import builds after the load.
LOADED_TABLES = ("people", "person_demographics", "change_log")


def write_stored_plan(
    session: Session,
    *,
    account_id: int,
    run_id: int,
    source_kind: str,
    actor: str | None,
    now: datetime,
    keep: bool = False,
    in_sql_from: int = SQL_CREATES,
) -> tuple[int, int, list[PlanRow]]:
    """Write run `run_id`'s stored plan into the directory a chunk at a time (`plan_in_chunks`):
    (people changed, change-log rows, the rows themselves if `keep`). The managers named are
    checked once every chunk is in: a chunk may name a manager a later one creates. Past
    WHOLE_CHECK of them the whole account is checked, so they are no longer kept (a million
    people's managers are not held for that). From `in_sql_from` creates on, unless `keep`,
    the creates are written by the database from the stored plan where it can
    (store/creates.py), and on PostgreSQL made into rows on a thread, a chunk ahead of their
    writes (`made_ahead`)."""
    people = 0
    total = Written(0, set(), [])
    whole = False
    kept: list[PlanRow] = []
    creates = _count_creates(session, run_id)
    big = not keep and creates >= in_sql_from
    in_sql = big and writes_creates(session, run_id)
    ahead = big and not in_sql and session.get_bind().dialect.name == "postgresql"
    # Paused for the whole loop, not chunk by chunk: a chunk's 200,000 lists are freed by their
    # reference counts when the next chunk replaces them, so the collector never scans them.
    with gc_paused(), loading(session, LOADED_TABLES, creates):
        for rows in plan_in_chunks(session, run_id, with_creates=not (in_sql or ahead)):
            written = write_plan(
                session,
                account_id=account_id,
                run_id=run_id,
                items=rows,
                source_kind=source_kind,
                actor=actor,
                now=now,
            )
            total.logged += written.logged
            if not whole:
                total.managers |= written.managers
                total.removed += written.removed
                whole = len(total.managers) + len(total.removed) > WHOLE_CHECK
            people += len(rows)
            if keep:
                kept.extend(rows)
        if ahead:
            make = partial(
                new_people, account_id, run_id, source_kind=source_kind, actor=actor, now=now
            )
            with closing(made_ahead(session, run_id, creates, make)) as ahead_of_writes:
                for made in ahead_of_writes:
                    written = write_new_people(session, account_id, made, now)
                    total.logged += written.logged
                    people += len(made.people)
            whole = True  # what they name is checked in one pass over the account, as below
        if in_sql:
            created, logged = write_creates(
                session,
                account_id=account_id,
                run_id=run_id,
                source_kind=source_kind,
                actor=actor,
                now=now,
            )
            people += created
            total.logged += logged
            whole = True  # what they name is checked in one pass over the account
    check_managers(session, account_id, total.managers, total.removed, whole=whole)
    return people, total.logged, kept


_CREATES_AFTER = "run_id = :run_id AND kind = 'create' AND seq > :after"


def made_ahead(
    session: Session,
    run_id: int,
    creates: int,
    make: Callable[[list[PlanRow]], NewPeople],
    *,
    size: int = APPLY_CHUNK,
) -> Generator[NewPeople, None, None]:
    """Run `run_id`'s `creates` creates, `size` at a time, each chunk made into its rows
    (`make`) on a thread of its own, one chunk ahead of the caller writing the last.

    For PostgreSQL, where a big write waits on the server: a COPY into people, say, sends its
    rows in a fraction of the time the server takes to insert them into the indexes, and the
    caller's thread waits (without the interpreter lock) until it has. Meanwhile this thread
    reads and decodes the next chunk of the plan and makes its rows. It reads through a
    connection of its own, so it sees only a committed plan: if it does not see all of the
    `creates` (a plan stored in the caller's own transaction), the chunks are made on the
    caller's thread from its session instead."""
    engine = session.get_bind().engine  # a test's session may be bound to a connection
    ready: queue.Queue[NewPeople | BaseException | None] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand(item: NewPeople | BaseException | None) -> None:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def work() -> None:
        try:
            with engine.connect() as connection:
                if _count_creates(connection, run_id) != creates:
                    hand(_NOT_COMMITTED)
                    return
                for chunk in _create_chunks(connection, run_id, size, ramp=True):
                    if stop.is_set():
                        return
                    hand(make(chunk))
            hand(None)
        except BaseException as err:  # handed to the caller's thread, raised there
            hand(err)

    worker = threading.Thread(target=work, name=f"plan-{run_id}-ahead", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not None:
            if item is _NOT_COMMITTED:
                yield from (make(chunk) for chunk in _create_chunks(session, run_id, size))
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


_NOT_COMMITTED = RuntimeError("the plan is not committed")  # a marker, never raised


def _count_creates(db: Session | Connection, run_id: int) -> int:
    query = text("SELECT count(*) FROM plan_items WHERE run_id = :r AND kind = 'create'")
    return int(db.execute(query, {"r": run_id}).scalar_one())


RAMP_FIRST = 16  # the first chunk made ahead is this much smaller than the rest


def _create_chunks(
    db: Session | Connection, run_id: int, size: int, *, ramp: bool = False
) -> Iterator[list[PlanRow]]:
    """The plan's creates, `size` at a time, in order (each a range of the (run, kind, seq)
    index). With `ramp`, the first chunk is a RAMP_FIRST-th of `size` and each next one twice
    the last, up to `size`: the writer waits for the first chunk alone, and the server takes
    about twice as long to write a chunk as the thread takes to make one (measured at 100,000:
    about 30 against 14 microseconds a create), so each next chunk is ready when it is wanted."""
    after, limit = -1, max(size // RAMP_FIRST, 1) if ramp else size
    while chunk := _load_plan(db, run_id, _CREATES_AFTER, {"after": after}, limit=limit):
        yield [row for _, row in chunk]
        after, limit = chunk[-1][0], min(limit * 2, size)


def _load_plan(
    db: Session | Connection, run_id: int, where: str, params: dict[str, Any], *, limit: int = 0
) -> list[tuple[int, PlanRow]]:
    """(seq, row) of the plan rows `where` says, in order (at most `limit`, if given). The
    changes arrive as JSON text and are decoded in one call: a 100,000-row plan decoded row by
    row spends more time decoding than in the database."""
    tail = f" LIMIT {int(limit)}" if limit else ""
    rows = db.execute(
        text(
            "SELECT seq, kind, person_id, label, CAST(changes AS TEXT) FROM plan_items "  # noqa: S608 - our own text
            f"WHERE {where} ORDER BY seq{tail}"
        ),
        {"run_id": run_id, **params},
    ).all()
    changes = orjson.loads("[" + ",".join(r[4] for r in rows) + "]")
    return [
        (r[0], PlanRow(ChangeKind(r[1]), r[2], r[3], _read_back(ch)))
        for r, ch in zip(rows, changes, strict=True)
    ]


def drop_field(session: Session, account_id: int, field: str, *, demographic: bool) -> None:
    """Remove one field's changes from every stored plan of the account (redaction's purge)."""
    rows = session.execute(
        text(
            "SELECT i.run_id, i.seq, CAST(i.changes AS TEXT) FROM plan_items i "
            "JOIN sync_runs r ON r.id = i.run_id WHERE r.account_id = :a"
        ),
        {"a": account_id},
    ).all()
    updates = []
    for run_id, seq, raw in rows:
        changes = orjson.loads(raw)
        if isinstance(changes, dict):  # a create's compact form
            part = changes["demographics" if demographic else "values"]
            if field in part:
                del part[field]
                keys = changes.get("keys")
                if keys and not demographic and field in keys:  # the folded value goes too
                    keys[field] = None
                updates.append({"r": run_id, "q": seq, "c": _dumps(changes)})
            continue
        kept = [c for c in changes if not (c[0] == field and bool(c[3]) == demographic)]
        if len(kept) != len(changes):
            updates.append({"r": run_id, "q": seq, "c": _dumps(kept)})
    if updates:
        session.execute(
            text("UPDATE plan_items SET changes = :c WHERE run_id = :r AND seq = :q"), updates
        )
