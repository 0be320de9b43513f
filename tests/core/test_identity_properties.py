"""Properties of the identity rules (issue 11, "How we will know").

- For any sequence of file versions in which each person keeps a stable Employee Id, no person is
  ever duplicated and no record ever moves to another person without a finding.
- Swapping any two identifiers between two people is always flagged or blocked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peoplesync.core.employee import Person, PersonStatus, SourceEmployee
from peoplesync.core.guard import GuardReason, guard
from peoplesync.core.plan import ChangeKind, Plan, directory_after, plan
from peoplesync.core.validate import validate
from tests.factories.employees import TODAY, person, snapshot, source_employee

relaxed = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov")


@dataclass(frozen=True)
class Version:
    """One file (or fetch): who is in it, and with which email, name and end date."""

    records: tuple[SourceEmployee, ...]
    kind: str


@st.composite
def versions(draw: st.DrawFn) -> list[Version]:
    n = draw(st.integers(2, 5))
    emails = [f"p{i}@acme.example" for i in range(n)] + ["shared@acme.example", "x@acme.example"]
    kind = draw(st.sampled_from(("csv", "merge")))
    found = []
    for _ in range(draw(st.integers(1, 4))):
        present = draw(st.lists(st.integers(0, n - 1), unique=True, min_size=1, max_size=n))
        records = []
        for row, i in enumerate(present):
            left = draw(st.sampled_from((None, None, None, TODAY - timedelta(days=3))))
            records.append(
                SourceEmployee.of(
                    f"row {row + 2}",
                    source_id=f"src-{i}" if kind == "merge" else None,
                    employee_id=f"E{i}",  # stable: person i always carries E{i}
                    name=draw(st.sampled_from(NAMES)),
                    email=draw(st.sampled_from(emails)),
                    end_date=left,
                )
            )
        found.append(Version(tuple(records), kind))
    return found


def _flagged(result: Plan, directory: list[Person], owner: str) -> bool:
    """Whether the plan says something about `owner`: a warning or a guard finding."""
    if any(i.code == "identifier_reused" for i in result.issues):
        return True
    return any(owner in f.person_ids for f in guard(result, directory).findings)


@relaxed
@given(versions())
def test_stable_employee_ids_never_duplicate_or_move_anyone_silently(
    history: list[Version],
) -> None:
    directory: list[Person] = []
    owner: dict[str, str] = {}  # Employee Id -> the person who had it first
    for version in history:
        snap = snapshot(version.records, kind=version.kind)
        if not validate(snap, today=TODAY, directory=directory).ok:
            continue  # never applied
        result = plan(snap, directory, import_date=TODAY)
        if any(i.blocking for i in result.issues):
            continue
        for item in result.items:
            if item.record_index is None:
                continue
            eid = version.records[item.record_index].employee_id or ""
            first = owner.setdefault(eid, item.person_id)
            if first != item.person_id:
                rec = version.records[item.record_index]
                known = {p.id: p for p in directory}.get(item.person_id)
                if known is not None and known.email_key == rec.email_key:
                    owner[eid] = item.person_id  # both identifiers are that person's: theirs
                    continue
                # else a new person re-using a former one's Employee Id
                assert item.kind is ChangeKind.CREATE
                assert _flagged(result, directory, first), (eid, result)
                owner[eid] = item.person_id  # the admin was told; it is theirs from now on
        directory = directory_after(directory, result)
        active = [p.employee_id for p in directory if p.status is PersonStatus.ACTIVE]
        assert len(active) == len(set(active)), directory  # nobody duplicated


@st.composite
def swaps(draw: st.DrawFn) -> tuple[list[Person], list[SourceEmployee], str, str, str]:
    n = draw(st.integers(2, 6))
    a, b = draw(st.lists(st.integers(1, n), unique=True, min_size=2, max_size=2))
    kind = draw(st.sampled_from(("csv", "merge")))
    fields = ["email", "employee_id", *(["source_id"] if kind == "merge" else [])]
    field = draw(st.sampled_from(fields))
    directory = [person(i) for i in range(1, n + 1)]
    records = [source_employee(i) for i in range(1, n + 1)]
    first, second = records[a - 1], records[b - 1]
    if field == "source_id":
        records[a - 1] = first.changed(source_id=second.source_id)
        records[b - 1] = second.changed(source_id=first.source_id)
    else:
        records[a - 1] = first.changed(**{field: second.value(field)})
        records[b - 1] = second.changed(**{field: first.value(field)})
    if kind == "csv":
        records = [r.changed(source_id=None) for r in records]
    return directory, records, kind, f"p-{a}", f"p-{b}"


@relaxed
@given(swaps())
def test_swapping_any_two_identifiers_is_flagged_or_blocked(
    case: tuple[list[Person], list[SourceEmployee], str, str, str],
) -> None:
    directory, records, kind, a, b = case
    snap = snapshot(records, kind=kind)
    assert validate(snap, today=TODAY, directory=directory).ok  # a swap keeps each unique

    result = plan(snap, directory, import_date=TODAY)

    blocked = [i for i in result.issues if i.blocking]
    if blocked:
        assert {i.code for i in blocked} == {"swapped_identifiers"}
        return
    findings = guard(result, directory).findings
    assert any(f.reason is GuardReason.PRIVACY and {a, b} <= set(f.person_ids) for f in findings), (
        findings,
        result,
    )
