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
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, Text, bindparam, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from peoplesync.core.delta import Changes
from peoplesync.core.employee import Person, PersonStatus, SourceEmployee, SourceSnapshot, fold
from peoplesync.core.perf import gc_paused
from peoplesync.core.validate import employee_id_key
from peoplesync.store.bulk import bulk_insert, bulk_update, chunks
from peoplesync.store.directory import demographic_ids, load_people
from peoplesync.store.models import Connection, PendingRecord, PersonDemographic, SourceRecord
from peoplesync.store.models import Person as PersonRow

_mirror = cast(Table, SourceRecord.__table__)
_pending = cast(Table, PendingRecord.__table__)

# A mirror record is a JSON array in this order (compact, and quick to read back).
MIRROR_FIELDS = (
    "location",
    "source_id",
    "employee_id",
    "name",
    "preferred_name",
    "email",
    "birth_date",
    "start_date",
    "end_date",
    "manager_source_id",
    "manager_email",
    "demographics",
)
_DATES = (6, 7, 8)  # positions of the dates in MIRROR_FIELDS
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
    values: list[Any] = [getattr(record, f) for f in MIRROR_FIELDS]
    for i in _DATES:
        if values[i] is not None:
            values[i] = values[i].isoformat()
    values[-1] = dict(record.demographics)
    return values


def record_from_json(values: list[Any]) -> SourceEmployee:
    for i in _DATES:
        if values[i]:
            values[i] = date.fromisoformat(values[i])
    return SourceEmployee(*values)


LOOKUP_COLUMNS = ("email_key", "employee_key", "manager_source_id", "end_date")


def lookup_values(record: SourceEmployee) -> dict[str, Any]:
    """The columns beside a mirrored record, derived from it."""
    return {
        "email_key": record.email_key or None,
        "employee_key": employee_id_key(record.employee_id),
        "manager_source_id": record.manager_source_id or None,
        "end_date": record.end_date,
    }


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _lookups(record: SourceEmployee) -> tuple[Any, ...]:
    """A record's look-up columns, in LOOKUP_COLUMNS order."""
    values = lookup_values(record)
    return tuple(values[column] for column in LOOKUP_COLUMNS)


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
    fresh = {r.source_id: r for r in records if r.source_id}
    if full:
        for table in (_mirror, _pending):
            session.execute(delete(table).where(table.c.connection_id == connection.id))
        connection.in_step = None
        whole = (
            (connection.id, sid, _dumps(record_to_json(r)), *_lookups(r))
            for sid, r in fresh.items()
        )
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
        elif before[0] is None or json.loads(before[0]) != values:
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
    return _decode([r[1] for r in rows])


def _decode(texts: Sequence[str]) -> list[SourceEmployee]:
    """Mirrored records from their JSON texts, in one `json.loads`."""
    with gc_paused():
        return [record_from_json(r) for r in json.loads("[" + ",".join(texts) + "]")]


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
        (_mirror.c.end_date > stepped) & (_mirror.c.end_date <= today),
    ):
        query = select(_mirror.c.source_id, _mirror.c.record.cast(Text))
        found = session.execute(query.where(_mirror.c.connection_id == connection.id, due))
        rows.update((sid, raw) for sid, raw in found.all())
    deleted = frozenset(sid for sid, raw in rows.items() if raw is None)
    records = _decode([raw for raw in rows.values() if raw is not None])
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


# --- the whole company, by indexed look-up ----------------------------------------------------


class MirrorCompany:
    """`core.delta.Company` over a connection's mirror and its account's directory, in SQL.

    Mirrored records name managers by source ID (Merge does; `core.delta.plannable` keeps a
    change that names one by email out), so `tops` reads the manager column alone."""

    def __init__(self, session: Session, account_id: int, connection_id: int) -> None:
        self._session = session
        self._account_id = account_id
        self._connection_id = connection_id
        self._known: dict[str, SourceEmployee | None] = {}  # records looked up by source ID
        self._managers: dict[str, str | None] = {}  # manager source IDs, by source ID
        self._absent: set[str] = set()  # source IDs without a record

    def _records_where(self, column: str, values: Collection[str]) -> list[SourceEmployee]:
        found: list[str] = []
        for chunk in chunks(values):
            found.extend(
                self._session.scalars(
                    select(_mirror.c.record.cast(Text)).where(
                        _mirror.c.connection_id == self._connection_id,
                        _mirror.c.record.is_not(None),
                        _mirror.c[column].in_(chunk),
                    )
                ).all()  # one fetch: row by row costs more than the query
            )
        return _decode(found)

    def records(self, source_ids: Collection[str]) -> Mapping[str, SourceEmployee]:
        unknown = [s for s in source_ids if s not in self._known]
        if unknown:
            self._known.update(dict.fromkeys(unknown))
            self._known.update(
                (r.source_id or "", r) for r in self._records_where("source_id", unknown)
            )
        return {s: r for s in source_ids if (r := self._known[s]) is not None}

    def managers(self, source_ids: Collection[str]) -> Mapping[str, str | None]:
        """From the look-up columns: no record is decoded."""
        unknown = [s for s in source_ids if s not in self._managers and s not in self._absent]
        for chunk in chunks(unknown):
            query = select(_mirror.c.source_id, _mirror.c.manager_source_id).where(
                _mirror.c.connection_id == self._connection_id,
                _mirror.c.record.is_not(None),
                _mirror.c.source_id.in_(chunk),
            )
            found = dict(self._session.execute(query).all())
            self._managers.update(found)
            self._absent.update(s for s in chunk if s not in found)
        return {s: self._managers[s] for s in source_ids if s in self._managers}

    def records_sharing_emails(self, keys: Collection[str]) -> Sequence[SourceEmployee]:
        return self._records_where("email_key", self._shared("email_key", keys))

    def records_sharing_employee_ids(self, ids: Collection[str]) -> Sequence[SourceEmployee]:
        return self._records_where("employee_key", self._shared("employee_key", ids))

    def _shared(self, column: str, values: Collection[str]) -> list[str]:
        """Those of `values` that more than one record carries (the index answers alone)."""
        shared: list[str] = []
        key = _mirror.c[column]
        for chunk in chunks(values):
            query = (
                select(key)
                .where(_mirror.c.connection_id == self._connection_id, key.in_(chunk))
                .group_by(key)
                .having(func.count() > 1)
            )
            shared.extend(self._session.scalars(query).all())
        return shared

    def records_managed_by(self, source_ids: Collection[str]) -> Sequence[SourceEmployee]:
        return self._records_where("manager_source_id", source_ids)

    def tops(self, today: date) -> Collection[str]:
        return self._session.scalars(
            select(_mirror.c.source_id).where(
                _mirror.c.connection_id == self._connection_id,
                _mirror.c.manager_source_id.is_(None),
                _mirror.c.record.is_not(None),
                _mirror.c.end_date.is_(None) | (_mirror.c.end_date > today),
            )
        ).all()

    def people(
        self, source_ids: Collection[str], email_keys: Collection[str]
    ) -> tuple[Mapping[str, Person], Mapping[str, Person]]:
        found = load_people(
            self._session, self._account_id, source_ids=source_ids, email_keys=email_keys
        )
        by_source = {s: p for p in found if (s := p.source_id) is not None and s in source_ids}
        by_email = {k: p for p in found if (k := p.email_key) is not None and k in email_keys}
        return by_source, by_email

    def person_ids(self, source_ids: Collection[str]) -> Mapping[str, str]:
        found: dict[str, str] = {}
        for chunk in chunks(source_ids):
            query = select(PersonRow.source_id, PersonRow.id).where(
                PersonRow.account_id == self._account_id, PersonRow.source_id.in_(chunk)
            )
            found.update((sid, pid) for sid, pid in self._session.execute(query).all() if sid)
        return found

    def spellings(self, values: Collection[tuple[str, str]]) -> Iterable[tuple[str, str]]:
        """Exact spellings by index; a value not found as spelled is looked for among all the
        demographic's values (folded), which is rare: a new value, or another case."""
        ids = demographic_ids(self._session, self._account_id)
        by_name: dict[str, set[str]] = {}
        for name, value in values:
            if name in ids:
                by_name.setdefault(name, set()).add(value)
        for name, spelled in sorted(by_name.items()):
            known = self._existing(ids[name], spelled)
            yield from ((name, v) for v in known)
            missed = {fold(v) for v in spelled} - {fold(v) for v in known}
            if missed:
                every = self._every_value(ids[name])
                yield from ((name, v) for v in every if fold(v) in missed)

    def _existing(self, demographic_id: int, values: Collection[str]) -> set[str]:
        """Those of `values` someone holds, one index probe each: a DISTINCT over the values
        would read every holder of a common one (PostgreSQL took 40 ms a demographic)."""
        found: set[str] = set()
        for chunk in chunks(values):
            wanted = ", ".join(f"(:v{i})" for i in range(len(chunk)))
            query = text(
                f"SELECT column1 FROM (VALUES {wanted}) AS wanted WHERE EXISTS ("  # noqa: S608
                "SELECT 1 FROM person_demographics p "
                "WHERE p.demographic_id = :d AND p.value = wanted.column1)"
            )
            params = {"d": demographic_id, **{f"v{i}": v for i, v in enumerate(chunk)}}
            found.update(self._session.scalars(query, params).all())
        return found

    def _every_value(self, demographic_id: int) -> set[str]:
        table = cast(Table, PersonDemographic.__table__)
        query = select(table.c.value).where(table.c.demographic_id == demographic_id)
        return set(self._session.scalars(query.distinct()).all())

    def people_count(self) -> int:
        return self._count()

    def active_people(self) -> int:
        # Two counts, each a range of the status index: one pass adding up statuses is slower.
        return self._count(PersonRow.status == PersonStatus.ACTIVE.value)

    def _count(self, *where: Any) -> int:
        query = select(func.count()).where(PersonRow.account_id == self._account_id, *where)
        return int(self._session.scalar(query) or 0)
