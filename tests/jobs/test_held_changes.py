"""The per-person hold against the sandbox HRIS, on SQLite and PostgreSQL: an automated sync's
safeguard finding holds the flagged people only, the rest imports; a held change is released
(checked against the directory as it is then) or discarded (and later syncs say so)."""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import select

from peoplesync.accounts.service import get_account
from peoplesync.notify.service import list_outbox
from peoplesync.runs.held import discard, release_held
from peoplesync.runs.hold import open_rows, rows_of_run
from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import HeldChange, Person
from tests.jobs.test_guarded_runs import automatic, people
from tests.jobs.test_guarded_runs import setup as setup_blocking
from tests.jobs.world import World

ADMIN = "hr.admin@acme.example"


def big_company(sandbox: SandboxServer) -> SandboxAccount:
    found = sandbox.control.create_company(seed=17, size=60, initial_sync_seconds=0)
    time.sleep(0.06)  # the sandbox's zero-second initial sync settles on its next tick
    return found


def setup(world: World, sandbox: SandboxServer, company: SandboxAccount) -> int:
    """An account as created: the hold on (its default)."""
    account_id = world.account(timezone="Europe/Paris")
    with unit_of_work(world.factory) as session:
        assert get_account(session, account_id).hold_per_person
    world.connect(account_id, sandbox, company)
    world.manual_sync(account_id)
    return account_id


def held_rows(
    world: World, account_id: int, statuses: tuple[str, ...] = ("held",)
) -> list[HeldChange]:
    with unit_of_work(world.factory) as session:
        return open_rows(session, account_id, statuses)


def person_now(world: World, person_id: str) -> Person:
    with unit_of_work(world.factory) as session:
        found = session.get(Person, person_id)
        assert found is not None
        return found


def flag(sandbox: SandboxServer, company: SandboxAccount, target: Person, n: int = 1) -> None:
    """Name and email at once: a privacy finding on `target`."""
    token, merge_id = company.account_token, str(target.source_id)
    sandbox.control.rename(token, merge_id, first_name=f"Quentin{n}", last_name="Different")
    sandbox.control.change_email(token, merge_id, f"quentin{n}.different@example.com")


def test_a_privacy_finding_on_one_of_50_changed_people_imports_49_and_holds_1(
    world: World, sandbox: SandboxServer
) -> None:
    company = big_company(sandbox)
    account_id = setup(world, sandbox, company)
    staff = people(world, account_id)[:50]
    for i, someone in enumerate(staff[1:], start=1):
        sandbox.control.rename(company.account_token, str(someone.source_id), first_name=f"Yara{i}")
    target = staff[0]
    flag(sandbox, company, target)

    run = world.run(automatic(world, account_id))

    assert run.state == "succeeded", (run.error, run.findings)
    assert (run.counts["update"], run.counts["held"]) == (49, 1)
    for i, someone in enumerate(staff[1:], start=1):
        assert (person_now(world, someone.id).name or "").startswith(f"Yara{i} ")
    assert (person_now(world, target.id).name, person_now(world, target.id).email) == (
        target.name,
        target.email,
    )
    (row,) = held_rows(world, account_id)
    assert (row.person_id, row.reason, row.run_id) == (target.id, "privacy", run.id)
    assert "Name and Email change at once" in row.why
    with unit_of_work(world.factory) as session:
        (email,) = [e for e in list_outbox(session, account_id) if e.run_id == run.id]
    assert email.kind == "run_held"
    assert "49 change(s) imported, 1 held back" in email.body
    assert target.email
    assert target.email in email.body
    assert "Name and Email change at once" in email.body

    done = release_held(world.jobs().syncs, account_id, [row.id], actor=ADMIN)

    assert done.refused == {}
    released = world.run(done.run_id or 0)
    assert (released.state, released.trigger, released.counts["update"]) == (
        "succeeded",
        "release",
        1,
    )
    assert person_now(world, target.id).email == "quentin1.different@example.com"
    assert held_rows(world, account_id, ("released",))[0].outcome_run_id == released.id
    again = world.run(automatic(world, account_id))
    assert again.state == "succeeded"
    assert not again.counts.get("held")
    assert not again.counts.get("update")


def test_discarding_leaves_the_directory_as_the_source_does_not_and_later_syncs_say_so(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    account_id = setup(world, sandbox, company)
    target = people(world, account_id)[4]
    flag(sandbox, company, target)
    automatic(world, account_id)
    (row,) = held_rows(world, account_id)

    with unit_of_work(world.factory) as session:
        discard(session, get_account(session, account_id), [row.id], actor=ADMIN, now=world.clock())

    assert person_now(world, target.id).email == target.email
    later = world.run(automatic(world, account_id))
    assert later.state == "succeeded"
    assert (later.counts.get("kept_out"), later.counts.get("held")) == (1, 0)
    assert person_now(world, target.id).email == target.email
    with unit_of_work(world.factory) as session:
        (kept,) = rows_of_run(session, account_id, later.id)
        assert kept.status == "kept_out"
        assert f"Discarded by {ADMIN}" in kept.why
        assert not [e for e in list_outbox(session, account_id) if e.run_id == later.id]
    # The HRIS says something else for them: a new change, planned (and held) as usual.
    flag(sandbox, company, target, n=2)
    newer = world.run(automatic(world, account_id))
    assert newer.counts.get("held") == 1
    (fresh,) = held_rows(world, account_id)
    assert fresh.run_id == newer.id


def test_a_mass_leaver_finding_holds_the_leavers_only(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    account_id = setup(world, sandbox, company)
    active = people(world, account_id)
    leaving = active[-(len(active) // 5 + 1) :]  # just over 20%
    for person in leaving:
        sandbox.control.terminate(
            company.account_token, str(person.source_id), termination_date=date(2026, 11, 20)
        )
    renamed = active[1]
    sandbox.control.rename(company.account_token, str(renamed.source_id), first_name="Zoe")
    hired = sandbox.control.hire(company.account_token, first_name="Nora", last_name="Newhire")

    run = world.run(automatic(world, account_id))

    assert run.state == "succeeded", (run.error, run.findings)
    assert (run.counts["leave"], run.counts["held"]) == (0, len(leaving))
    assert (run.counts["create"], run.counts["update"]) == (1, 1)
    assert {r.person_id for r in held_rows(world, account_id)} == {p.id for p in leaving}
    assert {r.reason for r in held_rows(world, account_id)} == {"mass_leaver"}
    assert all(person_now(world, p.id).status == "active" for p in leaving)
    assert (person_now(world, renamed.id).name or "").startswith("Zoe")
    with unit_of_work(world.factory) as session:
        new = session.scalar(select(Person).where(Person.source_id == str(hired["id"])))
        assert new is not None
        assert new.account_id == account_id

    done = release_held(world.jobs().syncs, account_id, None, actor=ADMIN)

    assert len(done.released) == len(leaving)
    assert all(person_now(world, p.id).status == "former" for p in leaving)


def test_a_new_hire_whose_managers_change_is_held_reports_to_the_manager_as_they_are(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    account_id = setup(world, sandbox, company)
    boss = people(world, account_id)[2]
    flag(sandbox, company, boss)
    hired = sandbox.control.hire(
        company.account_token, first_name="Nia", last_name="Newhire", manager_id=str(boss.source_id)
    )

    run = world.run(automatic(world, account_id))

    assert (run.state, run.counts["create"], run.counts["held"]) == ("succeeded", 1, 1)
    with unit_of_work(world.factory) as session:
        new = session.scalar(select(Person).where(Person.source_id == str(hired["id"])))
        assert new is not None
        assert new.manager_id == boss.id
    assert person_now(world, boss.id).email == boss.email


def test_a_held_change_the_directory_moved_past_is_refused_not_applied(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    account_id = setup(world, sandbox, company)
    target = people(world, account_id)[5]
    flag(sandbox, company, target)
    automatic(world, account_id)
    (row,) = held_rows(world, account_id)
    sandbox.control.rename(company.account_token, str(target.source_id), first_name="Other")
    world.manual_sync(account_id, confirm=True)  # an admin pushes a newer change through
    pushed = person_now(world, target.id)

    done = release_held(world.jobs().syncs, account_id, [row.id], actor=ADMIN)

    assert done.run_id is None
    assert done.released == ()
    assert "changed in the directory since this was held" in done.refused[row.id]
    assert held_rows(world, account_id) == []
    (stale,) = held_rows(world, account_id, ("stale",))
    assert stale.note
    assert "Name" in stale.note
    assert (person_now(world, target.id).name, person_now(world, target.id).email) == (
        pushed.name,
        pushed.email,
    )


def test_with_the_setting_off_the_finding_blocks_the_whole_sync(
    embedded: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    world = embedded
    account_id = setup_blocking(world, sandbox, company, hold_per_person=False)
    flag(sandbox, company, people(world, account_id)[3])
    run = world.run(automatic(world, account_id))
    assert (run.state, run.blocked_reason) == ("blocked", "privacy")
    assert held_rows(world, account_id) == []
