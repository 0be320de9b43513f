"""`peoplesync demo` (what `make run` runs): the whole product on the embedded default.

A sandbox HRIS serves a synthetic Justworks company through Merge's API; a fresh SQLite directory
connects to it, waits out Merge's first sync, runs the first sync end to end, then a second one
after some HR changes (a hire, a leaver, a rehire, a rename, an email change).
"""

from __future__ import annotations

import shutil
import time
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr
from rich.markup import escape

from peoplesync.accounts.service import create_account
from peoplesync.cli.commands import history, sync, users
from peoplesync.cli.context import State, handles_errors, out, utcnow
from peoplesync.cli.web import web_demo
from peoplesync.config import Settings
from peoplesync.connections import service as connections
from peoplesync.crypto import secret_box
from peoplesync.runs.hris import refresh_status
from peoplesync.sandbox import SandboxServer
from peoplesync.sources.merge.client import MergeClient
from peoplesync.store.db import migrate

COMPANY_SIZE = 150
INITIAL_SYNC_SECONDS = 4.0


def sample_path(name: str) -> Path:
    """A sample employee file shipped with the package (for trying `sync --csv`)."""
    return Path(str(resources.files("peoplesync.samples") / name))


@handles_errors
def demo(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Option(help="Where the demo's files live.")] = Path("demo"),
    size: Annotated[int, typer.Option(help="Employees in the sandbox company.")] = COMPANY_SIZE,
    script: Annotated[
        bool,
        typer.Option(
            "--script",
            help="Run the scripted terminal demo (connect, sync, HR changes, sync) and exit.",
        ),
    ] = False,
    port: Annotated[int, typer.Option(help="Web app port (0: any free port).")] = 8000,
) -> None:
    """The demo: the web app, a worker and a sandbox HRIS, until Ctrl-C (`--script`: the
    terminal walk-through: connect Justworks -> first sync -> HR changes -> sync)."""
    if not script:
        web_demo(folder, size=size, port=port)
        return
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    with SandboxServer(size=size, initial_sync_seconds=INITIAL_SYNC_SECONDS) as sandbox:
        settings = Settings(
            database_url=f"sqlite:///{folder / 'peoplesync-demo.db'}",
            secret_key_file=folder / "secret.key",
            merge_api_key=SecretStr(sandbox.api_key),
            merge_base_url=sandbox.base_url,
        )
        ctx.find_root().obj = st = State(settings)
        migrate(st.engine)
        token = _connect(st, sandbox, size)
        _wait_for_initial_sync(st)
        _sync(ctx, "First sync from Justworks")
        _hr_changes(sandbox, token)
        _sync(ctx, "Second sync, after HR changes in Justworks")
        out.rule("[bold]Users who left")
        users(ctx, search=None, account=None, status="former", limit=10, offset=0, as_json=False)
        out.rule("[bold]Import history")
        history(ctx, account=None, as_json=False, limit=10)
    out.print(f"\nThe demo directory is {folder / 'peoplesync-demo.db'}.")


def _connect(st: State, sandbox: SandboxServer, size: int) -> str:
    out.rule("[bold]Connect Justworks (through Merge)")
    company = sandbox.control.create_company(
        seed=42, size=size, initial_sync_seconds=INITIAL_SYNC_SECONDS
    )
    with st.uow() as session:
        account = create_account(session, "Acme Inc.", now=utcnow())
        connections.save_connection(
            session,
            account,
            box=secret_box(st.settings),
            base_url=sandbox.base_url,
            api_key=sandbox.api_key,
            account_token=company.account_token,
            now=utcnow(),
        )
    out.print(
        f"Sandbox HRIS at {sandbox.url}: {escape(company.company_name)}, {company.size} employees."
    )
    return company.account_token


def _wait_for_initial_sync(st: State) -> None:
    with st.uow() as session:
        account_id = connections.list_connections(session, _only_account(st))[0].account_id
    with out.status("Merge is doing its first sync of Justworks; syncs wait until it is done..."):
        while True:
            connection = refresh_status(st.factory(), account_id, st.hris())
            if connection.status != connections.ConnectionStatus.INITIAL_SYNC:
                break
            time.sleep(0.5)
    out.print(f"Justworks: {connections.STATUS_LABELS[connection.status]}.")


def _only_account(st: State) -> int:
    from peoplesync.accounts.service import resolve_account  # noqa: PLC0415 - local helper

    with st.uow() as session:
        return resolve_account(session, None).id


def _sync(ctx: typer.Context, title: str) -> None:
    out.rule(f"[bold]{title}")
    try:
        sync(ctx, csv=None, account=None, yes=True, full=False, as_json=False)
    except typer.Exit as done:
        if done.exit_code:
            raise


def _hr_changes(sandbox: SandboxServer, token: str) -> None:
    """Changes an HR admin makes in Justworks between two syncs."""
    out.rule("[bold]Meanwhile, in Justworks")
    control = sandbox.control
    with MergeClient(sandbox.base_url, sandbox.api_key, token) as merge:
        people = [p for page in merge.iter_employee_pages() for p in page]
    managers = {_id(p.get("manager")) for p in people}
    leaves = [p for p in people if p["id"] not in managers and not p.get("termination_date")]
    former = [p for p in people if p.get("termination_date")]
    boss = next(p for p in people if p["id"] in managers)
    control.hire(
        token,
        first_name="Zanele",
        last_name="Dlamini",
        manager_id=boss["id"],
        start_date=date(2026, 11, 16),
        job_title="People Coordinator",
    )
    out.print("Hired Zanele Dlamini.")
    control.terminate(token, leaves[0]["id"], termination_date=date(2026, 11, 20))
    out.print(f"{_name(leaves[0])} left on 2026-11-20.")
    control.rename(token, leaves[1]["id"], last_name="Okafor-Smith")
    out.print(f"{_name(leaves[1])} changed their last name to Okafor-Smith.")
    control.change_email(token, leaves[2]["id"], f"new.{leaves[2]['work_email']}")
    out.print(f"{_name(leaves[2])} has a new work email.")
    if former:
        control.rehire(token, former[0]["id"], start_date=date(2026, 11, 23))
        out.print(f"{_name(former[0])} was rehired.")


def _id(value: object) -> object:
    return value.get("id") if isinstance(value, dict) else value


def _name(person: dict[str, Any]) -> str:
    return escape(str(person.get("display_full_name") or person.get("first_name")))
