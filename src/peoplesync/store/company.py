"""`core.delta.Company` answered in SQL: a connection's mirror and its account's directory.

The planner of only what changed asks its questions here (see core/delta.py); each is an indexed
look-up, never a read of the whole company.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, Text, func, or_, select, text
from sqlalchemy.orm import Session

from peoplesync.core.delta import on_domains
from peoplesync.core.employee import Person, PersonStatus, SourceEmployee, fold
from peoplesync.store.bulk import chunks
from peoplesync.store.mirror import decode_records
from peoplesync.store.models import Person as PersonRow
from peoplesync.store.models import PersonDemographic, SourceRecord
from peoplesync.store.snapshots import demographic_ids, load_people

_mirror = cast(Table, SourceRecord.__table__)


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
        return decode_records(found)

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

    def records_on_domains(self, tlds: Collection[str]) -> Sequence[SourceEmployee]:
        """A scan of the email column (a suffix has no index); only reserved domains match."""
        key = _mirror.c.email_key
        query = select(_mirror.c.record.cast(Text)).where(
            _mirror.c.connection_id == self._connection_id,
            _mirror.c.record.is_not(None),
            or_(~key.like("%@%.%"), *(key.like(f"%.{tld}") for tld in sorted(tlds))),
        )
        found = decode_records(self._session.scalars(query).all())
        return [r for r in found if on_domains(r.email_key, tlds)]

    def tops(self, today: date) -> Collection[str]:
        return self._session.scalars(
            select(_mirror.c.source_id).where(
                _mirror.c.connection_id == self._connection_id,
                _mirror.c.manager_source_id.is_(None),
                _mirror.c.record.is_not(None),
                _mirror.c.end_date.is_(None) | (_mirror.c.end_date >= today),  # has_left
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

    def people_with_employee_ids(self, ids: Collection[str]) -> Sequence[Person]:
        return load_people(self._session, self._account_id, employee_ids=ids)

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
