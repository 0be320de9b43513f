"""Justworks through Merge, end to end: our client talks to the sandbox HRIS over real HTTP."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from peoplesync.connections import service as connections
from peoplesync.core.states import RunState
from peoplesync.errors import InitialSyncInProgressError
from peoplesync.sandbox import SandboxServer
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import SyncRun
from tests.hris.conftest import COMPANY_SIZE, World, make_world


def counts(world: World, run_id: int) -> tuple[int, int, int, int]:
    c = world.run(run_id).counts
    return c["create"], c["update"], c["leave"], c["rehire"]


def live(world: World) -> list[dict[str, object]]:
    return [e for e in world.employees() if not e.get("termination_date")]


def test_first_sync_imports_the_whole_company(world: World) -> None:
    outcome = world.sync_and_apply()
    assert outcome.plan is not None
    assert outcome.plan.counts()["create"] == COMPANY_SIZE
    people = world.people()
    assert len(people) == COMPANY_SIZE
    served = {e["id"]: e for e in world.employees()}
    for source_id, person in people.items():
        assert person.email == served[source_id]["work_email"]
    with_manager = [p for p in people.values() if p.manager_id]
    assert len(with_manager) >= COMPANY_SIZE - 5  # one CEO, and the tree below
    run = world.run(outcome.run_id)
    assert run.timings["pages"] == 3  # 60 employees at page_size 25: cursors followed


def test_a_fetch_records_its_progress_on_the_run_as_pages_arrive(world: World) -> None:
    seen: list[dict[str, object]] = []

    def look(fetched: int) -> None:  # what a page polling the run would read now
        with unit_of_work(world.factory) as session:
            run = session.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
            assert run is not None
            seen.append({"state": run.state, "progress": dict(run.progress), "now": fetched})

    ctx = replace(world.ctx, progress_every_seconds=0.0)
    world.syncs(ctx).from_hris(world.account_id, trigger="manual", on_progress=look)

    assert [s["now"] for s in seen] == [25, 50, 60]
    assert {s["state"] for s in seen} == {"fetching"}
    assert [s["progress"] for s in seen] == [{}, {"fetched": 25}, {"fetched": 50}]


def test_second_sync_fetches_only_what_changed(world: World) -> None:
    world.sync_and_apply()
    again = world.sync()
    assert again.state is RunState.SUCCEEDED  # nothing changed, nothing to review
    run = world.run(again.run_id)
    assert run.progress == {"fetched": 0, "full": False}


def test_each_kind_of_hr_change_arrives_incrementally(world: World) -> None:
    world.sync_and_apply()
    control, token = world.sandbox.control, world.token
    everyone = live(world)
    managers = {e["manager"] for e in everyone}
    staff = [e for e in everyone if e.get("manager") and e["id"] not in managers]  # no reports
    renamed, moved, leaver, gone, mailed = (str(e["id"]) for e in staff[:5])
    boss = str(next(e for e in everyone if e["id"] in managers)["id"])
    control.rename(token, renamed, first_name="Renata")
    control.move_manager(token, moved, boss)
    control.terminate(token, leaver, termination_date=date(2026, 11, 20))
    control.delete(token, gone)
    control.change_email(token, mailed, "new.address@example.com")
    hired = control.hire(token, first_name="Nora", last_name="Newhire", manager_id=boss)
    outcome = world.sync_and_apply()
    assert outcome.plan is not None
    c = outcome.plan.counts()
    assert (c["create"], c["leave"]) == (1, 2)
    assert c["update"] >= 3
    people = world.people()
    assert (people[renamed].name or "").startswith("Renata")
    assert people[moved].manager_id == people[boss].id
    assert people[leaver].status == "former"
    assert people[leaver].end_date == date(2026, 11, 20)
    assert people[gone].status == "former"  # deleted upstream: absent from the source
    assert people[mailed].email == "new.address@example.com"  # same person, no duplicate
    assert str(hired["id"]) in people
    assert world.run(outcome.run_id).progress["full"] is False


def test_hire_terminate_rehire_cycle(world: World) -> None:
    world.sync_and_apply()
    control, token = world.sandbox.control, world.token
    hired = str(
        control.hire(token, first_name="Cy", last_name="Cle", start_date=date(2026, 11, 2))["id"]
    )
    world.sync_and_apply()
    assert world.people()[hired].status == "active"
    control.terminate(token, hired, termination_date=date(2026, 11, 21))
    world.sync_and_apply()
    assert world.people()[hired].status == "former"
    control.rehire(token, hired, start_date=date(2026, 11, 24))
    outcome = world.sync_and_apply()
    assert counts(world, outcome.run_id)[3] == 1
    back = world.people()[hired]
    assert (back.status, back.end_date, back.start_date) == ("active", None, date(2026, 11, 24))


def test_swapped_emails_update_both_people(world: World) -> None:
    world.sync_and_apply()
    first, second = (e for e in live(world)[3:5])
    world.sandbox.control.swap_emails(world.token, str(first["id"]), str(second["id"]))
    outcome = world.sync_and_apply(confirm=True)  # the privacy guard flags it; the admin confirms
    assert world.run(outcome.run_id).findings
    people = world.people()
    assert people[str(first["id"])].email == second["work_email"]
    assert people[str(second["id"])].email == first["work_email"]


def test_sync_is_refused_while_the_initial_sync_runs(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    world = make_world(sandbox, tmp_path, seed=12, initial_sync_seconds=1.5)
    with pytest.raises(InitialSyncInProgressError, match="first sync"):
        world.sync()
    with unit_of_work(world.factory) as session:
        connection = connections.get_connection(session, world.account_id)
        assert connection.status == "initial_sync"
        assert connection.initial_sync["phase"] == "initial_sync"
    time.sleep(1.6)
    outcome = world.sync_and_apply()
    assert outcome.plan is not None
    assert outcome.plan.counts()["create"] == COMPANY_SIZE


def test_rate_limit_is_obeyed(world: World) -> None:
    world.sandbox.control.inject_fault(world.token, "rate_limit", count=1, retry_after=1)
    started = time.monotonic()
    outcome = world.sync_and_apply()
    assert time.monotonic() - started >= 1.0
    assert outcome.plan is not None
    assert outcome.plan.counts()["create"] == COMPANY_SIZE


def test_the_runs_http_time_counts_the_status_calls_as_well_as_the_pages(world: World) -> None:
    control = world.sandbox.control
    control.inject_fault(world.token, "slow", delay_seconds=0.3, endpoint="sync-status")
    control.inject_fault(world.token, "slow", delay_seconds=0.2, endpoint="employees")
    started = time.perf_counter()
    outcome = world.sync()
    took = time.perf_counter() - started
    http = world.run(outcome.run_id).timings["http"]
    assert 0.5 <= http <= took


def test_server_errors_are_retried(world: World) -> None:
    world.sandbox.control.inject_fault(world.token, "error", count=2, status=503)
    outcome = world.sync_and_apply()
    assert outcome.plan is not None
    assert outcome.plan.counts()["create"] == COMPANY_SIZE


@pytest.mark.parametrize("fault", ["invalid_json", "repeat_cursor", "missing_key"])
def test_a_broken_answer_fails_the_run_and_touches_nothing(world: World, fault: str) -> None:
    world.sync_and_apply()
    before = {k: (p.name, p.email, p.status) for k, p in world.people().items()}
    victim = str(live(world)[2]["id"])
    world.sandbox.control.rename(world.token, victim, first_name="Changed")
    world.sandbox.control.inject_fault(world.token, fault, count=5, endpoint="employees")
    outcome = world.sync(full=True)
    assert outcome.state is RunState.FAILED
    assert outcome.error is not None
    assert "Merge" in outcome.error
    run = world.run(outcome.run_id)
    assert run.state == "failed"
    assert run.error == outcome.error
    assert {k: (p.name, p.email, p.status) for k, p in world.people().items()} == before
    world.sandbox.control.clear_faults(world.token)
    healed = world.sync_and_apply()
    assert healed.plan is not None
    assert (world.people()[victim].name or "").startswith("Changed")


def test_a_budgeted_first_sync_walks_windows_and_reports_its_time_left(world: World) -> None:
    """With Merge's budget set, the first read walks several created_at windows at once under
    one pacer, through the whole sync (progress written on the run meanwhile), and imports the
    same company a single cursor does."""
    seen: list[dict[str, object]] = []

    def look(fetched: int) -> None:
        with unit_of_work(world.factory) as session:
            run = session.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
            assert run is not None
            seen.append(dict(run.progress))

    settings = world.ctx.settings.model_copy(
        update={"merge_rate_limit_per_minute": 6000, "merge_fetch_windows": 3}
    )
    ctx = replace(world.ctx, settings=settings, progress_every_seconds=0.0)
    outcome = world.syncs(ctx).from_hris(world.account_id, trigger="manual", on_progress=look)
    assert outcome.plan is not None
    assert outcome.plan.counts()["create"] == COMPANY_SIZE
    assert world.run(outcome.run_id).timings["pages"] > 3  # three cursors, each its own pages
    assert any("share_done" in p for p in seen)  # the run page can show how far it has got


def test_the_runs_timings_say_how_much_of_the_http_time_was_decoding(world: World) -> None:
    """A slow Merge makes waiting, not decoding, slow: the decode is its own, smaller part."""
    world.sandbox.control.inject_fault(world.token, "slow", delay_seconds=0.3, endpoint="employees")
    outcome = world.sync()
    timings = world.run(outcome.run_id).timings
    assert timings["http"] >= 0.3
    assert 0 < timings["decode"] < timings["http"] - 0.25
