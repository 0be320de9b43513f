"""Redaction and minimisation: an admin picks fields that peoplesync must not keep.

Core fields by name (`birth_date`, or its label "Date of Birth"); demographics by exact name
("Gender", "Race/Ethnicity"). Name and email identify people and cannot be redacted. The list
lives in `account.redacted_fields`; the sources drop those fields at mapping, before anything is
stored. Switching redaction on also purges what is already stored: the people's values, the
source mirror, stored plans, the change log's before/after and validation messages. Each person
whose value went gets a change-log row saying so (never the value); the account's history gets
one event with the counts. The caller owns the transaction.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import structlog
from sqlalchemy import Table, bindparam, delete, select, text, update
from sqlalchemy.orm import Session

from peoplesync.accounts.service import bump_version
from peoplesync.connections.mirror import (
    LOOKUP_COLUMNS,
    MIRROR_FIELDS,
    lookup_values,
    record_from_json,
)
from peoplesync.core.employee import FIELD_LABELS, REDACTABLE_CORE_FIELDS
from peoplesync.errors import InputError
from peoplesync.notify.audit import record_event
from peoplesync.sources.csv_source import COLUMNS
from peoplesync.store.bulk import bulk_insert
from peoplesync.store.directory import LOG_COLUMNS
from peoplesync.store.models import (
    Account,
    ChangeLog,
    Connection,
    Demographic,
    PersonDemographic,
    PlanItem,
    SourceRecord,
    SyncRun,
)
from peoplesync.store.models import Person as PersonRow

log = structlog.get_logger(__name__)

REDACTED_MARK = "[redacted]"
_LABELS_TO_FIELDS = {label: name for name, label in FIELD_LABELS.items()}
_IDENTITY = frozenset({"name", "email", "source_id", "manager"})
_people = cast(Table, PersonRow.__table__)
_log = cast(Table, ChangeLog.__table__)


@dataclass(frozen=True, slots=True)
class RedactionResult:
    redacted: tuple[str, ...]  # every field the account now redacts
    added: tuple[str, ...]  # those this call switched on
    purged: Mapping[str, int]  # per added field: how many people's values were removed


def field_name(raw: str) -> str:
    """The canonical name of a field an admin typed: a core field or a demographic."""
    name = raw.strip()
    if not name:
        raise InputError("Say which field to redact.", field="field")
    core = _LABELS_TO_FIELDS.get(name, name)
    if core in _IDENTITY:
        raise InputError(
            f"'{name}' identifies people and cannot be redacted.",
            hint="Redact birth date, employee ID, dates, preferred name or any demographic.",
            field="field",
        )
    return core if core in REDACTABLE_CORE_FIELDS else name


def redacted_fields(account: Account) -> list[str]:
    return sorted(str(f) for f in account.redacted_fields)


def redact(
    session: Session, account: Account, fields: Iterable[str], *, now: datetime, actor: str | None
) -> RedactionResult:
    """Redact `fields` from now on and purge their stored values."""
    wanted = {field_name(f) for f in fields}
    added = tuple(sorted(wanted - set(account.redacted_fields)))
    account.redacted_fields = sorted(set(account.redacted_fields) | wanted)
    purged = {f: _purge(session, account, f, now=now, actor=actor) for f in added}
    if added:
        bump_version(session, account.id)  # plans made before the purge are stale
        session.refresh(account, ["directory_version"])
        record_event(
            session,
            account.id,
            "redaction.on",
            now=now,
            actor=actor,
            detail={"fields": list(added), "purged": purged},
        )
        log.info("redaction.on", account_id=account.id, fields=",".join(added), by=actor)
    return RedactionResult(tuple(account.redacted_fields), added, purged)


def unredact(
    session: Session, account: Account, field: str, *, now: datetime, actor: str | None
) -> RedactionResult:
    """Stop redacting `field`. Its values come back with the next sync (a full HRIS fetch)."""
    name = field_name(field)
    if name not in account.redacted_fields:
        return RedactionResult(tuple(account.redacted_fields), (), {})
    account.redacted_fields = [f for f in account.redacted_fields if f != name]
    session.execute(
        update(Connection)
        .where(Connection.account_id == account.id)
        .values(last_fetch_started_at=None),  # the mirror lacks the field: refetch everything
        execution_options={"synchronize_session": False},
    )
    record_event(session, account.id, "redaction.off", now=now, actor=actor, detail={"field": name})
    log.info("redaction.off", account_id=account.id, field=name, by=actor)
    return RedactionResult(tuple(account.redacted_fields), (), {})


# --- Purging one field ------------------------------------------------------------------------


def _purge(
    session: Session, account: Account, field: str, *, now: datetime, actor: str | None
) -> int:
    demographic = field not in REDACTABLE_CORE_FIELDS
    person_ids = (
        _purge_demographic(session, account.id, field)
        if demographic
        else _purge_column(session, account.id, field)
    )
    session.execute(
        update(ChangeLog)
        .where(ChangeLog.account_id == account.id, ChangeLog.field == field)
        .values(before=None, after=None),
        execution_options={"synchronize_session": False},
    )
    _purge_mirror(session, account.id, field, demographic=demographic)
    _purge_plans(session, account.id, field, demographic=demographic)
    _purge_issues(session, account.id, field)
    who = f"redaction by {actor}" if actor else "redaction"
    rows = ((account.id, None, pid, field, REDACTED_MARK, None, who, now) for pid in person_ids)
    bulk_insert(session, _log, LOG_COLUMNS, rows)
    return len(person_ids)


def _purge_column(session: Session, account_id: int, field: str) -> list[str]:
    column = _people.c[field]
    ids = list(
        session.scalars(
            select(_people.c.id).where(_people.c.account_id == account_id, column.is_not(None))
        )
    )
    session.execute(update(_people).where(_people.c.account_id == account_id).values({field: None}))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, PersonRow):
            session.expire(obj)
    return ids


def _purge_demographic(session: Session, account_id: int, name: str) -> list[str]:
    demographic_id = session.scalar(
        select(Demographic.id).where(Demographic.account_id == account_id, Demographic.name == name)
    )
    if demographic_id is None:
        return []
    ids = list(
        session.scalars(
            select(PersonDemographic.person_id).where(
                PersonDemographic.demographic_id == demographic_id
            )
        )
    )
    session.execute(
        delete(PersonDemographic).where(PersonDemographic.demographic_id == demographic_id)
    )
    session.execute(delete(Demographic).where(Demographic.id == demographic_id))
    return ids


def _purge_mirror(session: Session, account_id: int, field: str, *, demographic: bool) -> None:
    connection_ids = list(
        session.scalars(select(Connection.id).where(Connection.account_id == account_id))
    )
    for connection_id in connection_ids:
        rows = session.execute(
            text(
                "SELECT source_id, CAST(record AS TEXT) FROM source_records "
                "WHERE connection_id = :c AND record IS NOT NULL"
            ),
            {"c": connection_id},
        ).all()
        changed = []
        for source_id, raw in rows:
            record = json.loads(raw)
            if _drop_from_record(record, field, demographic=demographic):
                lookups = lookup_values(record_from_json(json.loads(_dumps(record))))
                values = {f"v_{k}": v for k, v in lookups.items()}
                changed.append({"c": connection_id, "s": source_id, "r": record, **values})
        if changed:
            mirror = cast(Table, SourceRecord.__table__)
            session.execute(
                update(mirror)
                .where(
                    mirror.c.connection_id == bindparam("c"), mirror.c.source_id == bindparam("s")
                )
                .values(record=bindparam("r"), **{k: bindparam(f"v_{k}") for k in LOOKUP_COLUMNS}),
                changed,
            )


def _drop_from_record(record: list[Any], field: str, *, demographic: bool) -> bool:
    """Drop a field from a mirrored record (positional, in MIRROR_FIELDS order)."""
    if demographic:
        values = record[MIRROR_FIELDS.index("demographics")] or {}
        return values.pop(field, None) is not None
    if field not in MIRROR_FIELDS:
        return False
    at = MIRROR_FIELDS.index(field)
    if record[at] is None:
        return False
    record[at] = None
    return True


def _purge_plans(session: Session, account_id: int, field: str, *, demographic: bool) -> None:
    runs = select(SyncRun.id).where(SyncRun.account_id == account_id)
    rows = session.execute(
        select(PlanItem.run_id, PlanItem.seq, PlanItem.changes).where(PlanItem.run_id.in_(runs))
    ).all()
    updates = []
    for run_id, seq, changes in rows:
        kept = [c for c in changes if not (c[0] == field and bool(c[3]) == demographic)]
        if len(kept) != len(changes):
            updates.append({"r": run_id, "q": seq, "c": _dumps(kept)})
    if updates:
        session.execute(
            text("UPDATE plan_items SET changes = :c WHERE run_id = :r AND seq = :q"), updates
        )


def _purge_issues(session: Session, account_id: int, field: str) -> None:
    for run in session.scalars(select(SyncRun).where(SyncRun.account_id == account_id)):
        if any(i.get("field") == field for i in run.issues):
            run.issues = [_scrubbed(i) if i.get("field") == field else i for i in run.issues]


def _scrubbed(issue: dict[str, Any]) -> dict[str, Any]:
    label = FIELD_LABELS.get(str(issue["field"]), str(issue["field"]))
    where = issue.get("location") or "a record"
    return {**issue, "message": f"{where}: {label} had a problem (the field is now redacted)."}


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- Minimisation of uploads ------------------------------------------------------------------


def minimise_csv(data: bytes, redacted: frozenset[str]) -> bytes:
    """The file without its redacted columns (unchanged when it has none, or cannot be read:
    the CSV source then reports the problem with its line)."""
    if not redacted:
        return data
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), strict=True))
    except (UnicodeDecodeError, csv.Error):
        return data
    if not rows:
        return data
    drop = {i for i, h in enumerate(rows[0]) if _column_field(h.strip()) in redacted}
    if not drop:
        return data
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(_without(row, drop) for row in rows)
    return out.getvalue().encode()


def _column_field(header: str) -> str:
    return COLUMNS.get(header) or header


def _without(row: Sequence[str], drop: set[int]) -> list[str]:
    return [cell for i, cell in enumerate(row) if i not in drop]
