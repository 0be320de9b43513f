"""`SyncPolicy.partial` (issue 13): a partial import creates and updates, and nobody leaves, in
the plan of the whole company and in the plan of only what changed."""

from __future__ import annotations

from datetime import date

from peoplesync.core.delta import Changes, MemoryCompany, plan_changes
from peoplesync.core.employee import Person, SourceEmployee, SourceSnapshot
from peoplesync.core.plan import ChangeKind, plan
from peoplesync.core.policy import SyncPolicy

TODAY = date(2026, 12, 2)
PROVIDED = frozenset({"name", "email"})
ADA = Person.of("p1", source_id="s1", name="Ada", email="ada@a.example")
BOB = Person.of("p2", source_id="s2", name="Bob", email="bob@a.example")


def kinds(items: object) -> dict[str, str]:
    return {item.person_id: item.kind.value for item in items}  # type: ignore[attr-defined]


def test_a_partial_plan_leaves_the_people_missing_from_the_file_as_they_are() -> None:
    file = SourceSnapshot(
        (SourceEmployee.of("row 2", name="Ada L", email="ada@a.example"),), PROVIDED
    )
    full = plan(file, [ADA, BOB], import_date=TODAY)
    partial = plan(file, [ADA, BOB], import_date=TODAY, policy=SyncPolicy(partial=True))
    assert kinds(full.items) == {"p1": "update", "p2": "leave"}
    assert kinds(partial.items) == {"p1": "update", "p2": "unchanged"}


def test_a_partial_plan_of_changes_makes_no_deleted_record_leave() -> None:
    ada = SourceEmployee.of("employee s1", source_id="s1", name="Ada L", email="ada@a.example")
    bob = SourceEmployee.of("employee s2", source_id="s2", name="Bob", email="bob@a.example")
    company = MemoryCompany([ada, bob], [ADA, BOB])
    changes = Changes(SourceSnapshot((ada,), PROVIDED, complete=False), frozenset({"s2"}))
    full = plan_changes(changes, company, import_date=TODAY)
    partial = plan_changes(changes, company, import_date=TODAY, policy=SyncPolicy(partial=True))
    assert full is not None
    assert partial is not None
    assert ChangeKind.LEAVE in {i.kind for i in full.plan.items}
    assert {i.kind for i in partial.plan.items} == {ChangeKind.UPDATE}
