"""Partial and full file imports (issue 13): a partial import creates and updates the people in
the file and never makes anyone leave; a full import is the whole company; the history says
which it was. Beside a connected HRIS an upload is partial unless asked, and a full one needs
its own confirmation. On SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select

from peoplesync.accounts.service import create_account, get_account
from peoplesync.config import Settings
from peoplesync.connections.service import save_connection
from peoplesync.core.states import RunState
from peoplesync.crypto import SecretBox
from peoplesync.errors import InputError
from peoplesync.runs.files import import_mode
from peoplesync.runs.hris import HrisContext
from peoplesync.runs.sync import Syncs
from peoplesync.store.db import session_factory, unit_of_work
from peoplesync.store.models import Person, SyncRun
from tests.factories.workbooks import workbook

NOW = datetime.now(UTC)
HEADER = "Name,Employee Id,Email,Start Date,Manager Email,Team\n"
COMPANY = HEADER + (
    "Ada Lovelace,E1,ada@acme.example,2020-01-06,,Core\n"
    "Bob Stone,E2,bob@acme.example,2020-02-03,ada@acme.example,Core\n"
    "Cy Young,E3,cy@acme.example,2021-05-10,ada@acme.example,Sales\n"
)
# One correction (Bob's team) and one new hire reporting to someone in the file.
CORRECTION = HEADER + (
    "Bob Stone,E2,bob@acme.example,2020-02-03,,Platform\n"
    "Dee Park,E4,dee@acme.example,2026-11-30,bob@acme.example,Platform\n"
)


def syncs(engine: Engine) -> Syncs:
    box = SecretBox(Fernet.generate_key())
    return Syncs.in_process(session_factory(engine), HrisContext(settings=Settings(), box=box))


def new_account(engine: Engine) -> int:
    with unit_of_work(session_factory(engine)) as session:
        account = create_account(session, f"Acme {secrets.token_hex(3)}", now=NOW)
        session.flush()
        return account.id


def imported(
    use: Syncs, account_id: int, data: bytes, *, confirm: bool = False, **how: object
) -> SyncRun:
    result = use.from_file(account_id, data, name="people", actor="admin", **how)  # type: ignore[arg-type]
    assert result.state is RunState.AWAITING_REVIEW, result
    use.apply(account_id, result.run_id, actor="admin", confirm=confirm)
    with unit_of_work(use.env.factory) as session:
        run = session.get(SyncRun, result.run_id)
        assert run is not None
        assert run.state == RunState.SUCCEEDED, run.error
        session.expunge(run)
        return run


def statuses(engine: Engine, account_id: int) -> dict[str, str]:
    with unit_of_work(session_factory(engine)) as session:
        rows = session.execute(
            select(Person.email, Person.status).where(Person.account_id == account_id)
        ).all()
    return {str(email): str(status) for email, status in rows}


def test_a_partial_import_creates_and_updates_and_nobody_leaves(engine: Engine) -> None:
    use, account_id = syncs(engine), new_account(engine)
    first = imported(use, account_id, COMPANY.encode())
    assert first.partial is False
    assert first.counts["create"] == 3
    partial = imported(use, account_id, CORRECTION.encode(), partial=True)
    assert partial.partial is True
    assert (partial.counts["create"], partial.counts["update"]) == (1, 1)
    assert partial.counts.get("leave", 0) == 0
    assert statuses(engine, account_id) == {
        "ada@acme.example": "active",
        "bob@acme.example": "active",
        "cy@acme.example": "active",
        "dee@acme.example": "active",
    }
    # The same file as a full import: everyone not in it leaves.
    full = imported(use, account_id, CORRECTION.encode(), partial=False, confirm=True)
    assert full.partial is False
    assert full.counts["leave"] == 2
    assert statuses(engine, account_id)["ada@acme.example"] == "former"


def test_a_partial_workbook_import_is_the_same_as_a_partial_csv_one(engine: Engine) -> None:
    use, account_id = syncs(engine), new_account(engine)
    imported(use, account_id, COMPANY.encode())
    rows = [line.split(",") for line in CORRECTION.strip().split("\n")]
    book = workbook([[cell or None for cell in row] for row in rows])
    run = imported(use, account_id, book, partial=True, sheet="Employees")
    assert (run.counts["create"], run.counts["update"], run.counts.get("leave", 0)) == (1, 1, 0)


def test_beside_a_connected_hris_an_upload_is_partial_and_full_needs_its_own_confirmation(
    engine: Engine,
) -> None:
    account_id = new_account(engine)
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        assert import_mode(session, account_id, partial=None) is False  # no HRIS: full
        assert import_mode(session, account_id, partial=True) is True
    with unit_of_work(factory) as session:
        save_connection(
            session,
            get_account(session, account_id),
            box=SecretBox(Fernet.generate_key()),
            base_url="http://127.0.0.1:9",
            api_key="k",
            account_token="t",
            now=NOW,
        )
    with unit_of_work(factory) as session:
        assert import_mode(session, account_id, partial=None) is True
        with pytest.raises(InputError) as refused:
            import_mode(session, account_id, partial=False)
        assert refused.value.message == (
            "A full import replaces Justworks as the source of truth for everyone not in the "
            "file: each of them would leave, although Justworks still has them."
        )
        assert import_mode(session, account_id, partial=False, replace_hris=True) is False
