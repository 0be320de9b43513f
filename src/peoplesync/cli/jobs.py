"""Automation commands: the worker, daily auto-sync, redaction, the outbox, alerts, webhooks,
and pushing a flagged sync through (`apply RUN --confirm`)."""

from __future__ import annotations

import getpass
import logging
from typing import Annotated

import typer
from rich.markup import escape

from peoplesync.accounts import autosync, redaction, settings
from peoplesync.accounts import service as accounts
from peoplesync.cli.context import EXIT_FAILED, handles_errors, out, print_json, state, utcnow
from peoplesync.cli.fleet import fleet
from peoplesync.core.states import RunState
from peoplesync.crypto import secret_box
from peoplesync.jobs.queue import QUEUE_NAME, consumer, make_huey, stop_with_parent
from peoplesync.jobs.tasks import build_jobs
from peoplesync.notify import service as notify
from peoplesync.notify import webhooks
from peoplesync.runs import service as runs

AccountOpt = Annotated[
    str | None, typer.Option("--account", "-a", help="Account name (optional when only one).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who does this (for the history).")]

autosync_app = typer.Typer(help="The daily automatic sync (off by default).", no_args_is_help=True)
alerts_app = typer.Typer(help="Who gets the admins' emails.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Outgoing webhooks (run finished).", no_args_is_help=True)


def _actor(by: str | None) -> str:
    return by or f"cli:{getpass.getuser()}"


@handles_errors
def worker(
    ctx: typer.Context,
    workers: Annotated[
        int, typer.Option(min=1, help="Syncs planning or importing at once (CPU slots).")
    ] = 2,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Tasks at once (default 4 per slot): a sync reading its HRIS, waiting on Merge "
            "or its rate limit, holds a thread but no slot.",
        ),
    ] = None,
    periodic: Annotated[
        bool, typer.Option(help="Also run the every-minute tasks (auto-sync, reaper).")
    ] = True,
    queue: Annotated[str, typer.Option(help="Queue name (installs can share one Redis).")] = (
        QUEUE_NAME
    ),
    parent: Annotated[
        int | None,
        typer.Option(help="Stop when this parent process ends (how `serve` runs its worker)."),
    ] = None,
) -> None:
    """Run a worker: syncs, plans, applies, emails and webhooks from the queue (Ctrl-C stops)."""
    st = state(ctx)
    logging.getLogger().setLevel(logging.INFO)  # Huey's lines too (configure_logging's handler)
    huey = make_huey(st.settings, name=queue)
    jobs = build_jobs(st.settings, st.factory(), huey=huey, cpu_slots=workers)
    threads = max(threads or 4 * workers, workers)
    out.print(
        f"peoplesync worker: {workers} CPU slot(s), {threads} thread(s), queue '{queue}' on "
        f"{st.settings.queue_backend}."
    )
    if parent is not None:
        stop_with_parent(parent)
    consumer(jobs.huey, workers=threads, periodic=periodic).run()


@autosync_app.command("on")
@handles_errors
def autosync_on(
    ctx: typer.Context,
    account: AccountOpt = None,
    at: Annotated[str | None, typer.Option(help="Local time of day, HH:MM (24 h).")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA time zone of that time.")] = None,
    by: ByOpt = None,
) -> None:
    """Switch the daily auto-sync on."""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        found = autosync.set_auto_sync(
            session, acct, enabled=True, now=utcnow(), actor=_actor(by), at=at, timezone=timezone
        )
    out.print(_status_line(found), markup=False)


@autosync_app.command("off")
@handles_errors
def autosync_off(ctx: typer.Context, account: AccountOpt = None, by: ByOpt = None) -> None:
    """Switch the daily auto-sync off."""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        found = autosync.set_auto_sync(session, acct, enabled=False, now=utcnow(), actor=_actor(by))
    out.print(_status_line(found), markup=False)


@autosync_app.command("status")
@handles_errors
def autosync_status(
    ctx: typer.Context, account: AccountOpt = None, as_json: JsonOpt = False
) -> None:
    """Is the daily auto-sync on, and when does it next run?"""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        found = autosync.auto_sync_status(session, acct, utcnow())
    if as_json:
        print_json(found.to_dict())
    else:
        out.print(_status_line(found), markup=False)


def _status_line(found: autosync.AutoSyncStatus) -> str:
    if not found.enabled:
        return f"Auto-sync is off (when on: daily at {found.time} {found.timezone})."
    nxt = found.next_run_at.isoformat(timespec="minutes") if found.next_run_at else "-"
    return f"Auto-sync is on: daily at {found.time} {found.timezone}; next run {nxt}."


@handles_errors
def redact(
    ctx: typer.Context,
    fields: Annotated[
        list[str] | None,
        typer.Argument(help="Fields to redact: birth_date, employee_id, ... or a demographic."),
    ] = None,
    remove: Annotated[
        str | None, typer.Option("--remove", help="Stop redacting this field.")
    ] = None,
    account: AccountOpt = None,
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Redact fields (their stored values are purged), list them, or stop redacting one."""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        if fields:
            result = redaction.redact(session, acct, fields, now=utcnow(), actor=_actor(by))
        elif remove:
            result = redaction.unredact(session, acct, remove, now=utcnow(), actor=_actor(by))
        else:
            result = redaction.RedactionResult(tuple(redaction.redacted_fields(acct)), (), {})
    if as_json:
        print_json({"redacted": result.redacted, "added": result.added, "purged": result.purged})
        return
    for name in result.added:
        out.print(f"Redacted {name}: removed from {result.purged[name]} people.", markup=False)
    shown = ", ".join(result.redacted) or "nothing"
    out.print(f"Redacted fields: {shown}.", markup=False)


@handles_errors
def outbox(
    ctx: typer.Context,
    account: AccountOpt = None,
    show: Annotated[int | None, typer.Option(help="Print this email in full.")] = None,
    limit: Annotated[int, typer.Option(help="How many to list.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The emails peoplesync wrote to the admins, newest first (sent or kept here)."""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        found = (
            [notify.get_email(session, acct.id, show)]
            if show is not None
            else notify.list_outbox(session, acct.id, limit=limit)
        )
        rows = [
            {
                "id": e.id,
                "kind": e.kind,
                "status": e.status,
                "to": e.recipients,
                "subject": e.subject,
                "created_at": e.created_at.isoformat(),
                "body": e.body,
                "error": e.error,
            }
            for e in found
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print("The outbox is empty.")
    for row in rows:
        to = ", ".join(row["to"]) or "(no recipients)"  # type: ignore[arg-type]
        out.print(
            f"#{row['id']} {row['created_at']} [{row['status']}] to {to}: {row['subject']}",
            markup=False,
        )
        if show is not None:
            out.print("", row["body"], markup=False, sep="\n")


@alerts_app.command("add")
@handles_errors
def alerts_add(ctx: typer.Context, email: str, account: AccountOpt = None) -> None:
    """Send the admins' emails to this address too."""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        address = settings.add_alert(session, acct, email, now=utcnow())
    out.print(f"{address} gets {acct.name}'s emails.", markup=False)


@alerts_app.command("remove")
@handles_errors
def alerts_remove(ctx: typer.Context, email: str, account: AccountOpt = None) -> None:
    """Stop sending the admins' emails to this address."""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        gone = settings.remove_alert(session, acct, email)
    out.print(f"{email} removed." if gone else f"{email} was not a recipient.", markup=False)


@alerts_app.command("list")
@handles_errors
def alerts_list(ctx: typer.Context, account: AccountOpt = None, as_json: JsonOpt = False) -> None:
    """Who gets the admins' emails."""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        found = settings.list_alerts(session, acct.id)
    if as_json:
        print_json(found)
        return
    out.print("\n".join(found) or "Nobody yet: add one with `peoplesync alerts add EMAIL`.")


@webhooks_app.command("add")
@handles_errors
def webhooks_add(ctx: typer.Context, url: str, account: AccountOpt = None) -> None:
    """POST "run finished" to this URL, signed; prints the signing secret once."""
    st = state(ctx)
    with st.uow() as session:
        acct = accounts.resolve_account(session, account)
        added = webhooks.add_endpoint(session, acct, url, box=secret_box(st.settings), now=utcnow())
        session.flush()
    out.print(f"Webhook {added.id}: {added.url}", markup=False)
    out.print(f"Signing secret (shown once): {added.secret}", markup=False)


@webhooks_app.command("remove")
@handles_errors
def webhooks_remove(ctx: typer.Context, endpoint_id: int, account: AccountOpt = None) -> None:
    """Stop sending webhooks to an endpoint."""
    with state(ctx).uow() as session:
        webhooks.remove_endpoint(session, accounts.resolve_account(session, account), endpoint_id)
    out.print(f"Webhook {endpoint_id} removed.")


@webhooks_app.command("list")
@handles_errors
def webhooks_list(ctx: typer.Context, account: AccountOpt = None, as_json: JsonOpt = False) -> None:
    """The account's webhooks."""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        rows = [
            {"id": e.id, "url": e.url, "events": e.events, "active": e.active}
            for e in webhooks.list_endpoints(session, acct.id)
        ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['id']}  {row['url']}  {', '.join(row['events'])}", markup=False)  # type: ignore[arg-type]
    if not rows:
        out.print("No webhooks.")


@handles_errors
def findings(
    ctx: typer.Context, run_id: int, account: AccountOpt = None, as_json: JsonOpt = False
) -> None:
    """A run's safeguard findings, and who pushed them through."""
    with state(ctx).uow() as session:
        run = runs.get_run(session, accounts.resolve_account(session, account).id, run_id)
        data = {
            "run_id": run.id,
            "state": run.state,
            "blocked_reason": run.blocked_reason,
            "findings": run.findings,
            "confirmations": run.confirmations,
        }
    if as_json:
        print_json(data)
        return
    out.print(f"Run {run_id}: {run.state.replace('_', ' ')}", markup=False)
    for finding in run.findings:
        out.print(f"  [red]{finding['reason']}[/] {escape(str(finding['message']))}")
    for done in run.confirmations:
        out.print(f"  Pushed through by {done['by']} at {done['at']}.", markup=False)
    if not run.findings:
        out.print("  No findings.")


@handles_errors
def apply(
    ctx: typer.Context,
    run_id: int,
    account: AccountOpt = None,
    confirm: Annotated[
        bool, typer.Option("--confirm", help="Push the safeguard findings through.")
    ] = False,
    by: ByOpt = None,
) -> None:
    """Import a run awaiting review; one with safeguard findings needs --confirm."""
    st = state(ctx)
    with st.uow() as session:
        account_id = accounts.resolve_account(session, account).id
    done = st.syncs().apply(account_id, run_id, actor=_actor(by), confirm=confirm)
    out.print(f"Run {run_id}: {done.state.replace('_', ' ')}.", markup=False)
    if done.error:
        out.print(f"[red]{escape(done.error)}[/]")
    if done.state is not RunState.SUCCEEDED:
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.command()(fleet)
    app.add_typer(autosync_app, name="autosync")
    app.command()(redact)
    app.command()(outbox)
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(webhooks_app, name="webhooks")
    app.command()(findings)
    app.command()(apply)
