"""What a run page tells the admin to do next, by how the run ended."""

from __future__ import annotations

from datetime import UTC, datetime

from peoplesync.core.guard import REASON_HINTS, GuardReason
from peoplesync.store.models import SyncRun
from peoplesync.web.views import run_view

NOW = datetime(2026, 11, 25, 2, tzinfo=UTC)


def _run(state: str, blocked_reason: str | None = None) -> SyncRun:
    return SyncRun(
        id=7,
        account_id=1,
        trigger="automatic",
        source_kind="merge",
        state=state,
        blocked_reason=blocked_reason,
        created_at=NOW,
    )


def test_a_run_the_safeguards_blocked_says_why_and_how_to_push_it_through() -> None:
    view = run_view(_run("blocked", "privacy"))
    assert view["colour"] == "red"
    assert view["next_step"].startswith("Sync blocked to protect employee privacy.")
    assert REASON_HINTS[GuardReason.PRIVACY] in view["next_step"]
    assert "manual sync" in run_view(_run("blocked", "mass_leaver"))["next_step"]


def test_other_endings_have_their_own_next_step() -> None:
    assert "manual sync" in run_view(_run("failed"))["next_step"]
    assert "Run the sync again" in run_view(_run("expired"))["next_step"]
    assert run_view(_run("succeeded"))["next_step"] is None
    assert run_view(_run("succeeded"))["colour"] == "green"
