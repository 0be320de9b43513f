"""`peoplesync serve` (the web app and, by default, a supervised worker process) and `peoplesync
logins`."""

from __future__ import annotations

import getpass
import os
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated

import typer

from peoplesync.access import service as access
from peoplesync.access.service import Role
from peoplesync.accounts import service as accounts
from peoplesync.cli.context import State, handles_errors, out, print_json, state, utcnow
from peoplesync.errors import InputError
from peoplesync.jobs.queue import InProcessConsumer, WorkerProcess
from peoplesync.jobs.tasks import build_jobs
from peoplesync.serving import serve as serve_app
from peoplesync.web.app import create_app
from peoplesync.web.context import WebContext

logins_app = typer.Typer(help="Who can sign in to the web app.", no_args_is_help=True)


def web_context(st: State) -> WebContext:
    factory = st.factory()
    return WebContext(settings=st.settings, factory=factory, jobs=build_jobs(st.settings, factory))


@handles_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    worker: Annotated[
        bool,
        typer.Option(
            help="Also run a worker, as a child process restarted if it dies (off: run "
            "`peoplesync worker` yourself)."
        ),
    ] = True,
    worker_in_process: Annotated[
        bool,
        typer.Option(help="Run that worker as threads of this process instead (one process)."),
    ] = False,
) -> None:
    """Run the web app and the JSON API (/api/v1); Ctrl-C stops."""
    st = state(ctx)
    web = web_context(st)
    out.print(f"peoplesync at http://{host}:{port} (API docs: /api/v1/docs)")
    with background_worker(web, enabled=worker, in_process=worker_in_process):
        serve_app(create_app(web), host=host, port=port)


def background_worker(
    web: WebContext, *, enabled: bool = True, in_process: bool = False, log: Path | None = None
) -> AbstractContextManager[object]:
    """The web app's worker: a supervised child process (an import's CPU work never slows the
    pages; its log lines to `log`, or to this process's stderr), threads of this process, or
    none."""
    if not enabled:
        return nullcontext()
    if in_process:
        return InProcessConsumer(web.jobs.huey)
    return WorkerProcess(web.settings, log_file=log)


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
