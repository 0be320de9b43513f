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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import structlog
from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from peoplesync.accounts.history import record_event
from peoplesync.accounts.service import bump_version
from peoplesync.core.fields import FIELD_LABELS, FIELDS, REDACTABLE_CORE_FIELDS
from peoplesync.errors import InputError
from peoplesync.store import held, mirror, plans
from peoplesync.store.bulk import bulk_insert
from peoplesync.store.directory import LOG_COLUMNS, SEARCHED_COLUMNS
from peoplesync.store.models import (
    Account,
    ChangeLog,
    Connection,
    Demographic,
    PersonDemographic,
    SyncRun,
    people_table,
)
from peoplesync.store.models import Person as PersonRow
from peoplesync.store.search_terms import SEARCHED, current_values, move_terms

log = structlog.get_logger(__name__)

REDACTED_MARK = "[redacted]"
_LABELS_TO_FIELDS = {label: name for name, label in FIELD_LABELS.items()}
_IDENTITY = frozenset({"name", "email", "source_id", "manager"})
_people = people_table
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


def redactable_choices(account: Account, demographics: Iterable[str]) -> list[tuple[str, str]]:
    """What the admin may redact, as (field, label): the redactable core fields in the schema's
    order, then the account's demographics by their exact names; what is redacted already is
    left out."""
    done = set(account.redacted_fields)
    core = [(f.name, f.label) for f in FIELDS if f.redactable and f.name not in done]
    return core + [(name, name) for name in demographics if name not in done]


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
    connection_ids = session.scalars(
        select(Connection.id).where(Connection.account_id == account.id)
    ).all()
    mirror.drop_field(session, connection_ids, field, demographic=demographic)
    plans.drop_field(session, account.id, field, demographic=demographic)
    held.drop_field(session, account.id, field, demographic=demographic)
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
    searched = current_values(session, account_id, ids) if field in SEARCHED_COLUMNS else {}
    session.execute(update(_people).where(_people.c.account_id == account_id).values({field: None}))
    # The search terms hold the value too (an Employee Id, a preferred name's words).
    slot = SEARCHED.index(field) + 1 if searched else 0
    moves = ((old, [*old[:slot], None, *old[slot + 1 :]]) for old in searched.values())
    move_terms(session, account_id, moves)
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


def _purge_issues(session: Session, account_id: int, field: str) -> None:
    for run in session.scalars(select(SyncRun).where(SyncRun.account_id == account_id)):
        if any(i.get("field") == field for i in run.issues):
            run.issues = [_scrubbed(i) if i.get("field") == field else i for i in run.issues]


def _scrubbed(issue: dict[str, Any]) -> dict[str, Any]:
    label = FIELD_LABELS.get(str(issue["field"]), str(issue["field"]))
    where = issue.get("location") or "a record"
    return {**issue, "message": f"{where}: {label} had a problem (the field is now redacted)."}
