"""The Map fields page of each source: /settings/mappings/merge (the connected HRIS) and
/settings/mappings/file (CSV/XLSX uploads). Each row maps one source field to a demographic,
chosen by its exact name among the account's (or a new name); a preview shows the values the
mapping on the form would produce for a few people, without saving it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from peoplesync.connections import mapping
from peoplesync.core.mapping import FieldMapping
from peoplesync.errors import InputError
from peoplesync.runs import mapping as use
from peoplesync.web.deps import Admin, AdminForm, Ctx
from peoplesync.web.templating import redirect, render

router = APIRouter(prefix="/settings/mappings")
TITLES = {"merge": "the HRIS", "file": "file uploads"}
MAX_PREVIEW_BYTES = 50 * 1024 * 1024


def _source(source: str) -> str:
    if source not in mapping.SOURCES:
        raise InputError(f"'{source}' is not a source of this account.", field="source")
    return source


def _page(
    request: Request,
    ctx: Ctx,
    account_id: int,
    source: str,
    *,
    preview: use.Preview | None = None,
    error: str | None = None,
    status: int = 200,
    sent: dict[str, str] | None = None,
) -> Response:
    """The page; `sent`: the rows the admin submitted (a refused form shows them again)."""
    with ctx.read() as session:
        view = use.mapping_view(session, account_id, source)
    rows = {f["field"]: f for f in view["fields"]}
    own = source == "file"  # a file's column not named is imported under its own header
    for key in preview.fields if preview is not None else ():
        rows.setdefault(key, {"field": key, "label": key, "demographic": key if own else ""})
    for key, name in (sent or {}).items():
        rows.setdefault(key, {"field": key, "label": key, "demographic": ""})["demographic"] = name
    view["fields"] = list(rows.values())
    return render(
        request,
        "mapping.html",
        {"m": view, "title": TITLES[source], "preview": preview, "error": error},
        status=status,
    )


@router.get("/{source}")
def mapping_page(request: Request, ctx: Ctx, principal: Admin, source: str) -> Response:
    return _page(request, ctx, principal.account_id, _source(source))


def _submitted(form: FormData) -> tuple[dict[str, str], str, list[str]]:
    """The form's (field -> demographic) rows and its exclusion rule."""
    targets: dict[str, str] = {}
    for key, value in form.multi_items():
        if key.startswith("field:") and isinstance(value, str):
            targets[key.removeprefix("field:")] = value.strip()
    rule = str(form.get("exclude_field") or "")
    values = [v.strip() for v in str(form.get("exclude_values") or "").split(",")]
    return targets, rule, values


def _proposed(ctx: Ctx, account_id: int, source: str, form: FormData) -> FieldMapping:
    targets, rule, values = _submitted(form)
    with ctx.read() as session:
        stored = mapping.load_mapping(session, account_id, source)
    return use.proposed_of(stored, targets, mapping.parse_exclusion(rule, values))


@router.post("/{source}")
async def save(request: Request, ctx: Ctx, principal: AdminForm, source: str) -> Response:
    _source(source)
    async with request.form() as form:
        targets, rule, values = _submitted(form)
    try:
        with ctx.uow() as session:
            use.save(
                session,
                principal.account_id,
                source,
                targets,
                mapping.parse_exclusion(rule, values),
                actor=principal.actor,
                now=ctx.clock(),
            )
    except InputError as err:
        message = err.admin_message()
        return _page(
            request, ctx, principal.account_id, source, error=message, status=422, sent=targets
        )
    return redirect(
        f"/settings/mappings/{source}",
        flash="Saved: the next sync shows what the mapping changes, as demographic changes.",
    )


@router.post("/{source}/reset")
def reset(ctx: Ctx, principal: AdminForm, source: str) -> Response:
    with ctx.uow() as session:
        mapping.reset_mapping(session, principal.account_id, _source(source))
    return redirect(f"/settings/mappings/{source}", flash="Back to the default mapping.")


@router.post("/{source}/preview")
async def preview(request: Request, ctx: Ctx, principal: AdminForm, source: str) -> Response:
    _source(source)
    try:
        async with request.form() as form:
            proposed = _proposed(ctx, principal.account_id, source, form)
            found = await run_in_threadpool(
                _preview, ctx, principal.account_id, source, proposed, form
            )
    except InputError as err:
        return _page(
            request, ctx, principal.account_id, source, error=err.admin_message(), status=422
        )
    return _page(request, ctx, principal.account_id, source, preview=found)


def _preview(
    ctx: Ctx, account_id: int, source: str, proposed: FieldMapping, form: FormData
) -> use.Preview:
    with ctx.read() as session:
        if source == "merge":
            return use.preview_merge(session, account_id, ctx.hris, proposed)
        redacted = use.redacted_of(session, account_id)
    upload: Any = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return use.Preview(error="Choose a file to preview (the last upload is not kept).")
    data = upload.file.read(MAX_PREVIEW_BYTES + 1)
    if len(data) > MAX_PREVIEW_BYTES:
        return use.Preview(error="The file is larger than 50 MB.")
    return use.preview_file(data, proposed, name=upload.filename, redacted=redacted)
