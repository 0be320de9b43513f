"""A field missing from Merge's answer is not an empty one (issue 19): the run fails saying which
record and field, and neither the mirror nor the directory changes; the next sync is not harmed.

End to end: the sandbox HRIS over real HTTP, a real queue and its consumer (a worker in
threads), automated daily syncs on both the embedded and the networked setup.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from peoplesync.accounts.service import get_account
from peoplesync.errors import ProviderProtocolError
from peoplesync.jobs.queue import InProcessConsumer
from peoplesync.jobs.service import request_sync
from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.sources.merge.mapping import expected_keys, map_employee
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import Person, SourceRecord
from tests.jobs.world import TaskLog, World

RAW: dict[str, Any] = {
    "id": "m-1",
    "remote_id": "jw-1",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "display_full_name": "Ada Lovelace",
    "work_email": "ada@acme.example",
    "team": {"name": "Platform"},
}


def test_a_null_field_is_empty_but_a_missing_one_is_refused_with_its_record() -> None:
    expected = expected_keys({"name", "email"}, {"team": "Team"})
    assert map_employee({**RAW, "work_email": None}, expected=expected) is not None
    assert map_employee({**RAW, "team": None}, expected=expected) is not None
    without = {k: v for k, v in RAW.items() if k != "work_email"}
    with pytest.raises(ProviderProtocolError) as refused:
        map_employee(without, expected=expected)
    assert "employee jw-1" in refused.value.message
    assert "'work_email'" in refused.value.message
    assert refused.value.context["field"] == "Email"
    # A field two keys carry (the team: `groups`, else the deprecated `team`) needs one of them.
    teamless = {k: v for k, v in RAW.items() if k != "team"}
    with pytest.raises(ProviderProtocolError) as refused:
        map_employee(teamless, expected=expected)
    assert refused.value.context["field"] == "Team"
    assert map_employee({**teamless, "groups": []}, expected=expected) is not None
    # Two fields missing: the first the sync compares is named (core fields, then mapped ones).
    with pytest.raises(ProviderProtocolError) as refused:
        map_employee({k: v for k, v in teamless.items() if k != "work_email"}, expected=expected)
    assert refused.value.context["field"] == "Email"
    # A field the sync does not compare (the provider lacks it) is not asked for.
    assert map_employee(without, expected=expected_keys({"name"}, {"team": "Team"})) is not None


def _mirror(world: World, account_id: int) -> list[tuple[Any, ...]]:
    with unit_of_work(world.factory) as session:
        rows = session.execute(
            select(SourceRecord.source_id, SourceRecord.record).order_by(SourceRecord.source_id)
        ).all()
        assert session.scalar(select(func.count()).select_from(Person)) or 0
        return [tuple(r) for r in rows]


@pytest.mark.parametrize("key", ["work_location", "work_email", "employments", "date_of_birth"])
def test_an_automatic_sync_given_a_record_without_a_field_fails_and_changes_nothing(
    world: World, sandbox: SandboxServer, company: SandboxAccount, key: str
) -> None:
    account_id = world.account("Acme", auto_sync_enabled=True)
    world.connect(account_id, sandbox, company)
    world.manual_sync(account_id)
    token = company.account_token
    people, mirror = world.directory(account_id), _mirror(world, account_id)
    chief = min(world.directory(account_id), key=str)  # someone to change
    with unit_of_work(world.factory) as session:
        someone = session.get(Person, chief[0])
        assert someone is not None
        assert someone.source_id
        source_id = someone.source_id
    sandbox.control.rename(token, source_id, first_name="Renamed")
    sandbox.control.inject_fault(token, "missing_key", key=key, endpoint="employees")

    jobs = world.jobs()
    done = TaskLog(jobs.huey)
    with InProcessConsumer(jobs.huey, workers=1, periodic=False):
        jobs.enqueue_sync(account_id, "automatic")
        done.wait("sync_account")
    failed = world.runs(account_id)[-1]
    assert failed.state == "failed"
    assert f"no '{key}' field" in (failed.error or "")
    assert "nothing was imported" in (failed.error or "")
    assert world.directory(account_id) == people  # nothing applied
    assert _mirror(world, account_id) == mirror  # nothing mirrored: the next sync is not harmed

    with InProcessConsumer(jobs.huey, workers=1, periodic=False):
        jobs.enqueue_sync(account_id, "automatic")
        done.wait("sync_account", 2)
    again = world.runs(account_id)[-1]
    assert again.state == "succeeded", again.error
    assert again.progress["full"] is False  # an incremental sync, not a repair
    renamed = {row[0]: row for row in world.directory(account_id)}[chief[0]]
    assert "Renamed" in str(renamed)


def test_a_full_refetch_can_be_asked_for_from_a_request(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    account_id = world.account()
    world.connect(account_id, sandbox, company)
    world.manual_sync(account_id)
    jobs = world.jobs()
    done = TaskLog(jobs.huey)
    with InProcessConsumer(jobs.huey, workers=1, periodic=False):
        with unit_of_work(world.factory) as session:
            account = get_account(session, account_id)
            run_id = request_sync(session, jobs, account, actor="admin", full=True)
        done.wait("sync_account")
    run = world.run(run_id)
    assert run.progress["full"] is True
    assert run.progress["fetched"] == world.people_count(account_id)
