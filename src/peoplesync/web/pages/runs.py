"""The sync wizard (Get Started -> Sync -> validation -> Review -> Import Data -> Go to Users)
and Import History. Work runs on the queue; these pages start it, poll it and show it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from peoplesync.accounts.service import get_account
from peoplesync.errors import InputError
from peoplesync.jobs.service import request_apply, request_csv_plan
from peoplesync.runs import service as runs
from peoplesync.runs.held import held_view
from peoplesync.runs.hold import rows_of_run
from peoplesync.runs.review import flagged_kinds, review_page
from peoplesync.runs.undo import undoers
from peoplesync.web.deps import Admin, AdminForm, Ctx
from peoplesync.web.templating import redirect, render
from peoplesync.web.views import connection_view, run_brief, run_view

router = APIRouter()

PAGE_SIZE = 50
MAX_CSV_BYTES = 50 * 1024 * 1024
REVIEW_KINDS = ("create", "update", "leave", "rehire", "remove")
KIND_LABELS = {
    "create": "New",
    "update": "Updates",
    "leave": "Leavers",
    "rehire": "Rehires",
    "remove": "Removed",  # an undo's: people the undone import created
}
# What a flag on a person in the review says (the run's page has the findings in full).
FLAG_LABELS = {
    "privacy": "identity change",
    "mass_leaver": "one of many leavers",
    "stale_source": "HRIS data not up to date",
}


@router.get("/sync")
def get_started(request: Request, ctx: Ctx, principal: Admin, started: int = 0) -> Response:
    with ctx.read() as session:
        active = runs.active_run(session, principal.account_id)
        if active is not None:
            return redirect(f"/runs/{active.id}")
        view = connection_view(session, principal.account_id)
        latest = next(iter(runs.list_runs(session, principal.account_id, limit=1)), None)
        latest_id = latest.id if latest else 0
    return render(
        request,
        "get_started.html",
        {"justworks": view, "starting": bool(started), "latest_id": latest_id},
    )


@router.get("/sync/status.json")
def sync_status(ctx: Ctx, principal: Admin) -> JSONResponse:
    with ctx.read() as session:
        active = runs.active_run(session, principal.account_id)
        latest = next(iter(runs.list_runs(session, principal.account_id, limit=1)), None)
        return JSONResponse(
            {
                "active_run": run_brief(active) if active else None,
                "latest_run": run_brief(latest) if latest else None,
            }
        )


MODES = {"partial": True, "full": False, "": None}


@router.post("/sync/csv")
def upload_csv(
    ctx: Ctx,
    principal: AdminForm,
    file: Annotated[UploadFile, File()],
    mode: Annotated[str, Form(max_length=20)] = "",
    sheet: Annotated[str, Form(max_length=200)] = "",
    replace_hris: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    # A plain `def`: the file's work runs in a worker thread, off the event loop.
    if mode not in MODES:
        raise InputError(f"'{mode}' is not a kind of import.", hint="Choose partial or full.")
    data = file.file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise InputError("The file is larger than 50 MB.", hint="Split it or use the HRIS sync.")
    if not data:
        raise InputError("The file is empty.", hint="Choose the CSV export of your employees.")
    ctx.jobs.syncs.reap(account_id=principal.account_id)  # a dead run holds no slot
    with ctx.uow() as session:
        account = get_account(session, principal.account_id)
        request_csv_plan(
            session,
            ctx.jobs,
            account,
            data,
            source_name=file.filename,
            actor=principal.actor,
            partial=MODES[mode],
            replace_hris=replace_hris == "yes",
            sheet=sheet.strip() or None,
        )
    return redirect("/sync?started=1")


def _run(ctx: Ctx, account_id: int, run_id: int) -> dict[str, Any]:
    with ctx.read() as session:
        return run_view(
            runs.get_run(session, account_id, run_id),
            undone_by=undoers(session, account_id, [run_id]).get(run_id),
        )


def _held(ctx: Ctx, account_id: int, run_id: int) -> list[dict[str, Any]]:
    """What the run held back or kept out, and what became of each."""
    with ctx.read() as session:
        return [held_view(r) for r in rows_of_run(session, account_id, run_id)]


@router.get("/runs/{run_id}")
def run_page(
    request: Request, ctx: Ctx, principal: Admin, run_id: int, importing: int = 0
) -> Response:
    run = _run(ctx, principal.account_id, run_id)
    held = _held(ctx, principal.account_id, run_id)
    return render(request, "run.html", {"run": run, "importing": bool(importing), "held": held})


@router.get("/runs/{run_id}/status.json")
def run_status(ctx: Ctx, principal: Admin, run_id: int) -> JSONResponse:
    view = _run(ctx, principal.account_id, run_id)
    return JSONResponse({k: view[k] for k in ("id", "state", "active", "progress", "counts")})


@router.get("/runs/{run_id}/review")
def review(
    request: Request,
    ctx: Ctx,
    principal: Admin,
    run_id: int,
    kind: str = "create",
    q: str = "",
    page: int = 1,
) -> Response:
    if kind not in REVIEW_KINDS:
        raise InputError(f"'{kind}' is not a kind of change.", hint="Use one of the tabs.")
    page = max(page, 1)
    with ctx.read() as session:
        run = run_view(runs.get_run(session, principal.account_id, run_id))
        flagged = flagged_people(run["findings"])
        flagged_counts = flagged_kinds(session, run_id, set(flagged))
        found = review_page(
            session,
            principal.account_id,
            run_id,
            kind=kind,
            search=q or None,
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    pages = max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render(
        request,
        "review.html",
        {
            "run": run,
            "kind": kind,
            "kinds": [
                (k, KIND_LABELS[k], n)
                for k in REVIEW_KINDS
                if (n := run["counts"].get(k, 0)) or k != "remove"  # a tab only for an undo's
            ],
            "q": q,
            "page": page,
            "pages": pages,
            "found": found,
            "flagged": flagged,
            "flagged_counts": flagged_counts,
        },
    )


def flagged_people(findings: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each person the safeguards flagged, with the findings' reasons in words."""
    flagged: dict[str, list[str]] = {}
    for finding in findings:
        reason = FLAG_LABELS.get(str(finding.get("reason")), str(finding.get("reason", "")))
        for person_id in finding.get("person_ids", ()):
            if reason not in flagged.setdefault(str(person_id), []):
                flagged[str(person_id)].append(reason)
    return flagged


@router.post("/runs/{run_id}/apply")
def apply(
    ctx: Ctx, principal: AdminForm, run_id: int, confirm: Annotated[str, Form()] = ""
) -> Response:
    with ctx.uow() as session:
        account = get_account(session, principal.account_id)
        request_apply(
            session, ctx.jobs, account, run_id, actor=principal.actor, confirm=confirm == "yes"
        )
    return redirect(f"/runs/{run_id}?importing=1")


@router.post("/runs/{run_id}/undo")
def undo(ctx: Ctx, principal: AdminForm, run_id: int) -> Response:
    """Plan the reverse of an imported run as a new run, to review (refused, saying why and
    naming the people, when later changes concern them)."""
    result = ctx.jobs.syncs.undo(principal.account_id, run_id, actor=principal.actor)
    return redirect(f"/runs/{result.run_id}")


@router.post("/runs/{run_id}/cancel")
def cancel(ctx: Ctx, principal: AdminForm, run_id: int) -> Response:
    ctx.jobs.syncs.cancel(principal.account_id, run_id)
    return redirect(f"/runs/{run_id}", flash="The sync was cancelled; nothing was imported.")


@router.get("/history")
def history(request: Request, ctx: Ctx, principal: Admin) -> Response:
    with ctx.read() as session:
        listed = runs.list_runs(session, principal.account_id, limit=200)
        undone = undoers(session, principal.account_id, [r.id for r in listed])
        found = [run_view(r, undone_by=undone.get(r.id)) for r in listed]
    return render(request, "history.html", {"runs": found})
