"""Read models shared by the pages and the API: what a connection, a run or a person shows.

Plain dicts of JSON-ready values, so a page renders exactly what the API answers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from peoplesync.connections import service as connections
from peoplesync.core.guard import REASON_HINTS, REASON_LABELS, GuardReason
from peoplesync.core.states import ACTIVE_STATES, FINAL_STATES, RunState
from peoplesync.errors import NotFoundError
from peoplesync.people import service as people
from peoplesync.people.rows import core_values
from peoplesync.runs.held import held_view
from peoplesync.runs.hold import open_rows
from peoplesync.runs.service import active_run, list_runs
from peoplesync.store.models import Connection, SyncRun
from peoplesync.store.models import Person as PersonRow
from peoplesync.web.templating import run_colour

STATUS_REFRESH_EVERY = timedelta(seconds=3)  # how often a page poll may ask Merge's sync-status

# What each run state tells the admin to do next.
NEXT_STEPS: dict[str, str] = {
    "failed": "Fix what the error names, then run a manual sync (Settings > Data Integrations > "
    "Sync).",
    "blocked": "Check the flagged people below. If the changes are intended, run a manual sync and "
    "confirm them on the review page.",
    "expired": "The directory changed after this plan was made. Run the sync again.",
    "cancelled": "Nothing was imported. Run a sync when you are ready.",
    "awaiting_review": "Review the changes, then import them (or cancel).",
}

TRIGGER_LABELS = {
    "manual": "Manual",
    "automatic": "Automatic",
    "webhook": "Automatic (Merge webhook)",
    "csv": "File upload",
    "cli": "Command line",
    "undo": "Undo",
    "release": "Released from hold",
}


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def connection_view(session: Session, account_id: int) -> dict[str, Any]:
    """The account's HRIS connection as the pages and the API show it."""
    conn = connections.find_connection(session, account_id)
    active = active_run(session, account_id)
    name = connections.provider_name(conn)
    base: dict[str, Any] = {
        "provider": conn.provider if conn is not None else connections.DEFAULT_PROVIDER,
        "provider_name": name,
        "connected": conn is not None and conn.status != connections.ConnectionStatus.DISCONNECTED,
        "active_run": run_brief(active) if active is not None else None,
        "blocked_run": blocked_brief(session, account_id) if active is None else None,
        "held": held_list(session, account_id),
        "latest_run": latest_brief(session, account_id),
    }
    if conn is None:
        return {**base, "status": "not_connected", "status_label": "Not connected"}
    initial = dict(conn.initial_sync or {})
    label = connections.STATUS_LABELS.get(conn.status, conn.status)
    if conn.status == connections.ConnectionStatus.RECONNECT_NEEDED:
        label = f"Reconnect {name}"
    return {
        **base,
        "status": conn.status,
        "status_label": label,
        "status_detail": conn.status_detail,
        "integration_slug": conn.integration_slug or conn.provider,
        "linked_account_id": conn.linked_account_id,
        "initial_sync": initial,
        "last_success_at": iso(conn.last_success_at),
        "supported_fields": list(conn.supported_fields or []) or None,
        "can_sync": conn.status
        in {connections.ConnectionStatus.CONNECTED, connections.ConnectionStatus.ERROR}
        and (active is None or active.state == RunState.AWAITING_REVIEW),
        "sync_disabled_reason": _sync_disabled_reason(conn, active, name),
    }


def _sync_disabled_reason(conn: Connection, active: SyncRun | None, name: str) -> str | None:
    if conn.status == connections.ConnectionStatus.INITIAL_SYNC:
        return (
            f"The first sync of your {name} data is still running. It can take a few hours; "
            "you can leave this page, it continues in the background."
        )
    if conn.status == connections.ConnectionStatus.RECONNECT_NEEDED:
        return f"{name} must be reconnected first (Reconnect {name})."
    if conn.status == connections.ConnectionStatus.DISCONNECTED:
        return f"{name} is disconnected: connect it again to sync."
    if active is not None and active.state != RunState.AWAITING_REVIEW:
        return "Syncing data: a sync is running now."
    return None


def run_brief(run: SyncRun) -> dict[str, Any]:
    """A run as a status line shows it: `working` while a worker fetches, plans or imports
    ("Syncing data"); active but not working is a run waiting for the admin's review."""
    state = RunState(run.state)
    return {
        "id": run.id,
        "state": run.state,
        "active": state in ACTIVE_STATES,
        "working": state in ACTIVE_STATES and state is not RunState.AWAITING_REVIEW,
        "progress": dict(run.progress or {}),
    }


RESULT_LABELS = {
    "succeeded": "Imported",
    "failed": "Failed",
    "blocked": "Blocked",
    "cancelled": "Cancelled",
    "expired": "Expired",
}


def latest_brief(session: Session, account_id: int) -> dict[str, Any] | None:
    """The latest finished sync from the HRIS: when it ended and how (the Data Integrations
    list's "latest sync information, including the date and time")."""
    run = session.scalar(
        select(SyncRun)
        .where(
            SyncRun.account_id == account_id,
            SyncRun.source_kind == "merge",
            SyncRun.state.in_([s.value for s in FINAL_STATES]),
        )
        .order_by(SyncRun.id.desc())
        .limit(1)
    )
    if run is None:
        return None
    return {
        "id": run.id,
        "state": run.state,
        "result": RESULT_LABELS.get(run.state, run.state),
        "finished_at": iso(run.finished_at or run.created_at),
    }


def blocked_brief(session: Session, account_id: int) -> dict[str, Any] | None:
    """The account's latest run when the safeguards or validation blocked it (a newer run of
    any kind clears the banner): its id, when, and why in the reason's own words."""
    latest = next(iter(list_runs(session, account_id, limit=1)), None)
    if latest is None or latest.state != RunState.BLOCKED:
        return None
    return {
        "id": latest.id,
        "trigger_label": TRIGGER_LABELS.get(latest.trigger, latest.trigger),
        "created_at": iso(latest.created_at),
        "reason": next_step(latest),
    }


def held_list(session: Session, account_id: int) -> list[dict[str, Any]]:
    """The "Held for review" list: every change an automated sync held back, still waiting."""
    return [held_view(row) for row in open_rows(session, account_id)]


def next_step(run: SyncRun) -> str | None:
    """What to do now; a run the safeguards blocked says why, in the reason's own words."""
    if run.state == RunState.BLOCKED and run.blocked_reason in set(GuardReason):
        reason = GuardReason(run.blocked_reason)
        return f"{REASON_LABELS[reason]}. {REASON_HINTS[reason]}"
    if run.state == RunState.BLOCKED and run.blocked_reason == "validation":
        return "Fix the errors below in the HRIS (or the file), then sync again."
    return NEXT_STEPS.get(run.state)


def import_label(run: SyncRun) -> str | None:
    """A file run's kind of import, in words (an HRIS sync has one kind: None)."""
    if run.source_kind != "csv" or run.undoes_run_id is not None:
        return None
    if run.partial:
        return "Partial import: the people in the file are created or updated; nobody leaves."
    return "Full import: the file is the whole company; everyone not in it leaves."


UNDONE_KINDS = ("create", "update", "leave", "rehire", "remove")  # what an undo reverses


def run_view(run: SyncRun, *, undone_by: int | None = None) -> dict[str, Any]:
    """A run for pages and the API; `undone_by`: the undo that reversed it, if any."""
    issues = list(run.issues or [])
    changed = sum(int((run.counts or {}).get(k, 0)) for k in UNDONE_KINDS)
    return {
        "id": run.id,
        "trigger": run.trigger,
        "trigger_label": TRIGGER_LABELS.get(run.trigger, run.trigger),
        "source_kind": run.source_kind,
        "source_name": run.source_name,
        "partial": run.partial,
        "import_label": import_label(run),
        "started_by": run.started_by,
        "state": run.state,
        "colour": run_colour(run.state, [i for i in issues if i.get("severity") == "warning"]),
        "active": RunState(run.state) in ACTIVE_STATES,
        "blocked_reason": run.blocked_reason,
        "error": run.error,
        "import_date": iso(run.import_date),
        "counts": dict(run.counts or {}),
        "issues": issues,
        "errors": [i for i in issues if i.get("severity") == "error"],
        "warnings": [i for i in issues if i.get("severity") == "warning"],
        "findings": list(run.findings or []),
        "confirmations": list(run.confirmations or []),
        "progress": dict(run.progress or {}),
        "created_at": iso(run.created_at),
        "finished_at": iso(run.finished_at),
        "next_step": next_step(run),
        "undoes_run_id": run.undoes_run_id,
        "undone_by_run_id": undone_by,
        "can_undo": run.state == RunState.SUCCEEDED and changed > 0 and undone_by is None,
    }


def person_row(person: PersonRow) -> dict[str, Any]:
    """A person in a list."""
    return {
        "id": person.id,
        "status": person.status,
        **core_values(person),
        "source": person.source_kind,
    }


def person_view(session: Session, account_id: int, person: PersonRow) -> dict[str, Any]:
    """A person on their own page: the list's fields, and their details."""
    manager = (
        people.labels(session, account_id, {person.manager_id}).get(person.manager_id)
        if person.manager_id
        else None
    )
    return {
        **person_row(person),
        "source_id": person.source_id,
        "manager_id": person.manager_id,
        "manager": manager,
        "demographics": people.person_demographics(session, person.id),
    }


def own_person(principal_person_id: str | None) -> str:
    if principal_person_id is None:
        raise NotFoundError(
            "Your login is not linked to a person in the directory.",
            hint="Ask an administrator to link it.",
        )
    return principal_person_id
