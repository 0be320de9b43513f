"""The source mirror: the last mapped record of every source employee of a connection.

An incremental fetch brings only what changed; the mirror keeps the rest of the company. Each row
also carries the values an incremental plan looks records up by (email, employee ID, manager, end
date). A row whose record changed is *pending* (table `source_pending`, with the last run that
changed it) until a sync's plan takes it into the directory; a deleted employee stays as a row
without a record until then. A record fetched again unchanged (Merge's `modified_after` overlap
sends some twice) is not written at all.

When the connection is *in step* (its last plan was applied, or had nothing to change, and the
directory has not changed since), the next incremental sync plans only the pending rows and
those whose end date has come, with the rest of the company reached through `MirrorCompany`
(see core/delta.py). Anything else plans the whole company from the mirror.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any, cast

import orjson
from sqlalchemy import Table, Text, bindparam, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from peoplesync.core.delta import Changes
from peoplesync.core.employee import SourceEmployee, SourceSnapshot
from peoplesync.core.fields import VALUE_FIELDS, VALUE_INDEX, Kind
from peoplesync.core.perf import gc_paused
from peoplesync.core.validate import employee_id_key
from peoplesync.store.bulk import bulk_insert, bulk_update, chunks, loading
from peoplesync.store.models import Connection, PendingRecord, SourceRecord

_mirror = cast(Table, SourceRecord.__table__)
_pending = cast(Table, PendingRecord.__table__)

# A mirror record is a compact JSON array, quick to read back:
#     [location, source_id, *values (core.fields.VALUE_FIELDS order), manager_source_id,
#      manager_email, demographics]
# Dates are ISO text. A record stored before a field was added to the schema is one value
# shorter: it reads back without that field's value (the next full fetch brings it).
_VALUES = len(VALUE_FIELDS)
_DATES = tuple(i for i, f in enumerate(VALUE_FIELDS) if f.kind is Kind.DATE)
MIRROR_COLUMNS = (
    "connection_id",
    "source_id",
    "record",
    "email_key",
    "employee_key",
    "manager_source_id",
    "end_date",
)


def record_to_json(record: SourceEmployee) -> list[Any]:
    values: list[Any] = list(record.values)
    for i in _DATES:
        if values[i] is not None:
            values[i] = values[i].isoformat()
    return [
        record.location,
        record.source_id,
        *values,
        record.manager_source_id,
        record.manager_email,
        dict(record.demographics),
    ]


def record_from_json(row: list[Any]) -> SourceEmployee:
    values = row[2:-3]
    for i in _DATES:
        if i < len(values) and values[i]:
            values[i] = date.fromisoformat(values[i])
    if len(values) < _VALUES:
        values.extend([None] * (_VALUES - len(values)))
    return SourceEmployee(row[0], row[1], tuple(values), row[-3], row[-2], row[-1])


def drop_from_json(row: list[Any], field: str, *, demographic: bool) -> bool:
    """Drop one field's value from a stored record; whether it had one."""
    if demographic:
        return (row[-1] or {}).pop(field, None) is not None
    if field not in VALUE_INDEX:
        return False
    at = 2 + VALUE_INDEX[field]
    if at >= len(row) - 3 or row[at] is None:
        return False
    row[at] = None
    return True


LOOKUP_COLUMNS = ("email_key", "employee_key", "manager_source_id", "end_date")


def _lookups(record: SourceEmployee) -> tuple[Any, ...]:
    """The columns beside a mirrored record, derived from it, in LOOKUP_COLUMNS order."""
    return (
        record.email_key or None,
        employee_id_key(record.employee_id),
        record.manager_source_id or None,
        record.end_date,
    )


def _dumps(value: Any) -> str:
    """Compact JSON text, by orjson (a tenth of the standard library's time at 100,000)."""
    return orjson.dumps(value).decode()


def update_mirror(
    session: Session,
    connection: Connection,
    *,
    records: Sequence[SourceEmployee],
    deleted: Iterable[str],
    full: bool,
    run_id: int,
) -> None:
    """A full fetch replaces the mirror (and the whole company is planned until a plan of it is
    applied). An incremental one writes the records that changed and a row without a record for
    each deleted one, and marks them pending for `run_id`."""
    fresh = _by_source_id(records)
    if full:
        for table in (_mirror, _pending):
            session.execute(delete(table).where(table.c.connection_id == connection.id))
        connection.in_step = None
        whole = (
            (connection.id, sid, _dumps(record_to_json(r)), *_lookups(r))
            for sid, r in fresh.items()
        )
        with loading(session, [_mirror.name], len(fresh)):  # a first fetch: indexes after
            bulk_insert(session, _mirror, MIRROR_COLUMNS, whole)
        return
    gone = set(deleted) - fresh.keys()
    stored = _stored(session, connection.id, fresh.keys() | gone)
    new: list[tuple[Any, ...]] = []
    changed: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}  # columns -> rows that set them
    for sid, record in fresh.items():
        values = record_to_json(record)
        before = stored.get(sid)
        if before is None:
            new.append((connection.id, sid, _dumps(values), *_lookups(record)))
        elif before[0] is None or orjson.loads(before[0]) != values:
            after = (_dumps(values), *_lookups(record))
            _note_changes(changed, (connection.id, sid), before, after)
    for sid in sorted(gone):  # a deleted employee: a row without a record
        before = stored.get(sid)
        if before is None:
            new.append((connection.id, sid, None, None, None, None, None))
        elif before[0] is not None:
            _note_changes(changed, (connection.id, sid), before, (None, None, None, None, None))
    bulk_insert(session, _mirror, MIRROR_COLUMNS, new)
    for columns, rows in changed.items():  # only changed columns: untouched indexes stay
        bulk_update(session, _mirror, columns, ("connection_id", "source_id"), rows)
    touched = {r[1] for r in new} | {r[-1] for rows in changed.values() for r in rows}
    _mark_pending(session, connection.id, touched, run_id)


def _stored(
    session: Session, connection_id: int, source_ids: Collection[str]
) -> dict[str, tuple[Any, ...]]:
    """The mirror rows of these source IDs: (record text, *look-up values)."""
    query = text(
        "SELECT source_id, CAST(record AS TEXT), email_key, employee_key, manager_source_id, "
        "end_date FROM source_records WHERE connection_id = :c AND source_id IN :s"
    ).bindparams(bindparam("s", expanding=True))
    found: dict[str, tuple[Any, ...]] = {}
    for chunk in chunks(source_ids):
        rows = session.execute(query, {"c": connection_id, "s": chunk}).all()
        found.update((r[0], (*r[1:5], _date(r[5]))) for r in rows)
    return found


def _date(value: date | str | None) -> date | None:
    """SQLite reads a date back as ISO text, PostgreSQL as a date."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _note_changes(
    changed: dict[tuple[str, ...], list[tuple[Any, ...]]],
    key: tuple[int, str],
    before: Sequence[Any],
    after: Sequence[Any],
) -> None:
    """Add a row whose record changed, under the columns it changes: the record, and those of
    its look-up values that differ."""
    columns, values = ["record"], [after[0]]
    for column, old, new in zip(LOOKUP_COLUMNS, before[1:], after[1:], strict=True):
        if old != new:
            columns.append(column)
            values.append(new)
    changed.setdefault(tuple(columns), []).append((*values, *key))


def _mark_pending(
    session: Session, connection_id: int, source_ids: Collection[str], run_id: int
) -> None:
    """Pending for `run_id`: inserted, or moved on from an earlier run (one upsert)."""
    if not source_ids:
        return
    dialect = session.get_bind().dialect.name
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_pending)
    statement = upsert.on_conflict_do_update(
        index_elements=[_pending.c.connection_id, _pending.c.source_id],
        set_={"run_id": upsert.excluded.run_id},
    )
    session.execute(
        statement,
        [{"connection_id": connection_id, "source_id": s, "run_id": run_id} for s in source_ids],
    )


def load_mirror(session: Session, connection_id: int) -> list[SourceEmployee]:
    """The whole company as last fetched, in source-ID order (decoded in one call)."""
    query = text(
        "SELECT source_id, CAST(record AS TEXT) FROM source_records "
        "WHERE connection_id = :c AND record IS NOT NULL"
    )
    # Sorted here: Python's order, whatever the database's collation.
    rows = sorted(session.execute(query, {"c": connection_id}).all())
    return decode_records([r[1] for r in rows])


def as_mirrored(records: Iterable[SourceEmployee]) -> list[SourceEmployee]:
    """`records` as a full `update_mirror` of them leaves the mirror and `load_mirror` reads it
    back: one per source ID (the last one), in source-ID order."""
    fresh = _by_source_id(records)
    return [fresh[source_id] for source_id in sorted(fresh)]


def _by_source_id(records: Iterable[SourceEmployee]) -> dict[str, SourceEmployee]:
    return {r.source_id: r for r in records if r.source_id}


def decode_records(texts: Sequence[str]) -> list[SourceEmployee]:
    """Mirrored records from their JSON texts, in one `orjson.loads`."""
    with gc_paused():
        return [record_from_json(r) for r in orjson.loads("[" + ",".join(texts) + "]")]


# --- in step: when only the changes need planning --------------------------------------------


def plan_basis(snapshot: SourceSnapshot) -> str:
    """What a plan compares (the fields and demographics the source provides), as a short key:
    a plan that compares something else must see the whole company."""
    text_ = "|".join(
        [",".join(sorted(snapshot.provided)), ",".join(sorted(snapshot.demographic_names))]
    )
    return hashlib.sha256(text_.encode()).hexdigest()[:32]


def pending_changes(
    session: Session,
    connection: Connection,
    *,
    version: int,
    basis: SourceSnapshot,
    today: date,
) -> Changes | None:
    """What changed since the directory was last in step with the mirror: the pending rows and
    the records whose end date has come since, or None when it is not in step (then the whole
    company is planned). `basis` is an empty snapshot saying what this sync compares."""
    step = connection.in_step
    if not step or step.get("version") != version or step.get("basis") != plan_basis(basis):
        return None
    stepped = date.fromisoformat(step["date"])
    if today < stepped:
        return None  # the clock went back (or the zone moved): plan everything
    # Two queries, each on its index (an OR would read every row). The pending rows as IN (...):
    # SQLite would answer a join by reading the whole mirror.
    pending = _pending.c.connection_id == connection.id
    rows: dict[str, str | None] = {}
    for due in (
        _mirror.c.source_id.in_(select(_pending.c.source_id).where(pending)),
        # core.plan.has_left: active through the end date, former from the next day
        (_mirror.c.end_date >= stepped) & (_mirror.c.end_date < today),
    ):
        query = select(_mirror.c.source_id, _mirror.c.record.cast(Text))
        found = session.execute(query.where(_mirror.c.connection_id == connection.id, due))
        rows.update((sid, raw) for sid, raw in found.all())
    deleted = frozenset(sid for sid, raw in rows.items() if raw is None)
    records = decode_records([raw for raw in rows.values() if raw is not None])
    records.sort(key=lambda r: r.source_id or "")
    return Changes(
        snapshot=SourceSnapshot(
            records=tuple(records),
            provided=basis.provided,
            demographic_names=basis.demographic_names,
            complete=True,
            kind=basis.kind,
        ),
        deleted=deleted,
    )


def mark_in_step(
    session: Session,
    connection_id: int,
    *,
    version: int,
    import_date: date,
    basis: str,
    run_id: int,
) -> None:
    """A plan from this connection was applied (or had nothing to change): the directory, at
    `version`, holds every mirror row that `run_id` or an earlier run changed."""
    session.execute(
        update(Connection)
        .where(Connection.id == connection_id)
        .values(in_step={"version": version, "date": import_date.isoformat(), "basis": basis})
    )
    done = (_pending.c.connection_id == connection_id) & (_pending.c.run_id <= run_id)
    session.execute(
        delete(_mirror).where(
            _mirror.c.connection_id == connection_id,
            _mirror.c.record.is_(None),
            _mirror.c.source_id.in_(select(_pending.c.source_id).where(done)),
        )
    )
    session.execute(delete(_pending).where(done))


def drop_field(
    session: Session, connection_ids: Collection[int], field: str, *, demographic: bool
) -> None:
    """Remove one field's values from the mirrors of these connections (redaction's purge),
    keeping each row's look-up columns true to its record."""
    query = text(
        "SELECT source_id, CAST(record AS TEXT) FROM source_records "
        "WHERE connection_id = :c AND record IS NOT NULL"
    )
    for connection_id in connection_ids:
        changed: list[tuple[Any, ...]] = []
        for source_id, raw in session.execute(query, {"c": connection_id}).all():
            row = orjson.loads(raw)
            if drop_from_json(row, field, demographic=demographic):
                lookups = _lookups(record_from_json(orjson.loads(_dumps(row))))
                changed.append((_dumps(row), *lookups, connection_id, source_id))
        columns = ("record", *LOOKUP_COLUMNS)
        bulk_update(session, _mirror, columns, ("connection_id", "source_id"), changed)
