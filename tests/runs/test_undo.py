"""Undo an import (issue 17): the reverse of a run, planned, reviewed and imported like any sync,
recorded as its own run. An undo of a first import leaves an empty directory; an undo of an
update puts every before-value back (demographics, the leavers' status and end date); an undo
that later changes would overwrite is refused, naming the people; undoing the undo restores the
import; a plan the directory moved past expires. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from peoplesync.core.employee import Person
from peoplesync.core.states import RunState
from peoplesync.errors import ConflictError
from peoplesync.people.service import change_email
from peoplesync.runs.sync import Syncs
from peoplesync.runs.undo import undone_by
from peoplesync.store import hierarchy as store_hierarchy
from peoplesync.store import plans as store_plans
from peoplesync.store.db import session_factory, unit_of_work
from peoplesync.store.models import Demographic, PersonDemographic, PersonSearchTerm, SyncRun
from peoplesync.store.models import Person as PersonRow
from peoplesync.store.snapshots import load_directory
from tests.runs.test_partial_imports import HEADER, NOW, imported, new_account, syncs

COMPANY = HEADER + (
    "Ada Lovelace,E1,ada@acme.example,2020-01-06,,Core\n"
    "Bob Stone,E2,bob@acme.example,2020-02-03,ada@acme.example,Core\n"
    "Cy Young,E3,cy@acme.example,2021-05-10,ada@acme.example,Sales\n"
)
# Bob renamed, moved to Sales under Cy with a new email; Cy left (not in the file); Dee new.
UPDATE = HEADER + (
    "Ada Lovelace,E1,ada@acme.example,2020-01-06,,Core\n"
    "Robert Stone,E2,robert@acme.example,2020-02-03,ada@acme.example,\n"
    "Dee Park,E4,dee@acme.example,2024-03-04,ada@acme.example,Platform\n"
)


def directory(engine: Engine, account_id: int) -> dict[str, Person]:
    with unit_of_work(session_factory(engine)) as session:
        return {p.id: p for p in load_directory(session, account_id)}


def undone(use: Syncs, account_id: int, run_id: int, *, confirm: bool = False) -> SyncRun:
    """Undo `run_id`: a run waiting for review, then imported."""
    result = use.undo(account_id, run_id, actor="admin")
    assert result.state is RunState.AWAITING_REVIEW, result
    use.apply(account_id, result.run_id, actor="admin", confirm=confirm)
    with unit_of_work(use.env.factory) as session:
        run = session.get(SyncRun, result.run_id)
        assert run is not None
        assert run.state == RunState.SUCCEEDED, run.error
        session.expunge(run)
        return run


def person_id(session: Session, account_id: int, email: str) -> str:
    found = session.scalar(
        select(PersonRow.id).where(PersonRow.account_id == account_id, PersonRow.email == email)
    )
    assert found is not None, email
    return found


def rows(engine: Engine, account_id: int) -> dict[str, int]:
    """What the account's directory holds, table by table."""
    with unit_of_work(session_factory(engine)) as session:
        ids = select(PersonRow.id).where(PersonRow.account_id == account_id)

        def count(query: object) -> int:
            return int(session.scalar(query) or 0)  # type: ignore[call-overload]

        return {
            "people": count(select(func.count()).select_from(ids.subquery())),
            "values": count(
                select(func.count())
                .select_from(PersonDemographic)
                .where(PersonDemographic.person_id.in_(ids))
            ),
            "terms": count(
                select(func.count())
                .select_from(PersonSearchTerm)
                .where(PersonSearchTerm.account_id == account_id)
            ),
            "demographics": count(
                select(func.count())
                .select_from(Demographic)
                .where(Demographic.account_id == account_id)
            ),
        }


def test_an_undo_of_a_first_import_leaves_an_empty_directory(engine: Engine) -> None:
    use, account_id = syncs(engine), new_account(engine)
    first = imported(use, account_id, COMPANY.encode())
    assert rows(engine, account_id)["people"] == 3
    undo = undone(use, account_id, first.id)
    assert rows(engine, account_id) == {"people": 0, "values": 0, "terms": 0, "demographics": 0}
    assert undo.undoes_run_id == first.id
    assert undo.trigger == "undo"
    assert undo.counts["remove"] == 3
    assert undo.source_name == f"Undo of sync {first.id}"
    with unit_of_work(use.env.factory) as session:
        first_again = session.get(SyncRun, first.id)
        assert first_again is not None
        found = undone_by(session, first_again)
        assert found is not None
        assert found.id == undo.id


def test_undoing_the_undo_restores_the_import(engine: Engine) -> None:
    use, account_id = syncs(engine), new_account(engine)
    first = imported(use, account_id, COMPANY.encode())
    after_first, held = directory(engine, account_id), rows(engine, account_id)
    undo = undone(use, account_id, first.id)
    redo = undone(use, account_id, undo.id)
    assert redo.counts["create"] == 3
    assert directory(engine, account_id) == after_first
    assert rows(engine, account_id) == held
    assert held["terms"] > 0


def test_an_undo_of_an_update_restores_every_before_value(engine: Engine) -> None:
    use, account_id = syncs(engine), new_account(engine)
    imported(use, account_id, COMPANY.encode())
    before = directory(engine, account_id)
    update = imported(use, account_id, UPDATE.encode(), confirm=True)  # Bob: name and email
    assert update.counts["update"] == 1
    assert update.counts["leave"] == 1
    assert update.counts["create"] == 1
    undo = undone(use, account_id, update.id, confirm=True)  # the same safeguard, in reverse
    assert undo.findings
    assert undo.counts["remove"] == 1  # Dee
    assert undo.counts["rehire"] == 1  # Cy: active again, no end date
    assert undo.counts["update"] == 1  # Bob: name, email, team back
    assert directory(engine, account_id) == before
    with unit_of_work(use.env.factory) as session:
        names = session.scalars(select(PersonRow.name).where(PersonRow.account_id == account_id))
        assert sorted(str(n) for n in names) == ["Ada Lovelace", "Bob Stone", "Cy Young"]
        found = session.scalars(
            select(Demographic.name).where(Demographic.account_id == account_id)
        )
        assert sorted(found) == ["Team"]  # Platform was only Dee's: its values went with her


def test_an_undo_that_later_imports_would_overwrite_is_refused_naming_the_people(
    engine: Engine,
) -> None:
    use, account_id = syncs(engine), new_account(engine)
    first = imported(use, account_id, COMPANY.encode())
    second = imported(use, account_id, UPDATE.encode(), confirm=True)
    with pytest.raises(ConflictError) as refused:
        use.undo(account_id, first.id, actor="admin")
    message = refused.value.message
    assert f"Sync {first.id} cannot be undone" in message
    # Bob and Cy changed; Dee (created later) reports to Ada, whom the undo would remove.
    for who in ("Robert Stone <robert", "Cy Young <cy", "Dee Park <dee"):
        assert f"{who}@acme.example> (sync {second.id})" in message
    assert "3 of the people" in message
    assert "Ada" not in message  # unchanged since
    with unit_of_work(use.env.factory) as session:  # no run was started
        runs = select(func.count()).where(SyncRun.account_id == account_id)
        assert session.scalar(runs.where(SyncRun.undoes_run_id.is_not(None))) == 0


def test_an_undo_after_an_admin_edit_names_the_edit(engine: Engine) -> None:
    use, account_id = syncs(engine), new_account(engine)
    first = imported(use, account_id, COMPANY.encode())
    with unit_of_work(use.env.factory) as session:
        bob = person_id(session, account_id, "bob@acme.example")
        change_email(session, account_id, bob, "bobby@acme.example", actor="hr@acme", now=NOW)
    with pytest.raises(ConflictError) as refused:
        use.undo(account_id, first.id, actor="admin")
    assert "Bob Stone <bobby@acme.example> (edited by hr@acme)" in refused.value.message


def test_an_undo_is_refused_twice_and_for_a_run_that_imported_nothing(engine: Engine) -> None:
    use, account_id = syncs(engine), new_account(engine)
    first = imported(use, account_id, COMPANY.encode())
    again = use.from_file(account_id, COMPANY.encode(), name="people", actor="admin")
    assert again.state is RunState.SUCCEEDED  # nothing changed: nothing to review
    with pytest.raises(ConflictError, match="changed nothing"):
        use.undo(account_id, again.run_id, actor="admin")
    undo = undone(use, account_id, first.id)
    with pytest.raises(ConflictError, match=f"already undone by sync {undo.id}"):
        use.undo(account_id, first.id, actor="admin")


def test_an_undo_the_directory_moved_past_expires(engine: Engine) -> None:
    use, account_id = syncs(engine), new_account(engine)
    first = imported(use, account_id, COMPANY.encode())
    waiting = use.undo(account_id, first.id, actor="admin")
    assert waiting.state is RunState.AWAITING_REVIEW
    with unit_of_work(use.env.factory) as session:
        ada = person_id(session, account_id, "ada@acme.example")
        change_email(session, account_id, ada, "ada.l@acme.example", actor="hr@acme", now=NOW)
    result = use.apply(account_id, waiting.run_id, actor="admin")
    assert result.state is RunState.EXPIRED
    assert rows(engine, account_id)["people"] == 3


def test_an_undo_accepts_an_employee_id_a_long_gone_person_and_a_new_one_share(
    engine: Engine,
) -> None:
    """Found by the undo property: the directory may hold an Employee Id twice (a former
    person's, re-used by a new one), though one file may not; an undo that changes the new
    holder is no error."""
    use, account_id = syncs(engine), new_account(engine)
    header = "Name,Employee Id,Email,Start Date,End Date,Manager Email\n"
    gone = header + "Ann Gone,E2,ann@acme.example,2020-01-06,2025-06-30,\n"
    imported(use, account_id, gone.encode())
    reused = header + (
        "Ada Lovelace,E1,ada@acme.example,2020-01-06,,\n"
        "Zed New,E2,zed@acme.example,2020-01-06,,ada@acme.example\n"
    )
    imported(use, account_id, reused.encode(), confirm=True)
    before = directory(engine, account_id)
    assert sorted(p.employee_id or "" for p in before.values()) == ["E1", "E2", "E2"]
    alone = header + "Zed New,E2,zed@acme.example,2020-01-06,,\n"  # Ada leaves; Zed's manager
    last = imported(use, account_id, alone.encode(), confirm=True)
    undone(use, account_id, last.id, confirm=True)
    assert directory(engine, account_id) == before


@pytest.mark.parametrize("whole", [False, True], ids=["looked_up", "whole"])
def test_an_undo_that_would_leave_someone_reporting_to_nobody_is_refused(
    engine: Engine, whole: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hierarchy holds without a foreign key (issue 16): a person another writer put under
    Ada after the undo was reviewed (no change log, no new directory version) makes the undo,
    which removes Ada, fail whole, saying who would report to nobody; whether the people it
    removes are looked up or the whole account is checked."""
    for module in (store_hierarchy, store_plans):
        monkeypatch.setattr(module, "WHOLE_CHECK", 0 if whole else 2_000)
    use, account_id = syncs(engine), new_account(engine)
    first = imported(use, account_id, COMPANY.encode())
    planned = use.undo(account_id, first.id, actor="admin")
    assert planned.state is RunState.AWAITING_REVIEW, planned
    with unit_of_work(use.env.factory) as session:
        ada = person_id(session, account_id, "ada@acme.example")
        session.execute(
            insert(PersonRow).values(
                id=f"slipped-in-{account_id}",
                account_id=account_id,
                status="active",
                name="Zed Late",
                manager_id=ada,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    before = directory(engine, account_id)
    use.apply(account_id, planned.run_id, actor="admin", confirm=True)
    with unit_of_work(use.env.factory) as session:
        run = session.get(SyncRun, planned.run_id)
        assert run is not None
        assert run.state == RunState.FAILED
        assert "Hierarchy error: Zed Late would report to a manager" in (run.error or "")
    assert directory(engine, account_id) == before
    assert len(before) == 4
