"""HRIS commands: connect any Merge HRIS, disconnect, list connections, sync from the HRIS."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from peoplesync.accounts import service as accounts
from peoplesync.cli.context import handles_errors, out, print_json, state, utcnow
from peoplesync.connections import linking
from peoplesync.connections import service as connections
from peoplesync.crypto import secret_box
from peoplesync.errors import InputError
from peoplesync.runs.disconnect import disconnect
from peoplesync.runs.hris import refresh_status
from peoplesync.runs.outcome import SyncResult
from peoplesync.runs.sync import Syncs
from peoplesync.sources.merge.client import MERGE_REGIONS, MergeClient
from peoplesync.sources.merge.factory import merge_client

connect_app = typer.Typer(help="Connect an HRIS to an account.", no_args_is_help=True)

AccountOpt = Annotated[
    str | None, typer.Option("--account", "-a", help="Account name (optional when only one).")
]


def _base_url(region: str | None, base_url: str | None, default: str) -> str:
    if base_url:
        return base_url
    if region:
        try:
            return MERGE_REGIONS[region]
        except KeyError:
            raise InputError(
                f"'{region}' is not a Merge region.", hint="Use us, eu or apac."
            ) from None
    return default


@handles_errors
def connect_provider(
    ctx: typer.Context,
    account: AccountOpt = None,
    account_token: Annotated[
        str | None,
        typer.Option(
            help="A linked account's token (for operators and scripts).",
            envvar="PEOPLESYNC_MERGE_ACCOUNT_TOKEN",
        ),
    ] = None,
    public_token: Annotated[
        str | None, typer.Option(help="The public token Merge Link returned, to exchange.")
    ] = None,
    region: Annotated[str | None, typer.Option(help="Merge region: us, eu or apac.")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="Any Merge API base URL ending in /api (e.g. a sandbox).")
    ] = None,
) -> None:
    """Connect this HRIS through Merge, with an account token or a Link public token (the
    integration Merge linked is recorded, with the linked account's id)."""
    st = state(ctx)
    settings = st.settings
    if settings.merge_api_key is None:
        raise InputError("No Merge API key is configured.", hint="Set PEOPLESYNC_MERGE_API_KEY.")
    api_key = settings.merge_api_key.get_secret_value()
    url = _base_url(region, base_url, settings.merge_base_url)

    def client_for(token: str | None) -> MergeClient:
        return merge_client(settings, base_url=url, account_token=token)

    if public_token:
        linked = linking.from_public_token(client_for, public_token)
    elif account_token:
        linked = linking.from_account_token(client_for, account_token)
    else:
        raise InputError(
            "Say how to connect.",
            hint="Pass --account-token (from Merge) or --public-token (from Merge Link).",
        )
    with st.uow() as session:
        acct = accounts.resolve_account(session, account)
        linking.save(
            session,
            acct,
            linked,
            box=secret_box(settings),
            base_url=url,
            api_key=api_key,
            now=utcnow(),
        )
        account_id = acct.id
    connection = refresh_status(st.factory(), account_id, st.hris())
    name = connections.provider_name(connection)
    out.print(f"{name} connected: {connections.STATUS_LABELS[connection.status]}.")


for _slug, _name in connections.PROVIDERS.items():
    connect_app.command(_slug, help=f"Connect {_name} through Merge (an account or public token).")(
        connect_provider
    )


@handles_errors
def disconnect_hris(ctx: typer.Context, account: AccountOpt = None) -> None:
    """Disconnect the HRIS: Merge deletes the linked account, its credentials are removed here;
    the directory and its history are kept."""
    st = state(ctx)
    with st.uow() as session:
        account_id = accounts.resolve_account(session, account).id
    name = disconnect(st.factory(), account_id, st.hris(), actor="cli")
    out.print(f"{name} disconnected. The directory and its history are kept.")


@handles_errors
def list_connections(
    ctx: typer.Context,
    account: AccountOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Connections of an account, with status and latest sync."""
    st = state(ctx)
    with st.uow() as session:
        acct = accounts.resolve_account(session, account)
        found = connections.list_connections(session, acct.id)
        rows = [
            {
                "provider": c.provider,
                "provider_name": connections.provider_name(c),
                "linked_account_id": c.linked_account_id,
                "status": c.status,
                "status_label": connections.STATUS_LABELS[c.status],
                "detail": c.status_detail,
                "base_url": c.base_url,
                "initial_sync": c.initial_sync,
                "last_success_at": c.last_success_at.isoformat() if c.last_success_at else None,
            }
            for c in found
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print("No HRIS connected. Connect one with `peoplesync connect justworks`.")
    for row in rows:
        latest = row["last_success_at"] or "never"
        out.print(
            f"{row['provider_name']}: {row['status_label']} "
            f"(latest sync: {latest}) — {escape(str(row['base_url']))}"
        )
        if row["detail"]:
            out.print(f"  {escape(str(row['detail']))}")


def plan_from_hris(
    syncs: Syncs,
    account_id: int,
    *,
    actor: str,
    full: bool,
    quiet: bool,
    replace_waiting: bool = False,
) -> SyncResult:
    """A manual sync from the HRIS, with a progress line while the employees arrive."""
    if quiet:
        return syncs.from_hris(
            account_id, trigger="manual", actor=actor, full=full, replace_waiting=replace_waiting
        )
    with Progress(
        SpinnerColumn(),
        TextColumn("Fetching employees from the HRIS (through Merge): {task.completed} so far"),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    ) as progress:
        task = progress.add_task("fetch", total=None)
        return syncs.from_hris(
            account_id,
            trigger="manual",
            actor=actor,
            full=full,
            replace_waiting=replace_waiting,
            on_progress=lambda n: progress.update(task, completed=n),
        )


@handles_errors
def sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    seed: Annotated[int, typer.Option(help="The synthetic company's seed.")] = 1,
    size: Annotated[int, typer.Option(help="Employees (10 to 1,000,000).")] = 200,
    initial_sync_seconds: Annotated[
        float, typer.Option(help="How long Merge's first sync of a new link takes.")
    ] = 3.0,
) -> None:
    """Serve the sandbox HRIS: Merge's HRIS API for a synthetic Justworks company.

    Point peoplesync at it with `peoplesync connect justworks --base-url URL/api
    --account-token TOKEN` (the API key is printed at start). A company's TOKEN comes from
    `POST /control/companies`, or from a Merge Link flow (`peoplesync demo` prints it). The
    control API (JSON, no auth, on the same port) makes HR changes and plays Merge's states:

    \b
    POST  /control/companies                {"seed": 1, "size": 200} -> {"account_token", ...}
    GET   /control/accounts/TOKEN           the company's summary
    PATCH /control/accounts/TOKEN           {"status": "RELINK_NEEDED", "rate_limit_per_minute"}
    POST  .../TOKEN/employees               hire {"first_name", "last_name", "work_email",
                                            "manager_id", "start_date", "job_title"}
    PATCH .../TOKEN/employees/ID            any editable Merge field, by its Merge name
    POST  .../TOKEN/employees/ID/terminate  {"termination_date": "2026-11-30"}
    POST  .../TOKEN/employees/ID/rehire     {"start_date": "2026-12-01"}
    POST  .../TOKEN/employees/ID/rename     {"first_name", "last_name"}
    POST  .../TOKEN/employees/ID/email      {"work_email"}
    POST  .../TOKEN/employees/ID/manager    {"manager_id": ID or null}
    POST  .../TOKEN/employees/ID/delete     (remote_was_deleted)
    POST  .../TOKEN/churn                   {"count": 1000, "seed": 1}: many changes at once
    POST  .../TOKEN/sync-status             {"status": "FAILED" | "SYNCING" | "DONE" | ...}
    POST  .../TOKEN/faults                  {"kind": "rate_limit" | "error" | "slow" | ...}
    POST  .../TOKEN/webhook                 {"url", "key"}: Merge's signed webhooks

    \b
    (`...` is /control/accounts.) For example, a hire the next sync will find:
    curl -X POST http://127.0.0.1:8765/control/accounts/TOKEN/employees \\
         -H 'Content-Type: application/json' -d '{"first_name": "Zanele", "last_name": "Dlamini"}'
    Every endpoint and field: the docstring of peoplesync.sandbox.control_routes.
    """
    from peoplesync.sandbox import DEFAULT_API_KEY, run  # noqa: PLC0415 - loads Faker: only here

    if not 10 <= size <= 1_000_000:
        raise InputError("The sandbox company has 10 to 1,000,000 employees.")
    out.print(
        f"Sandbox HRIS on http://{host}:{port} — Merge base URL http://{host}:{port}/api, "
        f"API key {DEFAULT_API_KEY!r} (a sandbox key, not a secret); its control API at "
        f"http://{host}:{port}/control (`peoplesync sandbox --help`). Ctrl-C to stop.",
        markup=False,
    )
    run(host, port, seed=seed, size=size, initial_sync_seconds=initial_sync_seconds)
