"""The JSON API (/api/v1): the same services as the pages, for integrators and scripts.

Authenticate with `Authorization: Bearer <API token>` (Settings > API tokens). Errors have one
shape: {"error": {"code", "message", "hint"?, "context"?}}. Work that takes time (a sync, a CSV
plan, an import) answers 202 and runs on the queue: poll `GET /runs`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from peoplesync.accounts import autosync, redaction, settings
from peoplesync.accounts import service as accounts
from peoplesync.errors import InputError
from peoplesync.jobs.merge_webhook import SIGNATURE_HEADER, WebhookOutcome, handle_merge_webhook
from peoplesync.jobs.service import request_apply, request_csv_plan, request_sync
from peoplesync.notify import service as notify
from peoplesync.people import demographics
from peoplesync.people import service as people
from peoplesync.people.service import PeoplePage
from peoplesync.runs import service as runs
from peoplesync.runs.review import ReviewPage, review_page
from peoplesync.runs.undo import undoers
from peoplesync.web import schemas
from peoplesync.web.deps import ApiAdmin, Ctx
from peoplesync.web.pages.runs import MAX_CSV_BYTES, REVIEW_KINDS
from peoplesync.web.schemas import FieldName, Limit, Offset, PersonId, RowId, Search, Text, Word
from peoplesync.web.views import iso, person_row, person_view, run_view

router = APIRouter(tags=["peoplesync"], responses=schemas.ERRORS)
Json = dict[str, Any]


class AccountSettings(BaseModel):
    leaver_policy: Text | None = Field(None, description="former | deactivated")
    timezone: Text | None = Field(None, description="IANA time zone, e.g. Europe/Berlin")
    leaver_threshold_share: float | None = Field(None, gt=0, le=1)
    leaver_threshold_count: int | None = Field(
        None,
        ge=0,
        le=settings.MAX_LEAVER_COUNT,
        description="flag a sync only when at least this many leave (and more than the share)",
    )
    hold_per_person: bool | None = Field(
        None,
        description="an automated sync's safeguard finding holds only the flagged people "
        "(true, the default) or blocks the whole sync (false)",
    )

    def change(self) -> settings.SettingsChange:
        """What the body changes: fields left out (or null) stay as they are."""
        unset = settings.UNSET
        return settings.SettingsChange(
            leaver_policy=unset if self.leaver_policy is None else self.leaver_policy,
            timezone=unset if self.timezone is None else self.timezone,
            leaver_threshold_share=(
                unset if self.leaver_threshold_share is None else self.leaver_threshold_share
            ),
            leaver_threshold_count=(
                unset if self.leaver_threshold_count is None else self.leaver_threshold_count
            ),
            hold_per_person=unset if self.hold_per_person is None else self.hold_per_person,
        )


class AutoSyncIn(BaseModel):
    enabled: bool
    time: Text | None = Field(None, description="HH:MM, local to the account's time zone")
    timezone: Text | None = None


class SyncIn(BaseModel):
    full: bool = Field(
        False, description="Refetch every employee from the HRIS, not only what changed."
    )
    replace: bool = Field(
        False,
        description="Replace a run waiting for review (it is cancelled, saying which run "
        "replaced it). Without it such a run answers 409 `review_waiting` with its `run_id`.",
    )


class ApplyIn(BaseModel):
    confirm: bool = Field(False, description="Push safeguard findings through (recorded).")


class EmailIn(BaseModel):
    email: Text


class FieldIn(BaseModel):
    field: Text


def _paged(found: PeoplePage | ReviewPage, key: str, rows: list[Json]) -> Json:
    """One shape for every paged answer: total, offset, limit and the rows under `key`."""
    return {"total": found.total, "offset": found.offset, "limit": found.limit, key: rows}


# --- account settings ----------------------------------------------------------------------


def _account_json(ctx: Ctx, account_id: int) -> Json:
    with ctx.read() as session:
        a = accounts.get_account(session, account_id)
        return {
            "id": a.id,
            "name": a.name,
            **settings.settings_of(session, a).to_dict(),
            "auto_sync": autosync.auto_sync_status(session, a, ctx.clock()).to_dict(),
        }


@router.get("/account", response_model=schemas.AccountOut)
def get_account_settings(ctx: Ctx, principal: ApiAdmin) -> Json:
    return _account_json(ctx, principal.account_id)


@router.patch("/account", response_model=schemas.AccountOut)
def change_account_settings(ctx: Ctx, principal: ApiAdmin, body: AccountSettings) -> Json:
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        settings.change_settings(session, account, body.change())
    return _account_json(ctx, principal.account_id)


@router.get("/autosync", response_model=schemas.AutoSyncOut)
def get_autosync(ctx: Ctx, principal: ApiAdmin) -> Json:
    with ctx.read() as session:
        account = accounts.get_account(session, principal.account_id)
        return autosync.auto_sync_status(session, account, ctx.clock()).to_dict()


@router.put("/autosync", response_model=schemas.AutoSyncOut)
def put_autosync(ctx: Ctx, principal: ApiAdmin, body: AutoSyncIn) -> Json:
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        found = autosync.set_auto_sync(
            session,
            account,
            enabled=body.enabled,
            now=ctx.clock(),
            actor=principal.actor,
            at=body.time,
            timezone=body.timezone,
        )
        return found.to_dict()


@router.get("/redaction", response_model=schemas.RedactionOut)
def get_redaction(ctx: Ctx, principal: ApiAdmin) -> Json:
    with ctx.read() as session:
        account = accounts.get_account(session, principal.account_id)
        return {"redacted_fields": redaction.redacted_fields(account)}


@router.post("/redaction", response_model=schemas.RedactedOut)
def add_redaction(ctx: Ctx, principal: ApiAdmin, body: FieldIn) -> Json:
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        done = redaction.redact(
            session, account, [body.field], now=ctx.clock(), actor=principal.actor
        )
        return {"redacted_fields": list(done.redacted), "purged": dict(done.purged)}


@router.delete("/redaction/{field}", response_model=schemas.RedactionOut)
def remove_redaction(ctx: Ctx, principal: ApiAdmin, field: FieldName) -> Json:
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        done = redaction.unredact(session, account, field, now=ctx.clock(), actor=principal.actor)
        return {"redacted_fields": list(done.redacted)}


# --- syncs and runs ------------------------------------------------------------------------


@router.post(
    "/syncs",
    status_code=202,
    response_model=schemas.QueuedOut,
    responses={
        409: {
            "description": "A run is already active (`run_active`) or waits for review "
            "(`review_waiting`); `error.context.run_id` names it. A repeated request gets the "
            "run the first one started."
        }
    },
)
def start_sync(ctx: Ctx, principal: ApiAdmin, body: SyncIn | None = None) -> Json:
    full, replace = bool(body and body.full), bool(body and body.replace)
    ctx.jobs.syncs.reap(account_id=principal.account_id)  # a dead run holds no slot
    ctx.jobs.syncs.refresh_initial_syncs(principal.account_id)  # Merge may be done by now
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        run_id = request_sync(
            session, ctx.jobs, account, actor=principal.actor, full=full, replace_waiting=replace
        )
    return {"queued": True, "run_id": run_id, "poll": f"/api/v1/runs/{run_id}"}


@router.post("/syncs/csv", status_code=202, response_model=schemas.QueuedOut)
def start_csv(
    ctx: Ctx,
    principal: ApiAdmin,
    file: Annotated[UploadFile, File(description="The employee file: CSV or XLSX.")],
    partial: Annotated[
        bool | None,
        Form(description="Create and update only (nobody leaves); default: true beside an HRIS."),
    ] = None,
    replace_hris: Annotated[
        bool, Form(description="Confirm a full import that replaces the connected HRIS.")
    ] = False,
    sheet: Annotated[str | None, Form(max_length=200, description="XLSX: the sheet.")] = None,
) -> Json:
    # A plain `def`: reading, minimising and enqueueing 50 MB run in a worker thread, not on
    # the event loop every other request waits on.
    data = file.file.read(MAX_CSV_BYTES + 1)
    if not data or len(data) > MAX_CSV_BYTES:
        raise InputError("The file is empty or larger than 50 MB.", field="file")
    ctx.jobs.syncs.reap(account_id=principal.account_id)  # a dead run holds no slot
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        run_id = request_csv_plan(
            session,
            ctx.jobs,
            account,
            data,
            source_name=file.filename,
            actor=principal.actor,
            partial=partial,
            replace_hris=replace_hris,
            sheet=sheet.strip() or None if sheet else None,
        )
    return {"queued": True, "run_id": run_id, "poll": f"/api/v1/runs/{run_id}"}


@router.get("/runs", response_model=schemas.RunsOut)
def list_runs(ctx: Ctx, principal: ApiAdmin, limit: Limit = 50) -> Json:
    with ctx.read() as session:
        found = runs.list_runs(session, principal.account_id, limit=limit)
        undone = undoers(session, principal.account_id, [r.id for r in found])
        return {"runs": [_run_json(r, undone.get(r.id)) for r in found]}


def _run_json(run: Any, undone_by: int | None = None) -> Json:
    view = run_view(run, undone_by=undone_by)
    return {k: v for k, v in view.items() if k not in {"errors", "warnings"}}  # in "issues"


def _one_run(session: Session, account_id: int, run_id: int) -> Json:
    run = runs.get_run(session, account_id, run_id)
    return _run_json(run, undoers(session, account_id, [run_id]).get(run_id))


@router.get("/runs/{run_id}", response_model=schemas.RunOut)
def get_run(ctx: Ctx, principal: ApiAdmin, run_id: RowId) -> Json:
    with ctx.read() as session:
        return _one_run(session, principal.account_id, run_id)


@router.get("/runs/{run_id}/items", response_model=schemas.PlanItemsOut)
def run_items(
    ctx: Ctx,
    principal: ApiAdmin,
    run_id: RowId,
    kind: Word = None,
    q: Search = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Json:
    if kind is not None and kind not in REVIEW_KINDS:
        raise InputError(f"'{kind}' is not a kind.", hint=f"Use one of {', '.join(REVIEW_KINDS)}.")
    with ctx.read() as session:
        runs.get_run(session, principal.account_id, run_id)  # 404 unless it is this account's
        found = review_page(
            session,
            principal.account_id,
            run_id,
            kind=kind,
            search=q,
            offset=offset,
            limit=limit,
        )
    return _paged(
        found,
        "items",
        [
            {
                "kind": i.kind,
                "person_id": i.person_id,
                "label": i.label,
                "changes": [
                    {"field": c.field, "before": c.before, "after": c.after} for c in i.changes
                ],
            }
            for i in found.items
        ],
    )


@router.post("/runs/{run_id}/apply", status_code=202, response_model=schemas.QueuedOut)
def apply_run(ctx: Ctx, principal: ApiAdmin, run_id: RowId, body: ApplyIn | None = None) -> Json:
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        request_apply(
            session,
            ctx.jobs,
            account,
            run_id,
            actor=principal.actor,
            confirm=bool(body and body.confirm),
        )
    return {"queued": True, "poll": f"/api/v1/runs/{run_id}"}


@router.post("/runs/{run_id}/undo", status_code=201, response_model=schemas.RunOut)
def undo_run(ctx: Ctx, principal: ApiAdmin, run_id: RowId) -> Json:
    """Plan the reverse of an imported run: a new run, awaiting review (import it with its
    `apply`); 409, naming the people, when later changes concern them."""
    result = ctx.jobs.syncs.undo(principal.account_id, run_id, actor=principal.actor)
    with ctx.read() as session:
        return _one_run(session, principal.account_id, result.run_id)


@router.post("/runs/{run_id}/cancel", response_model=schemas.RunOut)
def cancel_run(ctx: Ctx, principal: ApiAdmin, run_id: RowId) -> Json:
    ctx.jobs.syncs.cancel(principal.account_id, run_id)
    with ctx.uow() as session:
        return _run_json(runs.get_run(session, principal.account_id, run_id))


# --- people --------------------------------------------------------------------------------


@router.get("/people", response_model=schemas.PeopleOut)
def list_people(
    ctx: Ctx,
    principal: ApiAdmin,
    q: Search = None,
    status: Word = None,
    source: Word = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Json:
    with ctx.read() as session:
        found = people.list_people(
            session,
            principal.account_id,
            search=q,
            status=status,
            source=source,
            offset=offset,
            limit=limit,
        )
    return _paged(found, "people", [person_row(p) for p in found.people])


@router.get("/people/{person_id}", response_model=schemas.PersonOut)
def get_person(ctx: Ctx, principal: ApiAdmin, person_id: PersonId) -> Json:
    with ctx.read() as session:
        person = people.get_person(session, principal.account_id, person_id)
        return person_view(session, principal.account_id, person)


@router.patch("/people/{person_id}", response_model=schemas.PersonOut)
def change_person(ctx: Ctx, principal: ApiAdmin, person_id: PersonId, body: EmailIn) -> Json:
    with ctx.uow() as session:
        people.change_email(
            session,
            principal.account_id,
            person_id,
            body.email,
            actor=principal.actor,
            now=ctx.clock(),
        )
    return get_person(ctx, principal, person_id)


@router.post("/people/{person_id}/deactivate", response_model=schemas.PersonOut)
def deactivate_person(ctx: Ctx, principal: ApiAdmin, person_id: PersonId) -> Json:
    with ctx.uow() as session:
        people.deactivate_person(
            session, principal.account_id, person_id, actor=principal.actor, now=ctx.clock()
        )
    return get_person(ctx, principal, person_id)


@router.get("/people/{person_id}/history", response_model=schemas.HistoryOut)
def person_history(ctx: Ctx, principal: ApiAdmin, person_id: PersonId) -> Json:
    with ctx.read() as session:
        people.get_person(session, principal.account_id, person_id)
        rows = people.person_history(session, principal.account_id, person_id)
        return {
            "history": [
                {
                    "run_id": r.run_id,
                    "field": r.field,
                    "before": r.before,
                    "after": r.after,
                    "actor": r.actor,
                    "changed_at": iso(r.changed_at),
                }
                for r in rows
            ]
        }


# --- demographics, outbox ----------------------------------------------------------


@router.get("/demographics", response_model=schemas.DemographicsOut)
def list_demographics(ctx: Ctx, principal: ApiAdmin) -> Json:
    with ctx.read() as session:
        found = demographics.list_demographics(session, principal.account_id)
    return {"demographics": [{"id": d.id, "name": d.name, "people": d.people} for d in found]}


@router.delete("/demographics/{demographic_id}", response_model=schemas.DeletedDemographicOut)
def delete_demographic(ctx: Ctx, principal: ApiAdmin, demographic_id: RowId) -> Json:
    with ctx.uow() as session:
        removed = demographics.delete_demographic(
            session, principal.account_id, demographic_id, actor=principal.actor, now=ctx.clock()
        )
    return {"deleted": demographic_id, "values_removed": removed}


@router.get("/outbox", response_model=schemas.OutboxOut)
def list_outbox(ctx: Ctx, principal: ApiAdmin, limit: Limit = 50) -> Json:
    with ctx.read() as session:
        found = notify.list_outbox(session, principal.account_id, limit=limit)
        return {
            "emails": [
                {
                    "id": e.id,
                    "kind": e.kind,
                    "status": e.status,
                    "to": e.recipients,
                    "subject": e.subject,
                    "body": e.body,
                    "created_at": iso(e.created_at),
                }
                for e in found
            ]
        }


# --- Merge's webhook (signed by Merge, not by a user) --------------------------------------


@router.post("/webhooks/merge", response_model=schemas.WebhookOut)
async def merge_webhook(request: Request, ctx: Ctx) -> JSONResponse:
    raw = await request.body()  # the raw bytes, as signed; the database work in a thread
    signature = request.headers.get(SIGNATURE_HEADER)

    def handle() -> WebhookOutcome:
        with ctx.uow() as session:
            return handle_merge_webhook(
                raw,
                signature,
                session=session,
                settings=ctx.settings,
                enqueue_sync=ctx.jobs.enqueue_sync,
                now=ctx.clock(),
                box=ctx.box,
            )

    outcome = await run_in_threadpool(handle)
    return JSONResponse({"action": outcome.action, "reason": outcome.reason})
