"""How long a value the directory keeps: the columns' sizes, from the field schema, checked in
validation so both databases refuse the same values with the same error (SQLite would store
what PostgreSQL rejects) and an import never reaches the database with them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain
from operator import attrgetter, itemgetter, methodcaller

from peoplesync.core.employee import SourceEmployee
from peoplesync.core.fields import VALUE_FIELDS
from peoplesync.core.issues import Issue, Severity

# The text fields with a size, as (position in `SourceEmployee.values`, name, label, limit).
_SIZED = tuple(
    (i, f.name, f.label, f.max_length) for i, f in enumerate(VALUE_FIELDS) if f.max_length
)
_VALUES, _SOURCE_ID, _MANAGER_EMAIL, _DEMOGRAPHICS = map(
    attrgetter, ("values", "source_id", "manager_email", "demographics")
)
_SIZED_VALUES = itemgetter(*(i for i, *_ in _SIZED))
_KEYS, _TEXTS = methodcaller("keys"), methodcaller("values")
SOURCE_ID_MAX = 255  # the people and mirror tables' source_id
MANAGER_EMAIL_MAX = 320
DEMOGRAPHIC_NAME_MAX = 200  # demographics.name
DEMOGRAPHIC_VALUE_MAX = 500  # person_demographics.value
_SMALLEST = min(
    (*(limit for *_, limit in _SIZED), SOURCE_ID_MAX, MANAGER_EMAIL_MAX, DEMOGRAPHIC_NAME_MAX)
)


def length_issues(records: Sequence[SourceEmployee]) -> Iterator[Issue]:
    """An error per value longer than the directory keeps, naming the record, the field and
    the limit (a value is never cut short: a cut name or email would be another one). The
    longest value of each field is found first, at C speed (`map`); only when one is too long
    are the records looked at one by one."""
    if not records or _longest_within_limits(records):
        return
    for rec in records:
        yield from _record_issues(rec)


def _longest_within_limits(records: Sequence[SourceEmployee]) -> bool:
    """True when no value can be too long: the longest of all sized values is within the
    smallest limit (three passes in all, each at C speed; the exact check runs only if not)."""
    values = chain.from_iterable(map(_SIZED_VALUES, map(_VALUES, records)))
    if max(map(len, filter(None, values)), default=0) > _SMALLEST:
        return False
    ids = chain(map(_SOURCE_ID, records), map(_MANAGER_EMAIL, records))
    if max(map(len, filter(None, ids)), default=0) > _SMALLEST:
        return False
    demographics = list(map(_DEMOGRAPHICS, records))
    texts = chain(
        chain.from_iterable(map(_KEYS, demographics)),
        chain.from_iterable(map(_TEXTS, demographics)),
    )
    return max(map(len, texts), default=0) <= _SMALLEST


def _record_issues(rec: SourceEmployee) -> Iterator[Issue]:
    values = rec.values
    for i, name, label, limit in _SIZED:
        value = values[i]
        if isinstance(value, str) and len(value) > limit:
            yield _too_long(rec, name, label, len(value), limit)
    if rec.source_id and len(rec.source_id) > SOURCE_ID_MAX:
        yield _too_long(rec, "source_id", "Source ID", len(rec.source_id), SOURCE_ID_MAX)
    if rec.manager_email and len(rec.manager_email) > MANAGER_EMAIL_MAX:
        yield _too_long(rec, "manager", "Manager Email", len(rec.manager_email), MANAGER_EMAIL_MAX)
    for demographic, value in rec.demographics.items():
        if len(demographic) > DEMOGRAPHIC_NAME_MAX:
            yield Issue(
                severity=Severity.ERROR,
                code="demographic_name_too_long",
                message=f"{rec.describe()}: the demographic name '{demographic[:40]}…' has "
                f"{len(demographic)} characters; the longest kept is {DEMOGRAPHIC_NAME_MAX}.",
                hint="Shorten the column's header (or the HRIS field's name).",
                location=rec.location,
                field=demographic[:DEMOGRAPHIC_NAME_MAX],
                who=_who(rec),
            )
        elif len(value) > DEMOGRAPHIC_VALUE_MAX:
            yield _too_long(rec, demographic, demographic, len(value), DEMOGRAPHIC_VALUE_MAX)


def _too_long(rec: SourceEmployee, field: str, label: str, length: int, limit: int) -> Issue:
    return Issue(
        severity=Severity.ERROR,
        code="too_long",
        message=f"{rec.describe()}: {label} has {length:,} characters; the longest kept is "
        f"{limit:,}.",
        hint=f"Shorten the {label} in the HRIS (or the file) to at most {limit:,} characters.",
        location=rec.location,
        field=field,
        who=_who(rec),
    )


def _who(rec: SourceEmployee) -> str:
    name = rec.name if rec.name and len(rec.name) <= 80 else (rec.name or "(no name)")[:80] + "…"
    return f"{name} <{rec.email}>" if rec.email and len(rec.email) <= 320 else name
