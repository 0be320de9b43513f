"""The people an exclusion rule leaves out (core/mapping.py), planned: an excluded record is
never created; the active directory person it matches (by source ID, then Employee Id, then the
case-insensitive email, as any record) leaves, saying why: the reason "excluded" is a change of
its own (`LEAVE_REASON`), in the review and in the change log."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from peoplesync.core.employee import Person, PersonStatus, SourceEmployee
from peoplesync.core.identity import People, employee_key

LEAVE_REASON = "leave_reason"  # a change naming why a person leaves (not a column)


def excluded_people(
    excluded: Sequence[SourceEmployee], directory: Sequence[Person], claimed: Collection[str]
) -> list[Person]:
    """The active people of the directory the excluded records match (once each), leaving out
    those a record of the import claimed."""
    if not excluded:
        return []
    people = People(directory)
    found: dict[str, Person] = {}
    for rec in excluded:
        person = _match(rec, people)
        if person is not None and person.id not in claimed and person.status is PersonStatus.ACTIVE:
            found.setdefault(person.id, person)
    return list(found.values())


def _match(rec: SourceEmployee, people: People) -> Person | None:
    key = employee_key(rec.employee_id)
    email = rec.email_key
    found: Person | None = (
        (people.by_source.get(rec.source_id) if rec.source_id else None)
        or (people.first_by_employee.get(key) if key else None)
        or (people.by_email.get(email) if email else None)
    )
    return found
