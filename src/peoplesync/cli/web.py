"""`peoplesync serve` (the web app and, by default, a worker in-process), `peoplesync logins`, and
the web demo that `make run` starts."""

from __future__ import annotations

import getpass
import os
import secrets
import shutil
import socket
import threading
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr

from peoplesync.access import service as access
from peoplesync.access.service import Role
from peoplesync.accounts import service as accounts
from peoplesync.cli.context import State, handles_errors, out, print_json, state, utcnow
from peoplesync.config import Settings
from peoplesync.errors import InputError
from peoplesync.jobs.queue import InProcessConsumer
from peoplesync.jobs.tasks import build_jobs
from peoplesync.sandbox import SandboxServer
from peoplesync.serving import ServerThread, free_port
from peoplesync.serving import serve as serve_app
from peoplesync.store.db import migrate
from peoplesync.web.app import create_app
from peoplesync.web.context import WebContext

logins_app = typer.Typer(help="Who can sign in to the web app.", no_args_is_help=True)

DEMO_ADMIN = "admin@acme.example"
DEMO_SIZE = 150
DEMO_INITIAL_SYNC_SECONDS = 8.0


def _web_context(st: State) -> WebContext:
    factory = st.factory()
    return WebContext(settings=st.settings, factory=factory, jobs=build_jobs(st.settings, factory))


@handles_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    worker: Annotated[
        bool, typer.Option(help="Also run a worker in this process (off: run `peoplesync worker`).")
    ] = True,
) -> None:
    """Run the web app and the JSON API (/api/v1); Ctrl-C stops."""
    web = _web_context(state(ctx))
    out.print(f"peoplesync at http://{host}:{port} (API docs: /api/v1/docs)")
    with InProcessConsumer(web.jobs.huey) if worker else nullcontext():
        serve_app(create_app(web), host=host, port=port)


@logins_app.command("create")
@handles_errors
def create_login(
    ctx: typer.Context,
    email: str,
    name: Annotated[str, typer.Option(help="Their name.")] = "",
    role: Annotated[str, typer.Option(help="admin or user.")] = "admin",
    account: Annotated[str | None, typer.Option("--account", "-a", help="Account name.")] = None,
    person: Annotated[
        str | None, typer.Option(help="Their directory person id (a plain user's own page).")
    ] = None,
) -> None:
    """Create a login; the password is asked for (or read from PEOPLESYNC_NEW_PASSWORD)."""
    password = os.environ.get("PEOPLESYNC_NEW_PASSWORD") or getpass.getpass("Password: ")
    try:
        wanted = Role(role)
    except ValueError:
        raise InputError(f"'{role}' is not a role.", hint="Use admin or user.") from None
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        login = access.create_login(
            session,
            acct,
            email=email,
            name=name,
            password=password,
            role=wanted,
            now=utcnow(),
            person_id=person,
        )
        out.print(f"{login.email} can sign in to {acct.name} as {login.role}.", markup=False)


@logins_app.command("list")
@handles_errors
def list_logins(
    ctx: typer.Context,
    account: Annotated[str | None, typer.Option("--account", "-a", help="Account name.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Logins of an account."""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        rows = [
            {"email": x.email, "name": x.name, "role": x.role}
            for x in access.list_logins(session, acct.id)
        ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['email']}  {row['role']}  {row['name']}", markup=False)


def web_demo(folder: Path, *, size: int, port: int) -> None:
    """The whole product on the embedded default, until Ctrl-C (what `make run` runs)."""
    port = port or free_port()  # the app must know its own address (Merge Link comes back to it)
    try:
        socket.create_server(("127.0.0.1", port)).close()
    except OSError:
        raise InputError(
            f"Port {port} is already in use.",
            hint="Stop what uses it, or choose another: `make run PORT=8001` "
            "(`peoplesync demo --port 0` takes any free port).",
        ) from None
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    with SandboxServer(size=size, seed=42, initial_sync_seconds=DEMO_INITIAL_SYNC_SECONDS) as hris:
        web_url = f"http://127.0.0.1:{port}"
        settings = Settings(
            database_url=f"sqlite:///{folder / 'peoplesync-demo.db'}",
            secret_key_file=folder / "secret.key",
            queue_sqlite_path=folder / "queue.db",
            merge_api_key=SecretStr(hris.api_key),
            merge_base_url=hris.base_url,
            base_url=web_url,
        )
        st = State(settings)
        migrate(st.engine)
        password = secrets.token_urlsafe(9)
        with st.uow() as session:
            account = accounts.create_account(session, "Acme Inc.", now=utcnow())
            access.create_login(
                session,
                account,
                email=DEMO_ADMIN,
                name="Ada Admin",
                password=password,
                role=Role.ADMIN,
                now=utcnow(),
            )
        web = _web_context(st)
        server = ServerThread(create_app(web), port=port, name="peoplesync-web")
        with InProcessConsumer(web.jobs.huey), server:
            out.rule("[bold]peoplesync is running")
            out.print(f"Open      {server.url}", markup=False)
            out.print(f"Sign in   {DEMO_ADMIN} / {password}", markup=False)
            out.print(f"Sandbox   {hris.url} (a synthetic Justworks company)", markup=False)
            out.print("Then: Settings > Data Integrations > Justworks > Continue setup.")
            out.print("Ctrl-C stops everything.", markup=False)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                out.print("\nStopped.")
