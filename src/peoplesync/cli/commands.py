"""The `peoplesync` command.

Exit codes: 0 applied (or nothing to do), 1 blocked by validation errors, 3 failed (source, file,
database or a conflict), 4 declined at the confirmation, 5 not found; 2 is a usage error.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from peoplesync.accounts import service as accounts
from peoplesync.accounts import settings
from peoplesync.cli import render
from peoplesync.cli.context import (
    EXIT_BLOCKED,
    EXIT_DECLINED,
    EXIT_FAILED,
    State,
    handles_errors,
    out,
    print_json,
    state,
    utcnow,
)
from peoplesync.cli.hris import plan_from_hris
from peoplesync.config import load_settings
from peoplesync.core.issues import Issue
from peoplesync.core.states import RunState
from peoplesync.errors import InputError
from peoplesync.logs import configure_logging
from peoplesync.people.rows import core_values
from peoplesync.people.service import list_people
from peoplesync.runs import service as runs
from peoplesync.runs.files import import_mode
from peoplesync.runs.outcome import SyncResult
from peoplesync.runs.review import review_page
from peoplesync.runs.sync import Syncs
from peoplesync.sources.csv_source import read_file_bytes
from peoplesync.store.db import migrate, wait_for_upkeep
from peoplesync.store.models import Person as PersonRow
from peoplesync.store.models import SyncRun
from peoplesync.web.views import next_step

app = typer.Typer(
    help=__doc__,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
accounts_app = typer.Typer(help="Create and list accounts.", no_args_is_help=True)
history_app = typer.Typer(help="The import history.", invoke_without_command=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(history_app, name="history")

AccountOpt = Annotated[
    str | None, typer.Option("--account", "-a", help="Account name (optional when only one).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
REVIEW_ROWS = 20


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="Database URL (sqlite:///file.db or postgresql://...); "
            "else PEOPLESYNC_DATABASE_URL.",
        ),
    ] = None,
) -> None:
    settings = load_settings(**({"database_url": database} if database else {}))
    configure_logging("INFO" if verbose else "WARNING", json=settings.log_json)
    ctx.obj = State(settings)


@app.command()
@handles_errors
def init(ctx: typer.Context) -> None:
    """Create the database, or migrate it to this version."""
    migrate(state(ctx).engine)
    out.print("Database ready.")


@accounts_app.command("create")
@handles_errors
def accounts_create(ctx: typer.Context, name: str) -> None:
    """Create an account."""
    with state(ctx).uow() as session:
        account = accounts.create_account(session, name, now=utcnow())
        session.flush()
        out.print(f"Created account {account.name!r} (id {account.id}).", markup=False)


@accounts_app.command("list")
@handles_errors
def accounts_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List accounts."""
    with state(ctx).uow() as session:
        rows = [
            {"id": a.id, "name": a.name, "leaver_policy": a.leaver_policy}
            for a in accounts.list_accounts(session)
        ]
    if as_json:
        print_json(rows)
    for row in [] if as_json else rows:
        out.print(f"{row['id']}  {row['name']}  (leavers: {row['leaver_policy']})", markup=False)


@accounts_app.command("set")
@handles_errors
def accounts_set(
    ctx: typer.Context,
    account: AccountOpt = None,
    leaver_policy: Annotated[
        str | None, typer.Option(help="former (end date = import date) or deactivated.")
    ] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA time zone, e.g. Europe/Paris.")] = None,
    leaver_share: Annotated[
        float | None,
        typer.Option(
            help="Mass-leaver safeguard: flag more leavers than this % of active people "
            "(and at least --leaver-count)."
        ),
    ] = None,
    leaver_count: Annotated[
        int | None,
        typer.Option(
            help="Mass-leaver safeguard: flag only when at least this many leave (0: any number)."
        ),
    ] = None,
    hold_per_person: Annotated[
        bool | None,
        typer.Option(
            "--hold-per-person/--hold-whole-sync",
            help="An automated sync's safeguard finding holds only the flagged people (the "
            "default) or blocks the whole sync.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an account's settings (leavers, time zone, the safeguards)."""
    unset = settings.UNSET
    count: int | settings.Unset = unset if leaver_count is None else leaver_count
    change = settings.SettingsChange(
        leaver_policy=unset if leaver_policy is None else leaver_policy,
        timezone=unset if timezone is None else timezone,
        leaver_threshold_share=unset if leaver_share is None else leaver_share / 100,
        leaver_threshold_count=count,
        hold_per_person=unset if hold_per_person is None else hold_per_person,
    )
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        found = settings.change_settings(session, acct, change)
        name = acct.name
    if as_json:
        print_json({"account": name, **found.to_dict()})
        return
    policy = found.policy
    out.print(
        f"{name}: leavers become {policy.leaver_policy}; time zone {found.timezone}; "
        f"the safeguard flags more leavers than {policy.leaver_share:.0%} of active people "
        f"and at least {policy.leaver_count}; "
        + (
            "a finding holds only the flagged people."
            if found.hold_per_person
            else "a finding blocks the whole sync."
        ),
        markup=False,
    )


@app.command()
@handles_errors
def sync(
    ctx: typer.Context,
    csv: Annotated[
        Path | None, typer.Option("--csv", "--file", help="Employee file (CSV or XLSX).")
    ] = None,
    account: AccountOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Import without asking.")] = False,
    confirm_flagged: Annotated[
        bool,
        typer.Option(
            "--confirm-flagged",
            help="Push through changes the safeguards flagged (identity changes, mass leavers).",
        ),
    ] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="HRIS: refetch the whole company. File: a full import (everyone not in the "
            "file leaves; the default without an HRIS).",
        ),
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace a sync waiting for review (it is cancelled; nothing of it is imported).",
        ),
    ] = False,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="File: create and update the people in it, nobody leaves (the default "
            "with an HRIS connected).",
        ),
    ] = False,
    replace_hris: Annotated[
        bool,
        typer.Option(
            "--replace-hris",
            help="File, with --full beside a connected HRIS: confirm that the file replaces "
            "the HRIS as the source of truth for everyone not in it.",
        ),
    ] = False,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="XLSX: the sheet to read, by name.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate, review and import: from a file, or (without --csv) the connected HRIS."""
    st = state(ctx)
    syncs = st.syncs()
    if partial and full:
        raise InputError("Choose --partial or --full, not both.", field="partial")
    with st.uow() as session:
        account_id = accounts.resolve_account(session, account).id
        if csv is not None:
            mode = True if partial else (False if full else None)
            is_partial = import_mode(session, account_id, partial=mode, replace_hris=replace_hris)
    if csv is None:
        result = plan_from_hris(
            syncs, account_id, actor=_actor(), full=full, quiet=as_json, replace_waiting=replace
        )
    else:
        data = read_file_bytes(csv)
        if not as_json:
            out.print(_MODE_LINE[is_partial], markup=False)
        result = syncs.from_file(
            account_id, data, name=csv.name, actor=_actor(), partial=is_partial, sheet=sheet
        )
    _finish_sync(
        st, syncs, account_id, result, yes=yes, confirm_flagged=confirm_flagged, as_json=as_json
    )


def _finish_sync(
    st: State,
    syncs: Syncs,
    account_id: int,
    result: SyncResult,
    *,
    yes: bool,
    as_json: bool,
    confirm_flagged: bool = False,
) -> None:
    if not as_json:
        _show_outcome(st, account_id, result)
    if result.state is not RunState.AWAITING_REVIEW:
        _report(st, account_id, result.run_id, as_json)
        raise typer.Exit(_exit_for(result.state))
    flagged = bool(result.guard.findings)
    if (
        flagged
        and not confirm_flagged
        and (yes or not _confirm("Push the flagged changes through?"))
    ):
        syncs.cancel(account_id, result.run_id, reason=FLAGGED)
        _report(st, account_id, result.run_id, as_json)
        raise typer.Exit(EXIT_BLOCKED)
    confirm_flagged = confirm_flagged or flagged
    if not yes and not _confirm():
        syncs.cancel(account_id, result.run_id, reason="Not imported: the import was declined.")
        _report(st, account_id, result.run_id, as_json)
        raise typer.Exit(EXIT_DECLINED)
    done = syncs.apply(account_id, result.run_id, actor=_actor(), confirm=confirm_flagged)
    _report(st, account_id, result.run_id, as_json)
    if done.state is not RunState.SUCCEEDED:
        raise typer.Exit(_exit_for(done.state))


@app.command()
@handles_errors
def undo(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Argument(help="The imported sync to undo (see `history`).")],
    account: AccountOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Import without asking.")] = False,
    confirm_flagged: Annotated[
        bool,
        typer.Option("--confirm-flagged", help="Push through changes the safeguards flagged."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Undo an import: review its reverse (every value it changed put back, the people it
    created removed), then import it as a sync of its own. Refused, naming the people, when
    later imports changed them."""
    st = state(ctx)
    syncs = st.syncs()
    with st.uow() as session:
        account_id = accounts.resolve_account(session, account).id
    result = syncs.undo(account_id, run_id, actor=_actor())
    _finish_sync(
        st, syncs, account_id, result, yes=yes, confirm_flagged=confirm_flagged, as_json=as_json
    )


def _exit_for(run_state: RunState) -> int:
    if run_state is RunState.SUCCEEDED:
        return 0
    return EXIT_BLOCKED if run_state is RunState.BLOCKED else EXIT_FAILED


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _confirm(question: str = "Import these changes?") -> bool:
    """Ask; without a terminal, the answer is the next line of standard input (a script's "y"),
    and anything else, the end of input included, is a no."""
    if sys.stdin.isatty():
        return typer.confirm(question, default=False)
    answer = sys.stdin.readline().strip().casefold()
    out.print(f"{question} [y/N]: {answer}", markup=False)
    return answer in ("y", "yes")


def _show_outcome(st: State, account_id: int, outcome: SyncResult) -> None:
    if outcome.error:
        return
    render.issues(outcome.report.issues)
    render.findings(outcome.guard.findings)
    if outcome.plan is None:
        out.print("[red]Import blocked:[/] fix the errors above, then sync again.")
        return
    with st.uow() as session:
        for kind in render.KIND_TITLES:
            page = review_page(session, account_id, outcome.run_id, kind=kind, limit=REVIEW_ROWS)
            render.review_section(kind, page)
    out.print(f"[bold]Review:[/] {render.counts_line(outcome.plan.counts())}")


def _report(st: State, account_id: int, run_id: int, as_json: bool) -> None:
    with st.uow() as session:
        run = runs.get_run(session, account_id, run_id)
        data = _run_dict(run)
    if as_json:
        print_json(data)
        return
    colour = render.STATE_COLOURS.get(run.state, "cyan")
    out.print(f"Run {run_id}: [{colour}]{run.state.replace('_', ' ')}[/]")
    if run.error:
        out.print(f"[red]{escape(run.error)}[/]")


_MODE_LINE = {
    True: "Partial import: the people in the file are created or updated; nobody leaves.",
    False: "Full import: everyone not in the file leaves.",
}

FLAGGED = (
    "Not imported: the safeguards flagged changes. Check them, then sync again with "
    "--confirm-flagged to push them through."
)


def _run_dict(run: SyncRun) -> dict[str, object]:
    """A run as scripts read it: its state and why, what the safeguards found, what to do."""
    return {
        "run_id": run.id,
        "state": run.state,
        "trigger": run.trigger,
        "source": run.source_name or run.source_kind,
        "partial": run.partial,
        "undoes_run_id": run.undoes_run_id,
        "started_by": run.started_by,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "blocked_reason": run.blocked_reason,
        "error": run.error,
        "counts": run.counts,
        "issues": run.issues,
        "findings": run.findings,
        "confirmations": run.confirmations,
        "next_step": next_step(run),
        "timings": run.timings,
    }


@history_app.callback()
@handles_errors
def history(
    ctx: typer.Context,
    account: AccountOpt = None,
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option(help="How many runs to list.")] = 50,
) -> None:
    """List past syncs, newest first."""
    if ctx.invoked_subcommand:
        return
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        found = runs.list_runs(session, acct.id, limit=limit)
        if as_json:
            print_json([_run_dict(r) | {"issues": len(r.issues)} for r in found])
        else:
            render.history(found)


@history_app.command("show")
@handles_errors
def history_show(
    ctx: typer.Context, run_id: int, account: AccountOpt = None, as_json: JsonOpt = False
) -> None:
    """One run: its summary and every issue."""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        run = runs.get_run(session, acct.id, run_id)
        data = _run_dict(run)
    if as_json:
        print_json(data)
        return
    render.history([run])
    if run.error:
        out.print(f"[red]{escape(run.error)}[/]")
    render.issues([Issue.from_dict(i) for i in run.issues], limit=10_000)
    if run.state in ("failed", "blocked", "expired"):
        out.print("What to do next: fix what is listed above, then run the sync again.")


@app.command()
@handles_errors
def users(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Argument(help="Name, email or employee ID.")] = None,
    account: AccountOpt = None,
    status: Annotated[str | None, typer.Option(help="active, former or deactivated.")] = None,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List and search the directory."""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        page = list_people(
            session, acct.id, search=search, status=status, limit=limit, offset=offset
        )
        if as_json:
            print_json({"total": page.total, "people": [_person_dict(p) for p in page.people]})
        else:
            render.people(page.people, page.total)


def _person_dict(p: PersonRow) -> dict[str, object]:
    return {
        "id": p.id,
        "status": p.status,
        **core_values(p),
        "source_kind": p.source_kind,
        "manager_id": p.manager_id,
    }


UPKEEP_WAIT_SECONDS = 300  # at most, for what an import left to run after its commit


def main() -> None:
    try:
        app()
    finally:  # a command's import may have left its statistics to refresh after the commit
        wait_for_upkeep(UPKEEP_WAIT_SECONDS)
