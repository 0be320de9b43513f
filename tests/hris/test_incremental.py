"""Incremental syncs plan only what changed (core/delta.py over the mirror), and agree with a
plan of the whole company made from the same mirror and directory, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, func, inspect, select
from sqlalchemy.orm import Session

from peoplesync.accounts.service import get_account, local_today
from peoplesync.accounts.settings import policy_of
from peoplesync.connections import service as connections
from peoplesync.core.employee import SourceEmployee
from peoplesync.core.plan import ChangeKind, plan
from peoplesync.core.states import RunState
from peoplesync.core.validate import validate
from peoplesync.people.service import change_email
from peoplesync.sandbox import SandboxServer
from peoplesync.sources.merge.source import basis as merge_basis
from peoplesync.store import bulk, mirror
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import PendingRecord, SourceRecord
from peoplesync.store.plans import load_plan
from peoplesync.store.snapshots import load_directory
from tests.hris.conftest import World, make_world, now


@pytest.fixture(params=["sqlite", "postgres"])
def any_world(request: pytest.FixtureRequest, sandbox: SandboxServer, tmp_path: Path) -> World:
    """A world on each database (PostgreSQL's is the shared test schema, one account each)."""
    engine = None
    if request.param == "postgres":
        engine = request.getfixturevalue("postgres_engine")
        assert isinstance(engine, Engine)
    return make_world(sandbox, tmp_path, seed=23, engine=engine)


def stored_changes(world: World, run_id: int) -> list[tuple[Any, ...]]:
    """The run's stored plan, comparable with a plan made again (a new person's id is random:
    they are named by their label)."""
    with unit_of_work(world.factory) as session:
        rows = load_plan(session, run_id)
    return _normal([(r.kind, r.person_id, r.label, [tuple(c) for c in r.changes]) for r in rows])


def whole_company_changes(world: World) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    """What planning the whole company from the mirror and the directory gives now."""
    with unit_of_work(world.factory) as session:
        account = get_account(session, world.account_id)
        connection = connections.get_connection(session, world.account_id)
        basis = merge_basis(connection.supported_fields, frozenset(account.redacted_fields))
        records = tuple(mirror.load_mirror(session, connection.id))
        directory = load_directory(session, world.account_id)
        whole = plan(
            replace(basis, records=records),
            directory,
            import_date=local_today(account, now()),
            policy=policy_of(account),
        )
    items = [(i.kind, i.person_id, i.label, [tuple(c) for c in i.changes]) for i in whole.changed()]
    return _normal(items), whole.counts()


def _normal(items: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    new = {pid: f"new:{label}" for kind, pid, label, _ in items if kind is ChangeKind.CREATE}
    return sorted(
        (
            kind.value,
            new.get(pid, pid),
            label,
            tuple((f, new.get(b, b), new.get(a, a), bool(d)) for f, b, a, d in changes),
        )
        for kind, pid, label, changes in items
    )


def rows_of(world: World, model: type[SourceRecord | PendingRecord], *where: Any) -> int:
    """How many rows of the connection's mirror (or of its pending rows) match `where`."""
    with unit_of_work(world.factory) as session:
        connection = connections.get_connection(session, world.account_id)
        query = select(func.count()).where(model.connection_id == connection.id, *where)
        return int(session.scalar(query) or 0)


def pending_rows(world: World) -> int:
    return rows_of(world, PendingRecord)


def test_an_incremental_sync_plans_only_what_changed_as_a_whole_plan_would(
    any_world: World,
) -> None:
    world = any_world
    world.sync_and_apply()
    assert pending_rows(world) == 0
    control, token = world.sandbox.control, world.token
    changed = set(control.churn(token, 6, seed=4))
    everyone = world.employees()
    managers = {e["manager"] for e in everyone}
    staff = [
        e
        for e in everyone
        if e["manager"] and e["id"] not in managers and str(e["id"]) not in changed
    ]
    gone, mailed = str(staff[0]["id"]), str(staff[1]["id"])
    control.delete(token, gone)
    control.change_email(token, mailed, "moved.on@example.com")
    hired = str(control.hire(token, first_name="Nia", manager_id=staff[2]["manager"])["id"])
    before = mirrored(world)

    outcome = world.sync()

    run = world.run(outcome.run_id)
    assert run.issues == []
    after = mirrored(world)
    # A churned phone number is not a field we keep: that record is the same, and not planned.
    moved = {sid for sid in changed if before.get(sid) != after.get(sid)}
    assert run.timings["planned_records"] == len(moved | {mailed, hired})  # not the company
    expected, counts = whole_company_changes(world)
    assert stored_changes(world, outcome.run_id) == expected
    assert {k: v for k, v in run.counts.items() if k in counts} == counts
    assert counts["create"] == 1
    assert counts["leave"] >= 1  # the deleted employee (and any churned leaver)
    assert outcome.state is RunState.AWAITING_REVIEW
    world.sync_and_apply()  # the same changes again (a new run replaces the reviewed one)
    people = world.people()
    assert people[gone].status == "former"
    assert people[mailed].email == "moved.on@example.com"
    assert hired in people
    assert pending_rows(world) == 0
    assert rows_of(world, SourceRecord, SourceRecord.record.is_(None)) == 0  # the deleted row


def mirrored(world: World) -> dict[str | None, Any]:
    with unit_of_work(world.factory) as session:
        connection = connections.get_connection(session, world.account_id)
        return {r.source_id: r for r in mirror.load_mirror(session, connection.id)}


def test_a_record_fetched_again_the_same_is_neither_written_nor_planned(world: World) -> None:
    world.sync_and_apply()
    control, token = world.sandbox.control, world.token
    staff = [e for e in world.employees() if e["manager"]]
    phoned, renamed = str(staff[0]["id"]), str(staff[1]["id"])
    control.update(token, phoned, mobile_phone_number="+1 555 010 0199")  # not a field we keep
    control.rename(token, renamed, last_name="Okafor")
    before = mirrored(world)

    outcome = world.sync()

    run = world.run(outcome.run_id)
    assert run.timings["pages"] == 1  # both were fetched ...
    assert run.timings["planned_records"] == 1  # ... only the rename is planned
    assert pending_rows(world) == 1
    after = mirrored(world)
    assert after[phoned] == before[phoned]
    assert after[renamed].name != before[renamed].name
    planned = [row.person_id for row in _changes(world, outcome.run_id)]
    assert planned == [world.people()[renamed].id]
    world.sync_and_apply()
    assert pending_rows(world) == 0
    assert world.people()[renamed].name == after[renamed].name


def _changes(world: World, run_id: int) -> list[Any]:
    with unit_of_work(world.factory) as session:
        return list(load_plan(session, run_id))


def test_a_reporting_loop_made_incrementally_is_named_as_a_whole_validation_names_it(
    any_world: World,
) -> None:
    world = any_world
    world.sync_and_apply()
    everyone = world.employees()
    managers = {e["manager"] for e in everyone}
    report = next(e for e in everyone if e["manager"] and e["id"] in managers)
    boss = str(report["manager"])
    world.sandbox.control.move_manager(world.token, boss, str(report["id"]))  # boss <-> report

    outcome = world.sync()

    run = world.run(outcome.run_id)
    assert outcome.state is RunState.BLOCKED
    assert run.timings["planned_records"] == 1  # only the boss's record was planned
    loops = [i for i in run.issues if i["code"] == "reporting_loop"]
    with unit_of_work(world.factory) as session:
        connection = connections.get_connection(session, world.account_id)
        basis = merge_basis(connection.supported_fields, frozenset())
        records = tuple(mirror.load_mirror(session, connection.id))
    whole = validate(replace(basis, records=records), today=local_today(account_of(world), now()))
    expected = [i.to_dict() for i in whole.issues if i.code == "reporting_loop"]
    assert len(loops) == 1
    assert loops == expected
    named = {r.source_id: r.describe() for r in records}
    assert named[boss] in loops[0]["message"]
    assert named[str(report["id"])] in loops[0]["message"]


def test_in_step_follows_the_directory_version(world: World) -> None:
    world.sync_and_apply()
    with unit_of_work(world.factory) as session:
        version = get_account(session, world.account_id).directory_version
        step = connections.get_connection(session, world.account_id).in_step
    assert step is not None
    assert step["version"] == version
    assert step["date"] == local_today(account_of(world), now()).isoformat()


def account_of(world: World) -> Any:
    with unit_of_work(world.factory) as session:
        return get_account(session, world.account_id)


def test_an_edit_in_the_directory_makes_the_next_sync_plan_the_whole_company(
    world: World,
) -> None:
    world.sync_and_apply()
    someone = world.employees()[7]
    with unit_of_work(world.factory) as session:
        person = world.people()[str(someone["id"])]
        change_email(
            session, world.account_id, person.id, "edited@example.com", actor="admin", now=now()
        )
    world.sandbox.control.rename(world.token, str(world.employees()[9]["id"]), first_name="Zed")

    outcome = world.sync()

    run = world.run(outcome.run_id)
    assert "planned_records" not in run.timings  # the whole company was planned
    assert "load_directory" in run.timings
    assert outcome.plan is not None
    emails = [c for i in outcome.plan.changed() for c in i.changes if c.field == "email"]
    assert [(c.before, c.after) for c in emails] == [("edited@example.com", someone["work_email"])]
    world.sync_and_apply(confirm=True)
    world.sandbox.control.rename(world.token, str(world.employees()[9]["id"]), first_name="Ann")
    again = world.run(world.sync().run_id)
    assert again.timings["planned_records"] == again.progress["fetched"]  # in step again


def test_changes_of_a_sync_never_imported_are_planned_by_the_next(world: World) -> None:
    world.sync_and_apply()
    first, second = (str(e["id"]) for e in world.employees()[10:12])
    world.sandbox.control.rename(world.token, first, first_name="Una")
    unreviewed = world.sync()
    assert unreviewed.state is RunState.AWAITING_REVIEW
    world.sandbox.control.rename(world.token, second, first_name="Dos")

    outcome = world.sync()  # fetches only the second rename

    assert world.run(outcome.run_id).progress["fetched"] == 1
    assert world.run(outcome.run_id).timings["planned_records"] == 2
    replaced = world.run(unreviewed.run_id)
    assert (replaced.state, replaced.error) == ("cancelled", f"Replaced by sync {outcome.run_id}.")
    assert outcome.plan is not None
    renamed = {i.person_id for i in outcome.plan.changed()}
    people = world.people()
    assert renamed == {people[first].id, people[second].id}


def test_an_end_date_that_comes_makes_a_leaver_with_nothing_fetched(world: World) -> None:
    world.sync_and_apply()
    leaver = str(world.employees()[12]["id"])
    today = local_today(account_of(world), now())
    world.sandbox.control.terminate(world.token, leaver, termination_date=today + timedelta(3))
    noticed = world.sync_and_apply()
    assert noticed.plan is not None
    assert noticed.plan.counts()["leave"] == 0  # the end date is still ahead
    assert world.people()[leaver].status == "active"
    later = now() + timedelta(days=5)
    later_day = local_today(account_of(world), later)
    people = world.people().values()
    due = {p.id for p in people if p.end_date and today < p.end_date <= later_day}
    assert world.people()[leaver].id in due  # (with any the company had already)

    outcome = replace_clock(world, later).sync()

    run = world.run(outcome.run_id)
    assert run.progress["fetched"] == 0
    assert run.timings["planned_records"] == len(due)
    assert outcome.plan is not None
    assert {i.kind for i in outcome.plan.changed()} == {ChangeKind.LEAVE}
    assert {i.person_id for i in outcome.plan.changed()} == due


def replace_clock(world: World, at: Any) -> World:
    return replace(world, ctx=replace(world.ctx, clock=lambda: at))


def test_a_date_before_the_last_import_plans_the_whole_company(world: World) -> None:
    world.sync_and_apply()
    world.sandbox.control.rename(world.token, str(world.employees()[3]["id"]), first_name="Bo")
    outcome = replace_clock(world, now() - timedelta(days=2)).sync()
    assert "planned_records" not in world.run(outcome.run_id).timings
    assert outcome.plan is not None
    assert outcome.plan.counts()["update"] == 1


def test_a_full_fetch_plans_the_records_it_fetched_as_the_mirror_holds_them(
    any_world: World,
) -> None:
    """A full fetch plans the whole company from the records in hand, not read back from the
    mirror: the plan is the one the mirror's records give, on the first sync and on a full
    resync of a company that changed (a leaver, a changed email, a hire)."""
    world = any_world
    first = world.sync()
    expected, counts = whole_company_changes(world)
    assert counts["create"] == len(world.employees()) > 0
    assert stored_changes(world, first.run_id) == expected
    world.sync_and_apply()
    control, token = world.sandbox.control, world.token
    everyone = world.employees()
    managers = {e["manager"] for e in everyone}
    staff = [e for e in everyone if e["manager"] and e["id"] not in managers]
    control.delete(token, str(staff[0]["id"]))
    control.change_email(token, str(staff[1]["id"]), "moved.on@example.com")
    control.hire(token, first_name="Nia", manager_id=staff[2]["manager"])

    again = world.sync(full=True)

    expected, counts = whole_company_changes(world)
    assert counts["create"] == 1
    assert counts["update"] >= 1
    assert counts["leave"] >= 1
    run = world.run(again.run_id)
    assert run.issues == []
    assert "planned_records" not in run.timings  # the whole company
    assert stored_changes(world, again.run_id) == expected


def test_records_as_mirrored_are_one_per_source_id_in_source_id_order() -> None:
    def record(source_id: str | None, name: str) -> SourceEmployee:
        return SourceEmployee.of(f"employee {name}", source_id=source_id, name=name)

    fetched = [
        record("m-2", "Bea"),
        record(None, "Nobody"),
        record("m-1", "Ada"),
        record("m-2", "Bea again"),
    ]

    assert [(r.source_id, r.name) for r in mirror.as_mirrored(fetched)] == [
        ("m-1", "Ada"),
        ("m-2", "Bea again"),  # a record seen twice: the last one, as the mirror keeps it
    ]


def test_a_first_fetch_fills_the_mirror_then_builds_its_indexes(
    any_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite, a full fetch into an empty mirror writes its rows before the mirror's look-up
    indexes are built again (store/bulk.py `loading`); the next incremental sync, which finds
    people through them, plans as a whole plan would."""
    world = any_world
    monkeypatch.setattr(bulk, "BULK_LOAD_ROWS", 5)
    write = bulk.bulk_insert

    def indexes(session: Session) -> set[str]:
        found = inspect(session.connection()).get_indexes("source_records")
        return {str(i["name"]) for i in found}

    seen: list[set[str]] = []

    def watched(session: Session, table: Table, columns: Sequence[str], rows: Any) -> None:
        if table.name == "source_records":
            seen.append(indexes(session))
        write(session, table, columns, rows)

    monkeypatch.setattr(mirror, "bulk_insert", watched)
    with unit_of_work(world.factory) as session:
        before = indexes(session)
        dialect = session.get_bind().dialect.name
    assert len(before) == 4
    world.sync_and_apply()
    assert seen
    if dialect == "sqlite":
        assert seen[0] == set()
    else:  # PostgreSQL keeps them: the mirror is shared by every account
        assert seen[0] == before
    with unit_of_work(world.factory) as session:
        assert indexes(session) == before
    staff = [e for e in world.employees() if e["manager"]]
    world.sandbox.control.change_email(world.token, str(staff[0]["id"]), "moved.on@example.com")
    again = world.sync()
    expected, counts = whole_company_changes(world)
    assert counts["update"] >= 1
    assert "planned_records" in world.run(again.run_id).timings  # planned incrementally
    assert stored_changes(world, again.run_id) == expected
