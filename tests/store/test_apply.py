"""Plan -> apply through the run service, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peoplesync.accounts.service import bump_version, create_account, local_today
from peoplesync.accounts.settings import SettingsChange, change_settings
from peoplesync.core.employee import LeaverPolicy, SourceEmployee, SourceSnapshot
from peoplesync.core.fields import CORE_FIELDS
from peoplesync.core.states import RunState
from peoplesync.errors import (
    ImportBlockedError,
    ReviewWaitingError,
    RunActiveError,
    StalePlanError,
)
from peoplesync.runs import service as runs
from peoplesync.store import hierarchy, plans
from peoplesync.store.models import Account, ChangeLog, PersonDemographic, SyncRun
from peoplesync.store.models import Person as PersonRow
from tests.support import NOW

TODAY = date(2026, 11, 25)


def rec(n: int, **kw: object) -> SourceEmployee:
    base = SourceEmployee.of(
        f"employee {n}",
        source_id=f"src-{n}",
        employee_id=f"E{n:03d}",
        name=f"Person {n}",
        email=f"person{n}@acme.example",
        start_date=date(2020, 1, 1),
        manager_source_id="src-1" if n != 1 else None,
        demographics={"Department": "Engineering" if n % 2 else "Sales"},
    )
    return base.changed(**kw)


def snap(*records: SourceEmployee, complete: bool = True) -> SourceSnapshot:
    return SourceSnapshot(
        records=records,
        provided=frozenset(CORE_FIELDS),
        demographic_names=frozenset({"Department"}),
        complete=complete,
        kind="merge",
    )


def sync(
    session: Session, account: Account, snapshot: SourceSnapshot, *, now: datetime = NOW
) -> runs.PlanOutcome:
    run = runs.start_run(session, account, trigger="manual", source_kind="merge", now=now)
    outcome = runs.plan_run(
        session, account, run, snapshot, today=local_today(account, now), now=now
    )
    if outcome.state is RunState.AWAITING_REVIEW:
        # These small directories trip the guard (a swap, 1 leaver of 3): the admin confirms.
        runs.apply_run(session, account, run, now=now, confirm=True)
    session.flush()
    return outcome


def people(session: Session, account: Account) -> dict[str, PersonRow]:
    rows = session.scalars(select(PersonRow).where(PersonRow.account_id == account.id))
    return {p.source_id or p.id: p for p in rows}


def directory_state(session: Session, account: Account) -> list[tuple[object, ...]]:
    rows = session.execute(
        text(
            "SELECT id, status, name, email, end_date, manager_id FROM people "
            "WHERE account_id = :a ORDER BY id"
        ),
        {"a": account.id},
    )
    return [tuple(r) for r in rows]


def test_first_import_creates_everyone_with_manager_and_demographics(
    session: Session, account: Account
) -> None:
    outcome = sync(session, account, snap(rec(1), rec(2), rec(3)))
    assert outcome.plan is not None
    assert outcome.plan.counts()["create"] == 3
    found = people(session, account)
    assert set(found) == {"src-1", "src-2", "src-3"}
    assert found["src-2"].manager_id == found["src-1"].id
    assert found["src-1"].manager_id is None
    assert found["src-2"].status == "active"
    assert found["src-2"].email_key == "person2@acme.example"
    values = session.scalar(
        select(func.count())
        .select_from(PersonDemographic)
        .where(PersonDemographic.person_id == found["src-2"].id)
    )
    assert values == 1
    run = session.get(SyncRun, outcome.run_id)
    assert run is not None
    assert run.state == "succeeded"
    assert run.counts["create"] == 3
    logged = session.scalar(
        select(func.count()).select_from(ChangeLog).where(ChangeLog.run_id == run.id)
    )
    assert logged == run.counts["changed_fields"] > 0


def test_second_import_updates_leaves_and_rehires(session: Session, account: Account) -> None:
    sync(session, account, snap(rec(1), rec(2), rec(3), rec(4, end_date=date(2024, 1, 31))))
    before = people(session, account)
    assert before["src-4"].status == "former"
    second = snap(
        rec(1),
        rec(2, name="Person Two", demographics={"Department": "Marketing"}),
        rec(4, start_date=date(2026, 11, 1)),  # back, with no end date: a rehire
        rec(5),
    )  # 3 is absent: a leaver
    outcome = sync(session, account, second, now=NOW + timedelta(days=1))
    assert outcome.plan is not None
    counts = outcome.plan.counts()
    assert (counts["create"], counts["update"], counts["rehire"], counts["leave"]) == (1, 1, 1, 1)
    after = people(session, account)
    assert after["src-2"].name == "Person Two"
    assert after["src-3"].status == "former"
    assert after["src-3"].end_date == date(2026, 11, 26)
    assert after["src-4"].status == "active"
    assert after["src-4"].end_date is None
    history = session.scalars(
        select(ChangeLog.field).where(ChangeLog.person_id == after["src-2"].id)
    ).all()
    assert "name" in history
    assert "Department" in history


def test_same_source_twice_changes_nothing_the_second_time(
    session: Session, account: Account
) -> None:
    snapshot = snap(rec(1), rec(2), rec(3))
    sync(session, account, snapshot)
    state, version = directory_state(session, account), account.directory_version
    outcome = sync(session, account, snapshot)
    assert outcome.state is RunState.SUCCEEDED
    assert outcome.plan is not None
    assert not outcome.plan.changed()
    session.refresh(account)
    assert account.directory_version == version
    assert directory_state(session, account) == state


def test_deactivated_leaver_policy(session: Session, account: Account) -> None:
    sync(session, account, snap(rec(1), rec(2)))
    account.leaver_policy = LeaverPolicy.DEACTIVATED
    sync(session, account, snap(rec(1)))
    gone = people(session, account)["src-2"]
    assert (gone.status, gone.end_date) == ("deactivated", None)


def test_import_date_is_the_accounts_local_date(session: Session, account: Account) -> None:
    change_settings(session, account, SettingsChange(timezone="Pacific/Auckland"))
    late_evening_utc = datetime.fromisoformat("2026-11-25T23:30:00+00:00")
    sync(session, account, snap(rec(1), rec(2)), now=late_evening_utc)
    sync(session, account, snap(rec(1)), now=late_evening_utc)
    assert people(session, account)["src-2"].end_date == date(2026, 11, 26)


def test_plan_made_against_an_older_directory_is_refused(
    session: Session, account: Account
) -> None:
    sync(session, account, snap(rec(1), rec(2)))
    run = runs.start_run(session, account, trigger="manual", source_kind="merge", now=NOW)
    runs.plan_run(session, account, run, snap(rec(1), rec(2, name="New")), today=TODAY, now=NOW)
    bump_version(session, account.id)  # e.g. an admin edited an email meanwhile
    state = directory_state(session, account)
    with pytest.raises(StalePlanError, match="changed since"), session.begin_nested():
        runs.apply_run(session, account, run, now=NOW)
    assert directory_state(session, account) == state


def test_apply_is_all_or_nothing(session: Session, account: Account) -> None:
    sync(session, account, snap(rec(1), rec(2)))
    state = directory_state(session, account)
    logged = session.scalar(select(func.count()).select_from(ChangeLog))
    run = runs.start_run(session, account, trigger="manual", source_kind="merge", now=NOW)
    runs.plan_run(
        session, account, run, snap(rec(1), rec(2, name="Renamed"), rec(9)), today=TODAY, now=NOW
    )
    session.flush()
    # Another writer slips in a row that the plan's create will collide with (source_id 9),
    # without touching the directory version: the apply fails midway, after the updates.
    session.execute(
        insert(PersonRow).values(
            id="intruder",
            account_id=account.id,
            status="active",
            source_id="src-9",
            created_at=NOW,
            updated_at=NOW,
        )
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        runs.apply_run(session, account, run, now=NOW)
    session.expire_all()
    session.execute(text("DELETE FROM people WHERE id = 'intruder'"))
    assert directory_state(session, account) == state
    assert session.scalar(select(func.count()).select_from(ChangeLog)) == logged
    assert session.get(SyncRun, run.id).state == "awaiting_review"  # type: ignore[union-attr]


# Each hierarchy test both ways: the managers named looked up, and the whole account checked.
checked_whole = pytest.mark.parametrize(
    "whole", [False, True], ids=["looked_up", "whole"], indirect=True
)


@pytest.fixture
def whole(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    checks_whole = bool(request.param)
    for module in (hierarchy, plans):  # plans stops counting past it; hierarchy checks
        monkeypatch.setattr(module, "WHOLE_CHECK", 0 if checks_whole else 2_000)
    return checks_whole


@checked_whole
def test_an_import_naming_a_manager_who_is_gone_is_refused_whole(
    session: Session, account: Account, whole: bool
) -> None:
    """The hierarchy holds without a foreign key (issue 16): a manager the plan names but who
    left the directory before the import (another writer) refuses the import, naming who would
    report to nobody, and nothing of it is written."""
    sync(session, account, snap(rec(1), rec(2)))
    run = runs.start_run(session, account, trigger="manual", source_kind="merge", now=NOW)
    runs.plan_run(
        session, account, run, snap(rec(1), rec(2), rec(3, name="Nia New")), today=TODAY, now=NOW
    )
    session.flush()
    session.execute(text("UPDATE people SET manager_id = NULL"))  # nobody else reports to 1
    session.execute(text("DELETE FROM people WHERE source_id = 'src-1'"))
    state = directory_state(session, account)
    logged = session.scalar(select(func.count()).select_from(ChangeLog))
    with (
        pytest.raises(ImportBlockedError, match="Hierarchy error: Nia New would report to"),
        session.begin_nested(),
    ):
        runs.apply_run(session, account, run, now=NOW)
    session.expire_all()
    assert directory_state(session, account) == state
    assert session.scalar(select(func.count()).select_from(ChangeLog)) == logged
    assert session.get(SyncRun, run.id).state == "awaiting_review"  # type: ignore[union-attr]


@checked_whole
def test_a_manager_is_a_person_of_the_same_account(
    session: Session, account: Account, whole: bool
) -> None:
    """A manager id of another account's person is no manager here: refused as missing."""
    sync(session, account, snap(rec(1), rec(2)))
    other = create_account(session, "Other", now=NOW)
    session.flush()
    sync(session, other, snap(rec(1)))
    theirs = session.scalar(select(PersonRow.id).where(PersonRow.account_id == other.id))
    run = runs.start_run(session, account, trigger="manual", source_kind="merge", now=NOW)
    runs.plan_run(session, account, run, snap(rec(1), rec(2), rec(3)), today=TODAY, now=NOW)
    session.flush()
    session.execute(  # the stored create tampered with: its manager another account's person
        text("UPDATE plan_items SET changes = :c WHERE run_id = :r AND kind = 'create'"),
        {"c": _with_manager(session, run.id, theirs), "r": run.id},
    )
    with pytest.raises(ImportBlockedError, match="Person 3 would report"), session.begin_nested():
        runs.apply_run(session, account, run, now=NOW)
    assert set(people(session, account)) == {"src-1", "src-2"}


def _with_manager(session: Session, run_id: int, manager: str | None) -> str:
    raw = session.scalar(
        text("SELECT CAST(changes AS TEXT) FROM plan_items WHERE run_id = :r AND kind = 'create'"),
        {"r": run_id},
    )
    changes = json.loads(str(raw))
    changes["values"]["manager"] = manager
    return json.dumps(changes)


def test_email_swap_between_two_people_applies(session: Session, account: Account) -> None:
    sync(session, account, snap(rec(1), rec(2), rec(3)))
    swapped = snap(
        rec(1), rec(2, email="person3@acme.example"), rec(3, email="person2@acme.example")
    )
    outcome = sync(session, account, swapped)
    assert outcome.plan is not None
    assert outcome.plan.counts()["update"] == 2
    found = people(session, account)
    assert found["src-2"].email == "person3@acme.example"
    assert found["src-3"].email == "person2@acme.example"


def test_one_active_run_per_account(session: Session, account: Account) -> None:
    runs.start_run(session, account, trigger="manual", source_kind="merge", now=NOW)
    session.flush()
    with pytest.raises(RunActiveError, match="already running"):
        runs.start_run(session, account, trigger="automatic", source_kind="merge", now=NOW)


def test_a_run_left_awaiting_review_is_replaced_only_when_asked(
    session: Session, account: Account
) -> None:
    first = runs.start_run(session, account, trigger="manual", source_kind="merge", now=NOW)
    runs.plan_run(session, account, first, snap(rec(1)), today=TODAY, now=NOW)
    session.flush()
    with pytest.raises(ReviewWaitingError, match=f"Sync {first.id} is waiting for your review"):
        runs.start_run(session, account, trigger="manual", source_kind="merge", now=NOW)
    assert first.state == "awaiting_review"
    second = runs.start_run(
        session, account, trigger="manual", source_kind="merge", now=NOW, replace_waiting=True
    )
    session.refresh(first)
    assert (first.state, first.error) == ("cancelled", f"Replaced by sync {second.id}.")
    runs.plan_run(session, account, second, snap(rec(1)), today=TODAY, now=NOW)
    session.flush()
    third = runs.start_run(session, account, trigger="automatic", source_kind="merge", now=NOW)
    session.refresh(second)  # an automated sync replaces a waiting review without asking
    assert (second.state, second.error) == ("cancelled", f"Replaced by sync {third.id}.")


def test_validation_errors_block_and_record_issues(session: Session, account: Account) -> None:
    outcome = sync(session, account, snap(rec(1), rec(2, manager_source_id="nobody")))
    assert outcome.state is RunState.BLOCKED
    run = session.get(SyncRun, outcome.run_id)
    assert run is not None
    assert run.blocked_reason == "validation"
    assert any(i["code"] == "manager_not_found" for i in run.issues)
    assert people(session, account) == {}


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL keeps its own
def test_statistics_are_refreshed_after_an_import_that_moves_them(
    session: Session, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big import refreshes SQLite's planner statistics; a small share of a large directory
    (a 1% churn of 100,000 people) does not."""
    monkeypatch.setattr(runs, "BIG_CHANGE", 10)  # so that 200 people are a large directory
    company = [rec(n) for n in range(1, 201)]

    def stats() -> int:
        return int(session.scalar(text("SELECT count(*) FROM sqlite_stat1")) or 0)

    def renamed(count: int, day: int) -> SourceSnapshot:
        names = [rec(n, name=f"Renamed {n} {day}") if n <= count else rec(n) for n in range(1, 201)]
        return snap(*names)

    sync(session, account, snap(*company))
    assert stats() > 0  # 200 people created
    session.execute(text("DELETE FROM sqlite_stat1"))
    sync(session, account, renamed(15, 1), now=NOW + timedelta(days=1))
    assert stats() == 0  # 15 of 200: big enough, but under a tenth of the directory
    sync(session, account, renamed(40, 2), now=NOW + timedelta(days=2))
    assert stats() > 0  # 40 of 200


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_postgresql_statistics_are_refreshed_after_a_big_import(
    session: Session, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's autovacuum analyses a bulk load only later (or never, where it is off): a big
    import analyses the tables it filled. The row estimate then counts the new people."""
    monkeypatch.setattr(runs, "BIG_CHANGE", 10)
    sync(session, account, snap(*[rec(n) for n in range(1, 201)]))
    this_schemas = "SELECT reltuples FROM pg_class WHERE oid = 'people'::regclass"
    estimated = session.scalar(text(this_schemas))
    assert estimated == session.scalar(select(func.count()).select_from(PersonRow))
