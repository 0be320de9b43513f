"""The undo property (issue 17): for any sequence of imports (full and partial files: hires,
renames, email and team changes, managers, leavers, rehires) and undos, undoing the last import
gives the directory exactly as it was before it: every person, value, demographic and search
term. An undo of an earlier run is either refused naming someone later changes concern, or
imported. On SQLite and PostgreSQL, through the one sync use case."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from peoplesync.core.employee import Person
from peoplesync.core.states import RunState
from peoplesync.errors import ConflictError
from peoplesync.runs.sync import Syncs
from peoplesync.store.db import session_factory, unit_of_work
from peoplesync.store.models import Demographic, PersonSearchTerm
from peoplesync.store.snapshots import load_directory
from tests.runs.test_partial_imports import new_account, syncs

HEADER = "Name,Employee Id,Email,Start Date,End Date,Manager Email,Team\n"
POOL = 6  # people who may appear in a file


@dataclass(frozen=True)
class Row:
    who: int
    name: int  # which spelling of their name
    email: int  # which of their two emails
    team: str | None
    left: bool
    manager: int | None  # an earlier row of the same file


rows = st.lists(
    st.tuples(
        st.integers(0, 1),
        st.integers(0, 1),
        st.sampled_from([None, "Core", "Sales"]),
        st.booleans(),
        st.integers(0, POOL),
    ),
    min_size=POOL,
    max_size=POOL,
)
present = st.lists(st.booleans(), min_size=POOL, max_size=POOL).filter(any)
imports = st.tuples(present, rows, st.booleans())
steps = st.lists(st.one_of(imports, st.integers(0, 5)), min_size=1, max_size=4)


Picked = list[tuple[int, int, str | None, bool, int]]
Import = tuple[list[bool], Picked, bool]


def csv_of(present: list[bool], picked: Picked) -> bytes:
    chosen: list[Row] = []
    for who, (name, email, team, left, manager) in enumerate(picked):
        if present[who]:
            boss = manager if manager < len(chosen) else None
            chosen.append(Row(who, name, email, team, left, boss))
    lines = [HEADER]
    for row in chosen:
        manager_email = _email(chosen[row.manager]) if row.manager is not None else ""
        end = "2025-06-30" if row.left else ""
        named = f"{'Person' if row.name == 0 else 'Renamed'} {row.who}"
        lines.append(
            f"{named},E{row.who},{_email(row)},2020-01-06,{end},{manager_email},{row.team or ''}\n"
        )
    return "".join(lines).encode()


def _email(row: Row) -> str:
    return f"p{row.who}.{row.email}@undo.example"


@dataclass(frozen=True)
class State:
    people: dict[str, Person]
    demographics: list[str]
    terms: list[tuple[str, str]]


def state_of(engine: Engine, account_id: int) -> State:
    with unit_of_work(session_factory(engine)) as session:
        people = {p.id: p for p in load_directory(session, account_id)}
        names = session.scalars(
            select(Demographic.name).where(Demographic.account_id == account_id)
        )
        terms = session.execute(
            select(PersonSearchTerm.term, PersonSearchTerm.person_id).where(
                PersonSearchTerm.account_id == account_id
            )
        )
        return State(people, sorted(names), sorted((str(t), str(p)) for t, p in terms))


def apply_file(
    use: Syncs, engine: Engine, account_id: int, data: bytes, partial: bool, *, was: State
) -> int | None:
    """Import a file; the run's id when it changed something. A file validation blocks (after
    an undo, say, a row's Employee Id may be held by a former employee the row's email does not
    match) changes nothing: the directory is checked to be as it was (`was`)."""
    result = use.from_file(account_id, data, name="people.csv", actor="admin", partial=partial)
    if result.state is RunState.SUCCEEDED:
        return None  # nothing to change
    if result.state is RunState.BLOCKED:
        assert result.report.errors, result.error
        assert state_of(engine, account_id) == was
        return None
    assert result.state is RunState.AWAITING_REVIEW, (result.report.issues, result.error)
    done = use.apply(account_id, result.run_id, actor="admin", confirm=True)
    assert done.state is RunState.SUCCEEDED, done.error
    return result.run_id


def apply_undo(use: Syncs, account_id: int, run_id: int) -> int:
    planned = use.undo(account_id, run_id, actor="admin")
    assert planned.state is RunState.AWAITING_REVIEW, (planned.report.issues, planned.error)
    done = use.apply(account_id, planned.run_id, actor="admin", confirm=True)
    assert done.state is RunState.SUCCEEDED, done.error
    return planned.run_id


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps, last=imports)
def test_undoing_the_last_import_gives_the_directory_as_it_was_before_it(
    engine: Engine, steps: list[Import | int], last: Import
) -> None:
    use, account_id = syncs(engine), new_account(engine)
    before: dict[int, State] = {}  # each run that changed the directory (undos too): as it was
    for step in [*steps, last]:
        was = state_of(engine, account_id)
        if isinstance(step, int):
            run_id = _try_undo(use, account_id, list(before), step)
        else:
            present, picked, partial = step
            data = csv_of(present, picked)
            run_id = apply_file(use, engine, account_id, data, partial, was=was)
        if run_id is not None:
            before[run_id] = was
    if not before:
        return
    last_run = max(before)
    apply_undo(use, account_id, last_run)
    assert state_of(engine, account_id) == before[last_run]


def _try_undo(use: Syncs, account_id: int, changed: list[int], pick: int) -> int | None:
    """Undo one of the runs that changed the directory: imported, or refused saying why."""
    if not changed:
        return None
    try:
        planned = use.undo(account_id, changed[pick % len(changed)], actor="admin")
    except ConflictError as refused:
        message = refused.message
        assert "cannot be undone" in message or "already undone" in message, message
        if "cannot be undone" in message:
            assert " (sync " in message  # names who, and the sync that changed them
        return None
    if planned.state is RunState.BLOCKED:  # e.g. a person it would create again has a
        assert planned.report.errors  # successor holding their email: validation says so
        return None
    assert planned.state is RunState.AWAITING_REVIEW, planned.error
    done = use.apply(account_id, planned.run_id, actor="admin", confirm=True)
    assert done.state is RunState.SUCCEEDED, done.error
    return planned.run_id
