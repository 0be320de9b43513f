"""The JSON API of field mapping (under /api/v1), admin-only. `source` is "merge" (the connected
HRIS) or "file" (CSV/XLSX uploads).

GET    /mappings/{source}            each field and the demographic it maps to, the exclusion
                                     rule, the account's demographics
PUT    /mappings/{source}            {"targets": {field: demographic or ""}, "exclude":
                                     {"field", "values"} or null}: the new mapping, checked whole
DELETE /mappings/{source}            back to the default mapping
POST   /mappings/{source}/preview    multipart: "mapping" (the PUT body as JSON, optional: the
                                     stored one), "file" (files: the file to preview)
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from peoplesync.connections import mapping
from peoplesync.core.mapping import FieldMapping
from peoplesync.errors import InputError
from peoplesync.runs import mapping as use
from peoplesync.web import schemas
from peoplesync.web.deps import ApiAdmin, Ctx
from peoplesync.web.schemas import Text

router = APIRouter(tags=["mappings"], responses=schemas.ERRORS)
Json = dict[str, Any]
MAX_PREVIEW_BYTES = 50 * 1024 * 1024


class ExclusionIn(BaseModel):
    field: Text = Field(min_length=1)
    values: list[Text] = Field(max_length=mapping.MAX_VALUES)


class FieldOut(BaseModel):
    field: str
    label: str
    demographic: str  # "" : not imported


class ExclusionOut(BaseModel):
    field: str
    values: list[str]


class MappingOut(BaseModel):
    source: str
    fields: list[FieldOut]
    exclude: ExclusionOut | None
    demographics: list[str]  # the account's, by exact name


class PreviewPersonOut(BaseModel):
    name: str | None
    email: str | None
    values: dict[str, str]  # demographic -> value, under the mapping previewed
    excluded: bool


class PreviewOut(BaseModel):
    people: list[PreviewPersonOut]
    fields: list[str]  # the source fields the sample showed (custom fields, columns)
    error: str | None  # why no preview could be read


class MappingIn(BaseModel):
    targets: dict[Text, Text] = Field(default_factory=dict, max_length=500)
    exclude: ExclusionIn | None = None


def _source(source: str) -> str:
    if source not in mapping.SOURCES:
        raise InputError(
            f"'{source}' is not a source of this account.",
            hint="Use 'merge' (the connected HRIS) or 'file' (uploads).",
            field="source",
        )
    return source


@router.get("/mappings/{source}", response_model=MappingOut)
def get_mapping(source: str, ctx: Ctx, principal: ApiAdmin) -> Json:
    with ctx.read() as session:
        return use.mapping_view(session, principal.account_id, _source(source))


@router.put("/mappings/{source}", response_model=MappingOut)
def put_mapping(source: str, body: MappingIn, ctx: Ctx, principal: ApiAdmin) -> Json:
    _source(source)
    rule = body.exclude
    exclusion = mapping.parse_exclusion(rule.field, rule.values) if rule else None
    with ctx.uow() as session:
        use.save(
            session,
            principal.account_id,
            source,
            dict(body.targets),
            exclusion,
            actor=principal.actor,
            now=ctx.clock(),
        )
        return use.mapping_view(session, principal.account_id, source)


@router.delete("/mappings/{source}", response_model=MappingOut)
def reset_mapping(source: str, ctx: Ctx, principal: ApiAdmin) -> Json:
    with ctx.uow() as session:
        mapping.reset_mapping(session, principal.account_id, _source(source))
        return use.mapping_view(session, principal.account_id, source)


@router.post("/mappings/{source}/preview", response_model=PreviewOut)
def preview(
    source: str,
    ctx: Ctx,
    principal: ApiAdmin,
    proposed: Annotated[str, Form(alias="mapping", max_length=200_000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Json:
    _source(source)
    with ctx.read() as session:
        chosen = proposed_mapping(session, principal.account_id, source, proposed)
        if source == "merge":
            found = use.preview_merge(session, principal.account_id, ctx.hris, chosen)
        else:
            if file is None:
                raise InputError(
                    "A file preview needs the file.",
                    hint="Send the file to preview as 'file'.",
                    field="file",
                )
            redacted = use.redacted_of(session, principal.account_id)
            data = file.file.read(MAX_PREVIEW_BYTES + 1)
            if len(data) > MAX_PREVIEW_BYTES:
                raise InputError("The file is larger than 50 MB.", field="file")
            found = use.preview_file(data, chosen, name=file.filename, redacted=redacted)
    return {"people": found.people, "fields": found.fields, "error": found.error}


def proposed_mapping(session: Session, account_id: int, source: str, text: str) -> FieldMapping:
    """The mapping a preview shows: the one sent (as JSON), else the stored one."""
    stored = mapping.load_mapping(session, account_id, source)
    if not text.strip():
        return stored
    try:
        body = MappingIn.model_validate(json.loads(text))
    except (ValueError, TypeError) as err:
        raise InputError(
            "The mapping to preview is not valid JSON of the PUT body's shape.",
            hint='Send {"targets": {...}, "exclude": null}.',
            field="mapping",
        ) from err
    rule = body.exclude
    exclusion = mapping.parse_exclusion(rule.field, rule.values) if rule else None
    return use.proposed_of(stored, dict(body.targets), exclusion)
