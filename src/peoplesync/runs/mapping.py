"""The Map fields page's use case, for web, API and CLI alike: each source's fields, and a
preview of the values a mapping would produce for a few people.

    merge   the fields the provider supports (available-actions, recorded on the connection),
            its groups, and the custom fields Merge's records carry (seen in a sample of a few
            employees, read live: the mirror keeps only what the mapping asks for)
    file    the columns of a given file, else of the last upload (names only)

A preview never stores what it reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from peoplesync.accounts.service import get_account
from peoplesync.connections import mapping
from peoplesync.connections import service as connections
from peoplesync.core.employee import SourceEmployee
from peoplesync.core.fields import CSV_COLUMNS
from peoplesync.core.mapping import EXCLUDED, Exclusion, FieldMapping, remap
from peoplesync.errors import PeoplesyncError
from peoplesync.runs.hris import HrisContext
from peoplesync.sources.files import open_file
from peoplesync.sources.merge.fields import CUSTOM, custom_names, field_label, offered
from peoplesync.sources.merge.mapping import EmployeeMapper

PREVIEW_PEOPLE = 5


@dataclass(frozen=True, slots=True)
class Preview:
    """What a mapping would produce: per person, the demographics' values, and whether the
    exclusion rule leaves them out."""

    people: list[dict[str, Any]] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  # the source fields the sample showed
    error: str | None = None  # why no preview could be read


def source_fields(
    session: Session, account_id: int, source: str, *, seen: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """(field, label) of every field the source offers to map (`seen`: fields a sample
    showed, such as a provider's custom fields or a given file's columns)."""
    if source == "merge":
        found = connections.list_connections(session, account_id)
        supported = found[0].supported_fields if found else None
        keys = [f.key for f in offered(supported)]
    else:
        keys = mapping.last_columns(session, account_id)
    stored = mapping.load_mapping(session, account_id, source)
    rule = [stored.exclusion.field] if stored.exclusion else []
    every = dict.fromkeys([*keys, *stored.targets, *rule, *seen])
    if source == "merge":
        return [(k, field_label(k)) for k in every]
    return [(k, k) for k in every if k not in CSV_COLUMNS]


def preview_file(
    data: bytes,
    proposed: FieldMapping,
    *,
    name: str | None,
    redacted: frozenset[str],
    limit: int = PREVIEW_PEOPLE,
) -> Preview:
    """The first people of a file, under `proposed` (the file's problems: `error`)."""
    try:
        batch = open_file(data, name=name, redacted=redacted).read()
    except PeoplesyncError as err:
        return Preview(error=err.admin_message())
    columns = sorted(batch.snapshot.demographic_names)
    records = remap(batch.snapshot.records[:limit], proposed)
    return Preview(_people(records, redacted), columns)


def preview_merge(
    session: Session,
    account_id: int,
    ctx: HrisContext,
    proposed: FieldMapping,
    *,
    limit: int = PREVIEW_PEOPLE,
) -> Preview:
    """The first employees Merge lists, under `proposed` (read live, never stored)."""
    account = get_account(session, account_id)
    redacted = frozenset(account.redacted_fields)
    try:
        connection = connections.get_connection(session, account_id)
        with ctx.client(connection) as client:
            raw = next(client.iter_employee_pages(include_deleted=False), [])[:limit]
    except PeoplesyncError as err:
        return Preview(error=err.admin_message())
    map_employee = EmployeeMapper(redacted=redacted, mapping=proposed)
    records = [r for item in raw if (r := map_employee(item))]
    return Preview(_people(records, redacted), custom_names(raw))


def _people(records: Sequence[SourceEmployee], redacted: frozenset[str]) -> list[dict[str, Any]]:
    return [
        {
            "name": r.name,
            "email": r.email,
            "values": {
                k: v for k, v in r.demographics.items() if k != EXCLUDED and k not in redacted
            },
            "excluded": EXCLUDED in r.demographics,
        }
        for r in records
    ]


def known_fields(
    session: Session, account_id: int, source: str, proposed: FieldMapping
) -> list[str]:
    """The fields a proposed mapping may name: the source's (a provider's custom field, or a
    file's column not uploaded yet, whenever it is one; never a core column)."""
    offered_now = [k for k, _ in source_fields(session, account_id, source)]
    named = [*proposed.targets, *([proposed.exclusion.field] if proposed.exclusion else [])]
    if source == "merge":
        return [*offered_now, *(k for k in named if k.startswith(CUSTOM))]
    return [*offered_now, *(k for k in named if k and k not in CSV_COLUMNS)]


def save(
    session: Session,
    account_id: int,
    source: str,
    targets: dict[str, str],
    exclusion: Exclusion | None,
    *,
    actor: str | None,
    now: datetime,
) -> FieldMapping:
    """Store a source's mapping, checked against its fields (web, API and CLI)."""
    stored = mapping.load_mapping(session, account_id, source)
    if source == "file":  # the columns not named import under their own headers: say so
        columns = mapping.last_columns(session, account_id)
        targets = {**{c: stored.target(c) or "" for c in columns}, **targets}
    proposed = proposed_of(stored, targets, exclusion)
    known = known_fields(session, account_id, source, proposed)
    return mapping.save_mapping(
        session, account_id, source, proposed, known_fields=known, actor=actor, now=now
    )


def mapping_view(session: Session, account_id: int, source: str) -> dict[str, Any]:
    """A source's mapping as pages and the API show it."""
    stored = mapping.load_mapping(session, account_id, source)
    rule = stored.exclusion
    return {
        "source": source,
        "fields": [
            {"field": key, "label": label, "demographic": stored.target(key) or ""}
            for key, label in source_fields(session, account_id, source)
        ],
        "exclude": None if rule is None else {"field": rule.field, "values": list(rule.values)},
        "demographics": mapping.demographic_names(session, account_id),
    }


def proposed_of(
    stored: FieldMapping, targets: dict[str, str], exclusion: Exclusion | None
) -> FieldMapping:
    """`stored` with these targets and this exclusion rule instead."""
    return replace(stored.with_targets(mapping.targets_from(targets)), exclusion=exclusion)


def redacted_of(session: Session, account_id: int) -> frozenset[str]:
    return frozenset(get_account(session, account_id).redacted_fields)
