"""`peoplesync fleet`: the operator's view of every account on this installation (jobs/fleet.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from peoplesync.cli.context import handles_errors, out, print_json, state, utcnow
from peoplesync.jobs.fleet import FleetView
from peoplesync.jobs.tasks import build_jobs


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


@handles_errors
def fleet(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Runs in flight, the queue, failing accounts and runs waiting on Merge's rate limit."""
    st = state(ctx)
    view = build_jobs(st.settings, st.factory()).fleet()
    if as_json:
        print_json(view.to_dict())
        return
    show(view, utcnow())


def show(view: FleetView, now: datetime) -> None:
    workers = "workers working" if view.workers_alive else "no worker has stamped a run lately"
    out.print(
        f"{'; '.join(view.headline)}; {workers}.",
        markup=False,
    )
    if view.in_flight:
        table = Table(title="Runs in flight", title_justify="left")
        for column in ("run", "account", "state", "trigger", "queued", "heartbeat", "fetched"):
            table.add_column(column)
        table.add_column("rate-limited")
        for run in view.in_flight:
            table.add_row(
                str(run.run_id),
                escape(run.account),
                run.state.replace("_", " "),
                run.trigger,
                _ago(run.queued_at, now),
                _ago(run.heartbeat_at, now),
                "" if run.fetched is None else f"{run.fetched:,}",
                f"{run.rate_limited_seconds:.0f} s" if run.rate_limited_seconds else "",
            )
        out.print(table)
    if view.failing:
        table = Table(title="Failing accounts", title_justify="left")
        for column in ("account", "failed in a row", "last", "why"):
            table.add_column(column)
        for found in view.failing:
            table.add_row(
                escape(found.account),
                str(found.failures),
                _ago(found.last_at, now),
                escape(found.last_error or ""),
            )
        out.print(table)
    else:
        out.print("No account's latest sync failed.")
