"""Rich views of issues, reviews, history and people. User data is always escaped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.markup import escape
from rich.table import Table

from peoplesync.cli.context import out
from peoplesync.core.changes import FieldChange
from peoplesync.core.fields import FIELD_LABELS
from peoplesync.core.guard import Finding
from peoplesync.core.issues import Issue, Severity
from peoplesync.runs.review import ReviewPage
from peoplesync.store.models import Person, SyncRun

KIND_TITLES = {
    "create": "Creates",
    "update": "Updates",
    "rehire": "Rehires",
    "leave": "Leavers",
    "remove": "Removals",  # an undo's: people the undone import created
}
STATE_COLOURS = {
    "succeeded": "green",
    "failed": "red",
    "blocked": "red",
    "cancelled": "dim",
    "expired": "dim",
}


def issues(found: Sequence[Issue], *, limit: int = 50) -> None:
    if not found:
        out.print("[green]Validation passed:[/] no errors, no warnings.")
        return
    errors = sum(1 for i in found if i.severity is Severity.ERROR)
    out.print(f"[bold]Validation:[/] {errors} error(s), {len(found) - errors} warning(s)")
    for issue in found[:limit]:
        colour = "red" if issue.severity is Severity.ERROR else "yellow"
        out.print(f"  [{colour}]{issue.severity.value.upper()}[/] {escape(issue.message)}")
        out.print(f"      [dim]{escape(issue.hint)}[/]")
    if len(found) > limit:
        out.print(f"  ... and {len(found) - limit} more (see `peoplesync history show RUN`)")


def findings(found: Sequence[Finding]) -> None:
    """What the safeguards flagged (privacy, mass leavers, a stale source)."""
    if not found:
        return
    out.print(f"[bold yellow]Flagged by the safeguards ({len(found)}):[/]")
    for finding in found:
        out.print(
            f"  [yellow]{finding.reason.value.replace('_', ' ')}[/] {escape(finding.message)}"
        )


def counts_line(counts: dict[str, Any]) -> str:
    parts = [
        f"{counts.get(k, 0)} {title.lower()}"
        for k, title in KIND_TITLES.items()
        if k != "remove" or counts.get(k)
    ]
    return ", ".join(parts) + f", {counts.get('unchanged', 0)} unchanged"


def field_label(change: FieldChange) -> str:
    return change.field if change.demographic else FIELD_LABELS.get(change.field, change.field)


def change_text(change: FieldChange) -> str:
    before = "—" if change.before is None else change.before
    after = "—" if change.after is None else change.after
    return f"{field_label(change)}: {before} → {after}"


def review_section(kind: str, page: ReviewPage) -> None:
    if not page.total:
        return
    table = Table(title=f"{KIND_TITLES[kind]} ({page.total})", title_justify="left")
    table.add_column("Person", overflow="fold")
    table.add_column("Changes", overflow="fold")
    for item in page.items:
        shown = [c for c in item.changes if c.field != "status" or kind != "create"]
        table.add_row(escape(item.label), escape("\n".join(change_text(c) for c in shown)))
    out.print(table)
    if page.total > len(page.items):
        out.print(f"  ... and {page.total - len(page.items)} more {KIND_TITLES[kind].lower()}")


def history(runs: Sequence[SyncRun]) -> None:
    table = Table(title="Import history", title_justify="left")
    for column in ("Run", "When (UTC)", "Trigger", "By", "State", "Changes", "Issues"):
        table.add_column(column)
    for run in runs:
        colour = STATE_COLOURS.get(run.state, "cyan")
        if run.state == "succeeded" and run.counts.get("warnings"):
            colour = "yellow"
        table.add_row(
            str(run.id),
            run.created_at.strftime("%Y-%m-%d %H:%M"),
            run.trigger,
            escape(run.started_by or "—"),
            f"[{colour}]{run.state.replace('_', ' ')}[/]",
            counts_line(run.counts) if "create" in run.counts else "—",
            f"{run.counts.get('errors', 0)} errors, {run.counts.get('warnings', 0)} warnings",
        )
    out.print(table)


def people(rows: Sequence[Person], total: int) -> None:
    table = Table(title=f"Users ({total})", title_justify="left")
    for column in ("Name", "Email", "Employee Id", "Status", "Start", "End"):
        table.add_column(column, overflow="fold")
    for p in rows:
        table.add_row(
            escape(p.name or "—"),
            escape(p.email or "—"),
            escape(p.employee_id or "—"),
            p.status,
            p.start_date.isoformat() if p.start_date else "—",
            p.end_date.isoformat() if p.end_date else "—",
        )
    out.print(table)
