"""The JSON API of the HRIS connection (under /api/v1), admin-only.

GET    /connections                    the account's connection (any provider)
GET    /connections/{provider}         the same, as that provider's page shows it
PUT    /connections/{provider}         {"account_token"}: connect with a pasted token
POST   /connections/{provider}/public-token  {"public_token"}: Link's onSuccess, exchanged
DELETE /connections/{provider}         disconnect: Merge's delete-account, credentials gone,
                                       the directory and history kept
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from peoplesync.connections import service as connections
from peoplesync.errors import NotFoundError
from peoplesync.runs.disconnect import disconnect
from peoplesync.web import schemas
from peoplesync.web.connect import connect_with_public_token, connect_with_token
from peoplesync.web.deps import ApiAdmin, Ctx
from peoplesync.web.schemas import Text
from peoplesync.web.views import connection_view

router = APIRouter(tags=["connections"], responses=schemas.ERRORS)
Json = dict[str, Any]


class AccountTokenIn(BaseModel):
    account_token: Text = Field(min_length=1)


class PublicTokenIn(BaseModel):
    public_token: Text = Field(min_length=1)


def _known(provider: str) -> str:
    if provider not in connections.PROVIDERS:
        raise NotFoundError(
            f"'{provider}' is not an HR system peoplesync connects.",
            hint="Use one of: " + ", ".join(connections.PROVIDERS) + ".",
        )
    return provider


@router.get("/connections", response_model=schemas.ConnectionOut)
def get_connection(ctx: Ctx, principal: ApiAdmin) -> Json:
    with ctx.read() as session:
        return connection_view(session, principal.account_id)


@router.get("/connections/{provider}", response_model=schemas.ConnectionOut)
def get_provider(provider: str, ctx: Ctx, principal: ApiAdmin) -> Json:
    _known(provider)
    view = get_connection(ctx, principal)
    if view["provider"] != provider:
        name = connections.PROVIDERS[provider]
        return {
            "provider": provider,
            "provider_name": name,
            "connected": False,
            "status": "not_connected",
            "status_label": "Not connected",
            "active_run": view["active_run"],
        }
    return view


@router.put("/connections/{provider}", response_model=schemas.ConnectionOut)
def connect_token(provider: str, ctx: Ctx, principal: ApiAdmin, body: AccountTokenIn) -> Json:
    _known(provider)
    connect_with_token(ctx, principal, body.account_token.strip())
    return get_connection(ctx, principal)


@router.post("/connections/{provider}/public-token", response_model=schemas.ConnectionOut)
def connect_public(provider: str, ctx: Ctx, principal: ApiAdmin, body: PublicTokenIn) -> Json:
    _known(provider)
    connect_with_public_token(ctx, principal, body.public_token.strip())
    return get_connection(ctx, principal)


@router.delete("/connections/{provider}", response_model=schemas.ConnectionOut)
def disconnect_provider(provider: str, ctx: Ctx, principal: ApiAdmin) -> Json:
    _known(provider)
    disconnect(ctx.factory, principal.account_id, ctx.hris, actor=principal.actor)
    return get_connection(ctx, principal)
