"""Each guard against the sandbox HRIS: with the account's per-person hold off, an automated sync
is blocked (nothing applied, admins emailed, findings stored); a manual sync shows the same
findings and imports only once the admin confirms; the history records both. (The hold, on by
default, is tests/jobs/test_held_changes.py.)"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from peoplesync.accounts.service import get_account
from peoplesync.core.states import RunState
from peoplesync.errors import ImportBlockedError
from peoplesync.jobs.service import request_apply
from peoplesync.notify.service import list_outbox
from peoplesync.runs import service as runs
from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import Person
from tests.jobs.world import World

ADMIN = "hr.admin@acme.example"


def setup(
    world: World, sandbox: SandboxServer, company: SandboxAccount, *, hold_per_person: bool = False
) -> int:
    account_id = world.account(timezone="Europe/Paris", hold_per_person=hold_per_person)
    world.connect(account_id, sandbox, company)
    world.manual_sync(account_id)
    return account_id


def people(world: World, account_id: int) -> list[Person]:
    with unit_of_work(world.factory) as session:
        found = session.scalars(
            select(Person).where(Person.account_id == account_id, Person.status == "active")
        )
        return sorted(found, key=lambda p: p.source_id or "")


def automatic(world: World, account_id: int) -> int:
    return world.jobs().syncs.from_hris(account_id, trigger="automatic").run_id


def manual(world: World, account_id: int) -> int:
    return world.jobs().syncs.from_hris(account_id, trigger="manual", actor=ADMIN).run_id


def assert_blocked_then_pushed_through(
    world: World, account_id: int, reason: str, codes: set[str]
) -> None:
    before = world.directory(account_id)
    blocked = world.run(automatic(world, account_id))
    assert (blocked.state, blocked.blocked_reason) == ("blocked", reason)
    assert codes <= {f["code"] for f in blocked.findings}
    assert world.directory(account_id) == before  # nothing applied
    with unit_of_work(world.factory) as session:
        email = list_outbox(session, account_id)[0]
    assert email.run_id == blocked.id
    assert email.kind == "run_blocked"
    assert "Nothing was imported" in email.body
    assert "manual sync" in email.body
    # The app's own navigation words, and a link to the run itself (not the app's root).
    assert "Settings > Data Integrations > Justworks" in email.body
    assert "Settings > Users" not in email.body
    assert f"/runs/{blocked.id} " in email.body

    review = world.run(manual(world, account_id))
    assert review.state == "awaiting_review"
    assert {f["code"] for f in review.findings} == {f["code"] for f in blocked.findings}
    with unit_of_work(world.factory) as session:
        account = get_account(session, account_id)
        with pytest.raises(ImportBlockedError, match="needs your confirmation"):
            runs.apply_run(
                session, account, runs.get_run(session, account_id, review.id), now=world.clock()
            )
        with pytest.raises(ImportBlockedError, match="needs your confirmation"):
            request_apply(session, world.jobs(), account, review.id, actor=ADMIN)
    assert world.run(review.id).state == "awaiting_review"

    done = world.jobs().syncs.apply(account_id, review.id, actor=ADMIN, confirm=True)
    assert done.state == "succeeded"
    assert world.directory(account_id) != before
    history = {r.id: r for r in world.runs(account_id)}
    assert history[blocked.id].state == "blocked"
    assert history[blocked.id].blocked_reason == reason
    (confirmation,) = history[review.id].confirmations
    assert confirmation["by"] == ADMIN
    assert reason in confirmation["reasons"]
    assert {f["code"] for f in confirmation["findings"]} == {f["code"] for f in review.findings}


def test_privacy_an_email_swap(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    account_id = setup(world, sandbox, company)
    first, second = people(world, account_id)[3:5]
    sandbox.control.swap_emails(company.account_token, str(first.source_id), str(second.source_id))
    assert_blocked_then_pushed_through(world, account_id, "privacy", {"email_swapped"})
    after = {p.id: p.email for p in people(world, account_id)}
    assert (after[first.id], after[second.id]) == (second.email, first.email)


def test_privacy_name_and_email_at_once(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    account_id = setup(world, sandbox, company)
    target = people(world, account_id)[6]
    token, merge_id = company.account_token, str(target.source_id)
    sandbox.control.rename(token, merge_id, first_name="Quentin", last_name="Different")
    sandbox.control.change_email(token, merge_id, "quentin.different@example.com")
    assert_blocked_then_pushed_through(world, account_id, "privacy", {"identity_change"})
    blocked = world.runs(account_id)[-2]
    (finding,) = blocked.findings
    assert finding["person_ids"] == [target.id]
    assert "Name and Email change at once" in finding["message"]


def test_mass_leavers(world: World, sandbox: SandboxServer, company: SandboxAccount) -> None:
    account_id = setup(world, sandbox, company)
    active = people(world, account_id)
    leaving = active[-(len(active) // 5 + 1) :]  # just over 20%
    for person in leaving:
        sandbox.control.terminate(
            company.account_token, str(person.source_id), termination_date=date(2026, 11, 20)
        )
    assert_blocked_then_pushed_through(world, account_id, "mass_leaver", {"mass_leavers"})
    gone = {p.id for p in leaving}
    assert not gone & {p.id for p in people(world, account_id)}


def test_mass_leavers_threshold_as_a_count(
    embedded: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    world = embedded
    account_id = setup(world, sandbox, company)
    with unit_of_work(world.factory) as session:
        account = get_account(session, account_id)
        account.leaver_threshold_share, account.leaver_threshold_count = 0.01, 2
    for person in people(world, account_id)[:2]:
        sandbox.control.terminate(
            company.account_token, str(person.source_id), termination_date=date(2026, 11, 20)
        )
    run = world.run(automatic(world, account_id))
    assert (run.state, run.blocked_reason) == ("blocked", "mass_leaver")
    assert "the account flags more than 1% and at least 2" in run.findings[0]["message"]


def test_stale_source(world: World, sandbox: SandboxServer, company: SandboxAccount) -> None:
    account_id = setup(world, sandbox, company)
    someone = people(world, account_id)[2]
    sandbox.control.rename(company.account_token, str(someone.source_id), first_name="Renamed")
    sandbox.control.set_sync_status(company.account_token, "FAILED")
    assert_blocked_then_pushed_through(world, account_id, "stale_source", {"source_not_ready"})
    blocked = world.runs(account_id)[-2]
    assert "Justworks reports that its last sync failed" in blocked.findings[0]["message"]


def test_a_done_status_after_a_failed_sync_is_not_fresh(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    """Merge: `status` DONE with `last_sync_result` FAILED (two different syncs) is stale."""
    account_id = setup(world, sandbox, company)
    someone = people(world, account_id)[2]
    sandbox.control.rename(company.account_token, str(someone.source_id), first_name="Renamed")
    sandbox.control.set_sync_status(company.account_token, "DONE", last_sync_result="FAILED")
    run = world.run(automatic(world, account_id))
    assert (run.state, run.blocked_reason) == ("blocked", "stale_source")
    assert "its last sync failed" in run.findings[0]["message"]


def test_a_routine_resync_after_a_good_sync_does_not_block(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    """Merge: `status` SYNCING (a periodic re-sync) over `last_sync_result` DONE is fresh."""
    account_id = setup(world, sandbox, company)
    someone = people(world, account_id)[1]
    sandbox.control.rename(company.account_token, str(someone.source_id), first_name="Yara")
    statuses = sandbox.control.set_sync_status(company.account_token, "SYNCING", seconds=3600)
    employee = next(s for s in statuses if s["model_name"] == "Employee")
    assert (employee["status"], employee["last_sync_result"]) == ("SYNCING", "DONE")
    assert employee["is_initial_sync"] is False
    run = world.run(automatic(world, account_id))
    assert run.state == RunState.SUCCEEDED, run.findings
    with unit_of_work(world.factory) as session:
        assert session.get(Person, someone.id).name.startswith("Yara")  # type: ignore[union-attr]


def test_an_automated_run_with_nothing_to_block_applies_by_itself(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    account_id = setup(world, sandbox, company)
    someone = people(world, account_id)[1]
    sandbox.control.rename(company.account_token, str(someone.source_id), first_name="Zoe")
    run = world.run(automatic(world, account_id))
    assert run.state == RunState.SUCCEEDED
    assert run.findings == []
    assert run.confirmations == []
    with unit_of_work(world.factory) as session:
        assert session.get(Person, someone.id).name.startswith("Zoe")  # type: ignore[union-attr]
        assert list_outbox(session, account_id) == []
