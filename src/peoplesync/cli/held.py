"""`peoplesync held`: the "Held for review" list (issue 17) — list, release, discard."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from peoplesync.accounts import service as accounts
from peoplesync.cli.commands import AccountOpt, JsonOpt
from peoplesync.cli.context import EXIT_FAILED, handles_errors, out, print_json, state, utcnow
from peoplesync.cli.jobs import ByOpt, _actor
from peoplesync.errors import InputError
from peoplesync.runs.held import discard, held_view, release_held
from peoplesync.runs.hold import open_rows, rows_of_run

held_app = typer.Typer(
    help="Changes an automated sync held back for review: list, release, discard.",
    no_args_is_help=True,
)
IdsArg = Annotated[list[int] | None, typer.Argument(help="Held change ids (see `held list`).")]
AllOpt = Annotated[bool, typer.Option("--all", help="Every held change.")]


def _ids(ids: list[int] | None, every: bool) -> list[int] | None:
    if every == bool(ids):
        raise InputError(
            "Name the held changes by id, or use --all (not both).",
            hint="`peoplesync held list` shows their ids.",
        )
    return None if every else ids


@held_app.command("list")
@handles_errors
def list_held(
    ctx: typer.Context,
    account: AccountOpt = None,
    run: Annotated[int | None, typer.Option(help="What one run held (any status).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """What waits for review (or what one run held back, and what became of it)."""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        rows = rows_of_run(session, acct.id, run) if run else open_rows(session, acct.id)
        found = [held_view(r) for r in rows]
    if as_json:
        print_json({"held": found})
        return
    if not found:
        out.print("Nothing is held for review.")
        return
    table = Table(title="Held for review", title_justify="left")
    for column in ("id", "sync", "person", "change", "why", "status"):
        table.add_column(column)
    for h in found:
        table.add_row(
            str(h["id"]),
            str(h["run_id"]),
            escape(h["label"]),
            f"{h['kind']}: {', '.join(h['fields'])}",
            escape(h["why"]),
            h["status_label"],
        )
    out.print(table)


@held_app.command("release")
@handles_errors
def release(
    ctx: typer.Context,
    ids: IdsArg = None,
    every: AllOpt = False,
    account: AccountOpt = None,
    by: ByOpt = None,
) -> None:
    """Import held changes, each checked against the directory as it is now."""
    st = state(ctx)
    with st.uow() as session:
        account_id = accounts.resolve_account(session, account).id
    done = release_held(st.syncs(), account_id, _ids(ids, every), actor=_actor(by))
    out.print(done.summary(), markup=False)
    if done.refused:
        raise typer.Exit(EXIT_FAILED)


@held_app.command("discard")
@handles_errors
def discard_held(
    ctx: typer.Context,
    ids: IdsArg = None,
    every: AllOpt = False,
    account: AccountOpt = None,
    by: ByOpt = None,
) -> None:
    """Discard held changes: the directory keeps what it has; later syncs keep them out."""
    with state(ctx).uow() as session:
        acct = accounts.resolve_account(session, account)
        gone = discard(session, acct, _ids(ids, every), actor=_actor(by), now=utcnow())
    out.print(f"{len(gone)} held change(s) discarded: the directory keeps what it has.")
