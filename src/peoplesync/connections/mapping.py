"""An account's field mapping and exclusion rule per source, as web, API and CLI change them.

    merge   the connected HRIS: its Merge Employee fields (those the provider supports, per
            `available-actions`), its groups and custom fields (sources/merge/fields.py)
    file    CSV/XLSX uploads: every column beyond the core ones (a column the mapping does not
            name is imported under its own header, as always)

No stored mapping is the source's default (what peoplesync always did). A mapping is checked as
a whole and refused with every problem named (`InputError`); it never changes core fields. A
changed mapping shows in the next review as demographic changes (the planner compares every
mapped demographic); nothing already in the directory or its history is dropped. The last
upload's columns are remembered (names only, never values), so the page can offer them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from peoplesync.core.fields import CSV_COLUMNS
from peoplesync.core.mapping import (
    Exclusion,
    FieldMapping,
    exclusion_problems,
    from_json,
    target_problems,
    to_json,
)
from peoplesync.errors import InputError
from peoplesync.sources.merge.fields import DEFAULT_MAPPING
from peoplesync.store.models import Demographic, FieldMappingRow

SOURCES = ("merge", "file")
FILE_DEFAULT = FieldMapping(passthrough=True)
MAX_VALUES = 50  # values of one exclusion rule


def default_mapping(source: str) -> FieldMapping:
    return DEFAULT_MAPPING if source == "merge" else FILE_DEFAULT


def _row(session: Session, account_id: int, source: str) -> FieldMappingRow | None:
    _check_source(source)
    return session.get(FieldMappingRow, (account_id, source))


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise InputError(
            f"'{source}' is not a source of this account.",
            hint="Map the fields of 'merge' (the connected HRIS) or 'file' (uploads).",
            field="source",
        )


def load_mapping(session: Session, account_id: int, source: str) -> FieldMapping:
    """The source's mapping: the stored one, or its default."""
    row = _row(session, account_id, source)
    if row is None or "targets" not in row.mapping:
        return default_mapping(source)
    return from_json(row.mapping, passthrough=source == "file")


def last_columns(session: Session, account_id: int) -> list[str]:
    """The demographic columns of the last upload (its header, less the core columns)."""
    row = _row(session, account_id, "file")
    return [str(c) for c in (row.mapping.get("columns") or [])] if row else []


def remember_columns(
    session: Session, account_id: int, header: Sequence[str], now: datetime
) -> None:
    """Keep the names of an upload's demographic columns (for the Map fields page)."""
    columns = [c for c in header if c and c not in CSV_COLUMNS]
    row = _row(session, account_id, "file")
    if row is None:
        row = FieldMappingRow(account_id=account_id, source="file", mapping={}, updated_at=now)
        session.add(row)
    if row.mapping.get("columns") != columns:
        row.mapping = {**row.mapping, "columns": columns}


def demographic_names(session: Session, account_id: int) -> list[str]:
    """The account's demographics, by their exact names (a mapping chooses among them)."""
    found = select(Demographic.name).where(Demographic.account_id == account_id)
    return sorted(session.scalars(found), key=str.casefold)


def parse_exclusion(field: str | None, values: Iterable[str]) -> Exclusion | None:
    """An exclusion rule from a form or a request (no field: no rule)."""
    if not field:
        return None
    kept = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(kept) > MAX_VALUES:
        raise InputError(
            f"The exclusion names {len(kept)} values; at most {MAX_VALUES}.", field="exclude"
        )
    return Exclusion(field, kept)


def check_mapping(mapping: FieldMapping, known_fields: Iterable[str]) -> None:
    """Refuse a mapping, naming every problem at once."""
    known = list(known_fields)
    problems = target_problems(mapping.targets, known)
    if mapping.exclusion is not None:
        problems += exclusion_problems(mapping.exclusion, known)
    if problems:
        raise InputError(
            " ".join(problems),
            hint="Map each field to a demographic by its exact name (or to nothing); core "
            "fields always map the same way.",
            field="mapping",
        )


def save_mapping(
    session: Session,
    account_id: int,
    source: str,
    mapping: FieldMapping,
    *,
    known_fields: Iterable[str],
    actor: str | None,
    now: datetime,
) -> FieldMapping:
    """Store the source's mapping (checked first; refused whole)."""
    check_mapping(mapping, known_fields)
    row = _row(session, account_id, source)
    data: dict[str, Any] = to_json(mapping)
    if row is None:
        row = FieldMappingRow(account_id=account_id, source=source, mapping={}, updated_at=now)
        session.add(row)
    row.mapping = {**row.mapping, **data}
    row.updated_at, row.updated_by = now, actor
    return load_mapping(session, account_id, source)


def reset_mapping(session: Session, account_id: int, source: str) -> FieldMapping:
    """Back to the default mapping (the remembered columns stay)."""
    row = _row(session, account_id, source)
    if row is not None:
        row.mapping = {k: v for k, v in row.mapping.items() if k == "columns"}
    return default_mapping(source)


def describe(mapping: FieldMapping, fields: Iterable[str]) -> list[dict[str, Any]]:
    """Each field and the demographic it maps to ("" : not imported)."""
    return [{"field": f, "demographic": mapping.target(f) or ""} for f in fields]


def targets_from(pairs: Mapping[str, str]) -> dict[str, str]:
    """A mapping's targets from submitted (field -> demographic name) pairs, trimmed."""
    return {str(k): str(v).strip() for k, v in pairs.items()}
