"""Properties of the per-person hold: whatever is held, the part that imports keeps the directory
valid, and releasing the held changes in any order ends where the whole plan would have."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from peoplesync.core.employee import Person
from peoplesync.core.hold import DEPENDENCY, problems, split, stale_fields
from peoplesync.core.plan import Plan, directory_after, plan
from peoplesync.core.validate import validate
from tests.factories.employees import person, snapshot, source_employee
from tests.factories.strategies import IMPORT_DATE, SyncCase, sync_cases

ROUNDS = 3  # partial imports with random holds; then everything still held is released


def valid(directory: Sequence[Person]) -> list[Person]:
    """`directory` with whatever breaks a set rule cleared (a directory the store would hold)."""
    people = {p.id: p for p in directory}
    while found := problems(people.values()):
        problem = found[0]
        first = people[min(problem.people)]
        field = problem.field
        if field == "manager":
            people[first.id] = first.changed(manager_id=None)
        else:
            others = sorted(problem.people - {min(problem.people)}) if field != "end_date" else []
            for pid in others or [first.id]:
                people[pid] = people[pid].changed(**{field: None})
    return list(people.values())


def make_plan(case: SyncCase, directory: Sequence[Person]) -> Plan:
    ids = (f"new-{n}" for n in count(1))
    return plan(case.snapshot, directory, import_date=IMPORT_DATE, new_id=lambda: next(ids))


def by_id(directory: Sequence[Person]) -> dict[str, Person]:
    return {p.id: p for p in directory}


@settings(max_examples=300)
@given(sync_cases(), st.data())
def test_every_partial_import_keeps_the_directory_valid(
    case: SyncCase, data: st.DataObject
) -> None:
    start = valid(case.directory)
    whole = make_plan(case, start)
    assume(validate(case.snapshot, today=IMPORT_DATE).ok and not whole.issues)
    final = directory_after(start, whole)
    assume(not problems(final))
    directory, waiting = start, whole.changed()
    for round_ in range(ROUNDS + 1):
        ids = sorted({i.person_id for i in waiting})
        chosen = data.draw(st.sets(st.sampled_from(ids))) if ids and round_ < ROUNDS else set()
        for item in waiting:  # a held change still finds the directory as it was planned
            assert not stale_fields(item, by_id(directory).get(item.person_id))
        parts = split(
            Plan(IMPORT_DATE, waiting), directory, dict.fromkeys(chosen, ("privacy", "x"))
        )

        directory = directory_after(directory, parts.imported)

        assert problems(directory) == [], (chosen, parts)
        held = {h.item.person_id for h in parts.held}
        assert set(chosen) <= held
        assert all(h.reason == DEPENDENCY for h in parts.held if h.item.person_id not in chosen)
        waiting = tuple(h.item for h in parts.held)
    assert waiting == ()
    assert by_id(directory) == by_id(final)


def test_a_new_hire_under_a_held_manager_gets_the_manager_as_the_directory_has_them() -> None:
    boss = person(1)
    source = snapshot(
        [
            source_employee(1, name="Someone Else", birth_date=None),
            source_employee(2, manager_email="person1@acme.example"),
        ]
    )
    whole = plan(source, [boss], import_date=IMPORT_DATE)
    hire = next(i for i in whole.items if i.person_id != boss.id)

    parts = split(whole, [boss], {boss.id: ("privacy", "name and birth date")})

    after = by_id(directory_after([boss], parts.imported))
    assert after[boss.id] == boss  # held: as the directory had them
    assert after[hire.person_id].manager_id == boss.id
    assert [h.item.person_id for h in parts.held] == [boss.id]


def test_a_new_hire_taking_a_held_leavers_email_waits_with_them() -> None:
    leaver = person(1)
    source = snapshot([source_employee(2, email="person1@acme.example", source_id="s2")])
    whole = plan(source, [leaver], import_date=IMPORT_DATE)
    assert any(i.person_id == leaver.id for i in whole.changed())  # leaves, giving it up

    parts = split(whole, [leaver], {leaver.id: ("mass_leaver", "many leave")})

    assert not parts.imported.changed()
    reasons = {h.item.person_id == leaver.id: h for h in parts.held}
    assert (reasons[True].reason, reasons[False].reason) == ("mass_leaver", DEPENDENCY)
    assert "person1@acme.example" in reasons[False].why
