"""The emails peoplesync sends, as plain text: a blocked sync, a sync that held changes back, a
failed sync, reconnect needed.

They say what happened, to whom, and what to do. They name people and changed fields, and never
carry a value of a redacted field: the guard findings they quote never hold one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from peoplesync.core.guard import REASON_HINTS, REASON_LABELS, GuardReason
from peoplesync.store.models import Account, HeldChange, SyncRun

MAX_LISTED = 25  # findings or issues listed in one email; the run page has them all
# The app's own navigation words (Settings > Data Integrations > the provider's page).
MANUAL_SYNC = (
    "To sync by hand: open Settings > Data Integrations > {provider} and choose Sync, or choose "
    "Sync on the run's page (or run `peoplesync sync`)."
)


@dataclass(frozen=True, slots=True)
class Message:
    kind: str  # run_blocked, run_failed, reconnect_needed
    subject: str
    body: str


def run_blocked(account: Account, run: SyncRun, *, base_url: str) -> Message:
    reason = run.blocked_reason or "validation"
    if reason == "validation":
        title = "Sync blocked: the HRIS data has errors"
        lines = [str(i.get("message", "")) for i in run.issues if i.get("severity") == "error"]
        hint = "Fix these errors in the HRIS; the next sync will pick the fixes up."
    else:
        title = REASON_LABELS[GuardReason(reason)]
        lines = [str(f.get("message", "")) for f in run.findings]
        hint = " ".join(REASON_HINTS[GuardReason(r)] for r in _reasons(run.findings))
    body = "\n".join(
        [
            "Hello,",
            "",
            f"peoplesync stopped the {_trigger(run)} sync of {account.name} from "
            f"{run.source_name or run.source_kind} ({_when(account, run)}, run {run.id}).",
            "Nothing was imported: your directory is as it was.",
            "",
            f"Why: {title}.",
            *_listed(lines),
            "",
            f"What to do: {hint}",
            _manual_sync(run),
            "",
            _history(base_url, run),
        ]
    )
    return Message("run_blocked", f"{title} ({account.name})", body)


def run_held(
    account: Account, run: SyncRun, held: Sequence[HeldChange], *, base_url: str
) -> Message:
    """An automated sync imported, except the changes the safeguards held (issue 17)."""
    waiting = [r for r in held if r.status == "held"]
    lines = [f"{r.label}: {HELD_WORDS.get(r.reason, r.reason)}. {r.why}" for r in waiting]
    imported = sum(int(run.counts.get(k, 0)) for k in ("create", "update", "leave", "rehire"))
    body = "\n".join(
        [
            "Hello,",
            "",
            f"peoplesync imported the {_trigger(run)} sync of {account.name} from "
            f"{run.source_name or run.source_kind} ({_when(account, run)}, run {run.id}): "
            f"{imported} change(s) imported, {len(waiting)} held back for your review.",
            "",
            "Held, and why:",
            *_listed(lines),
            "",
            "What to do: open Settings > Data Integrations (Held for review) and release or "
            "discard each held change (or all). A released change is checked against the "
            "directory as it is then; a discarded one leaves the directory as it is, and later "
            "syncs keep that change out while the HRIS says the same.",
            "",
            _history(base_url, run),
        ]
    )
    title = f"{len(waiting)} change(s) held for review"
    return Message("run_held", f"{title} ({account.name})", body)


HELD_WORDS = {
    "privacy": REASON_LABELS[GuardReason.PRIVACY].replace("Sync blocked", "Held"),
    "mass_leaver": "Held: one of too many leavers",
    "dependency": "Held with a change it depends on",
}


def run_failed(account: Account, run: SyncRun, *, base_url: str) -> Message:
    body = "\n".join(
        [
            "Hello,",
            "",
            f"The {_trigger(run)} sync of {account.name} from "
            f"{run.source_name or run.source_kind} failed ({_when(account, run)}, run {run.id}).",
            "Nothing was imported: your directory is as it was.",
            "",
            f"Why: {run.error or 'the sync stopped before it finished.'}",
            "",
            "What to do: run a manual sync. If it fails again with the same reason, follow the "
            "advice above or contact your peoplesync operator.",
            _manual_sync(run),
            "",
            _history(base_url, run),
        ]
    )
    return Message("run_failed", f"Sync failed ({account.name})", body)


def reconnect_needed(account: Account, provider: str, detail: str | None) -> Message:
    body = "\n".join(
        [
            "Hello,",
            "",
            f"peoplesync can no longer read {provider} for {account.name}: "
            f"{detail or 'the provider refused the saved credentials.'}",
            "Automatic syncs stop until the connection is redone.",
            "",
            f"What to do: reconnect {provider} from Settings > Data Integrations, then run a "
            "manual sync.",
        ]
    )
    return Message("reconnect_needed", f"Reconnect {provider} ({account.name})", body)


def _manual_sync(run: SyncRun) -> str:
    provider = run.source_name if run.source_kind == "merge" and run.source_name else "Justworks"
    return MANUAL_SYNC.format(provider=provider)


def _history(base_url: str, run: SyncRun) -> str:
    """The run's own page (Import History lists every run)."""
    return f"The run's page: {run_url(base_url, run.id)} (Import History, run {run.id})."


def run_url(base_url: str, run_id: int) -> str:
    return f"{base_url.rstrip('/')}/runs/{run_id}"


def _reasons(findings: Sequence[dict[str, Any]]) -> list[str]:
    seen = {str(f.get("reason")) for f in findings}
    return [r.value for r in GuardReason if r.value in seen]


def _listed(lines: Sequence[str]) -> list[str]:
    shown = [f"  - {line}" for line in lines[:MAX_LISTED]]
    if len(lines) > MAX_LISTED:
        shown.append(f"  ... and {len(lines) - MAX_LISTED} more on the run's page.")
    return shown


def _trigger(run: SyncRun) -> str:
    return {"automatic": "daily automatic", "webhook": "automatic"}.get(run.trigger, run.trigger)


def _when(account: Account, run: SyncRun) -> str:
    local = run.created_at.astimezone(ZoneInfo(account.timezone))
    return f"{local:%Y-%m-%d %H:%M} {account.timezone}"
