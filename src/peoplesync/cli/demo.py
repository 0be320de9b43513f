"""`peoplesync demo` (what `make run` runs): the whole product on the embedded default.

The web demo serves the app, a worker and a sandbox HRIS (a synthetic Justworks company behind
Merge's API, on `--sandbox-port`) until Ctrl-C. Once the admin has connected Justworks it prints
the sandbox's control token and a command to paste that makes an HR change, for the next sync
to find. `--script` is the terminal walk-through: a fresh SQLite directory connects to the
sandbox, waits out Merge's first sync, runs the first sync end to end, then a second one after
some HR changes (a hire, a leaver, a rehire, a rename, an email change).
"""

from __future__ import annotations

import json
import secrets
import shlex
import shutil
import socket
import threading
import time
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr
from rich.markup import escape

from peoplesync.access import service as access
from peoplesync.access.service import Role
from peoplesync.accounts.service import create_account
from peoplesync.cli.commands import history, sync, users
from peoplesync.cli.context import State, handles_errors, out, utcnow
from peoplesync.cli.web import background_worker, web_context
from peoplesync.config import Settings
from peoplesync.connections import service as connections
from peoplesync.crypto import secret_box
from peoplesync.errors import ConflictError
from peoplesync.runs.hris import refresh_status
from peoplesync.sandbox import SandboxServer
from peoplesync.sandbox.names import name_pools
from peoplesync.serving import ServerThread, free_port
from peoplesync.sources.merge.client import MergeClient
from peoplesync.store.db import migrate
from peoplesync.web.app import create_app

COMPANY_SIZE = 150
INITIAL_SYNC_SECONDS = 4.0
WEB_INITIAL_SYNC_SECONDS = 8.0  # long enough to see "Initial sync in progress" in the browser
SANDBOX_PORT = 8765  # `peoplesync sandbox`'s too
DEMO_ADMIN = "admin@acme.example"


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
    sandbox_port: Annotated[
        int, typer.Option(help="Sandbox HRIS port: its Merge API and control API (0: any free).")
    ] = SANDBOX_PORT,
) -> None:
    """The demo: the web app, a worker and a sandbox HRIS, until Ctrl-C; it prints how to make
    HR changes in the sandbox (`--script`: the terminal walk-through: connect Justworks ->
    first sync -> HR changes -> sync)."""
    if not script:
        web_demo(folder, size=size, port=port, sandbox_port=sandbox_port)
        return
    _refuse_busy(sandbox_port, "--sandbox-port")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    with SandboxServer(
        size=size, initial_sync_seconds=INITIAL_SYNC_SECONDS, port=sandbox_port
    ) as sandbox:
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


DEMO_SEED = 42


def web_demo(folder: Path, *, size: int, port: int, sandbox_port: int) -> None:
    """The whole product on the embedded default, until Ctrl-C (what `make run` runs)."""
    if port and port == sandbox_port:  # both free now; the sandbox would take it first
        raise ConflictError(
            f"--port and --sandbox-port are both {port}: the app and the sandbox HRIS each "
            "need their own port.",
            hint=f"Choose another for the app: `make run PORT=8001` or `peoplesync demo --port "
            f"8001`; or move the sandbox: `--sandbox-port {port + 1}`.",
        )
    port = port or free_port()  # the app must know its own address (Merge Link comes back to it)
    _refuse_busy(port, "--port", make="`make run PORT=8001`")
    _refuse_busy(sandbox_port, "--sandbox-port")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    hris = SandboxServer(
        size=size, seed=DEMO_SEED, initial_sync_seconds=WEB_INITIAL_SYNC_SECONDS, port=sandbox_port
    )
    name_pools(DEMO_SEED)  # the names Faker draws (seconds, once): now, not when Link connects
    with hris:
        settings = Settings(
            database_url=f"sqlite:///{folder / 'peoplesync-demo.db'}",
            secret_key_file=folder / "secret.key",
            queue_sqlite_path=folder / "queue.db",
            merge_api_key=SecretStr(hris.api_key),
            merge_base_url=hris.base_url,
            base_url=f"http://127.0.0.1:{port}",
        )
        st = State(settings)
        migrate(st.engine)
        account_id, password = _demo_account(st)
        web = web_context(st)
        server = ServerThread(create_app(web), port=port, name="peoplesync-web")
        stop = threading.Event()
        watcher = threading.Thread(
            target=_announce_control, args=(st, hris, account_id, stop), daemon=True
        )
        with background_worker(web, log=folder / "worker.log"), server:
            out.rule("[bold]peoplesync is running")
            out.print(f"Open      {server.url}", markup=False)
            out.print(f"Sign in   {DEMO_ADMIN} / {password}", markup=False)
            out.print(f"Sandbox   {hris.url} (a synthetic Justworks company)", markup=False)
            out.print(
                f"Control   {hris.url}/control: its token and an HR change to try are printed "
                "here once Justworks is connected",
                markup=False,
            )
            out.print("Then: Settings > Data Integrations > Justworks > Continue setup.")
            out.print(f"Worker    its own process; its log: {folder / 'worker.log'}", markup=False)
            out.print("Ctrl-C stops everything.", markup=False)
            watcher.start()
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                out.print("\nStopped.")
            finally:
                stop.set()


def _refuse_busy(port: int, option: str, make: str | None = None) -> None:
    """A clear error, before the last demo's files are touched, if `port` is taken."""
    if not port:
        return
    try:
        socket.create_server(("127.0.0.1", port)).close()
    except OSError:
        other = f"{make} or `peoplesync demo {option} 8001`" if make else f"`{option} 8766`"
        raise ConflictError(
            f"Port {port} is already in use.",
            hint=f"Stop what uses it, or choose another: {other} "
            f"(`peoplesync demo {option} 0` takes any free port).",
        ) from None


def _demo_account(st: State) -> tuple[int, str]:
    """The demo account "Acme Inc." and its admin; returns the account id and the password."""
    password = secrets.token_urlsafe(9)
    with st.uow() as session:
        account = create_account(session, "Acme Inc.", now=utcnow())
        access.create_login(
            session,
            account,
            email=DEMO_ADMIN,
            name="Ada Admin",
            password=password,
            role=Role.ADMIN,
            now=utcnow(),
        )
        session.flush()
        return account.id, password


def _announce_control(
    st: State, hris: SandboxServer, account_id: int, stop: threading.Event
) -> None:
    """Once the admin has connected Justworks (the sandbox made the linked account then), print
    its control token and a command that hires someone: the next sync finds them."""
    box = secret_box(st.settings)
    while not stop.wait(0.5):
        with st.uow() as session:
            connection = connections.find_connection(session, account_id)
            token = connections.credentials(connection, box)[1] if connection else None
        if token:
            for line in control_help(hris.url, token):
                out.print(line, markup=False)
            return


def control_help(url: str, token: str) -> list[str]:
    """What the web demo prints about the sandbox once Justworks is connected."""
    hire = {"first_name": "Zanele", "last_name": "Dlamini", "job_title": "People Coordinator"}
    command = shlex.join(
        [
            "curl",
            "-sS",
            "-X",
            "POST",
            f"{url}/control/accounts/{token}/employees",
            "-H",
            "Content-Type: application/json",
            "-d",
            json.dumps(hire),
        ]
    )
    return [
        "",
        "Justworks is connected. Make HR changes in the sandbox through its control API:",
        f"Control   {url}/control/accounts/{token}",
        f"Token     {token} (the sandbox's control token for this company)",
        f"Try       {command}",
        "Then Sync on the Justworks page: the new hire is in the review. "
        "Every change the control API makes: peoplesync sandbox --help",
    ]


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
    out.print(f"Its control API: {sandbox.url}/control (peoplesync sandbox --help)", markup=False)
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
    """Changes an HR admin makes in Justworks between two syncs (dates a few days back from
    today, so that every run of the demo tells the same story)."""
    out.rule("[bold]Meanwhile, in Justworks")
    control = sandbox.control
    today = utcnow().date()
    hired_on, left_on, back_on = (today - timedelta(days=d) for d in (16, 12, 9))
    with MergeClient(sandbox.base_url, sandbox.api_key, token) as merge:
        people = [p for page in merge.iter_employee_pages() for p in page]
    managers = {_id(p.get("manager")) for p in people}
    leaves = [
        p
        for p in people
        if p["id"] not in managers
        and not p.get("termination_date")
        and str(p.get("start_date") or "")[:10] < left_on.isoformat()  # started before leaving
    ]
    former = [p for p in people if p.get("termination_date")]
    boss = next(p for p in people if p["id"] in managers)
    control.hire(
        token,
        first_name="Zanele",
        last_name="Dlamini",
        manager_id=boss["id"],
        start_date=hired_on,
        job_title="People Coordinator",
    )
    out.print("Hired Zanele Dlamini.")
    control.terminate(token, leaves[0]["id"], termination_date=left_on)
    out.print(f"{_name(leaves[0])} left on {left_on.isoformat()}.")
    control.rename(token, leaves[1]["id"], last_name="Okafor-Smith")
    out.print(f"{_name(leaves[1])} changed their last name to Okafor-Smith.")
    control.change_email(token, leaves[2]["id"], f"new.{leaves[2]['work_email']}")
    out.print(f"{_name(leaves[2])} has a new work email.")
    if former:
        control.rehire(token, former[0]["id"], start_date=back_on)
        out.print(f"{_name(former[0])} was rehired.")


def _id(value: object) -> object:
    return value.get("id") if isinstance(value, dict) else value


def _name(person: dict[str, Any]) -> str:
    return escape(str(person.get("display_full_name") or person.get("first_name")))
