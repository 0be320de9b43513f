"""The JSON API's access part: who am I, logins and API tokens (same prefix, /api/v1)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from pydantic import BaseModel

from peoplesync.access import service as access
from peoplesync.access.service import Role
from peoplesync.accounts import service as accounts
from peoplesync.people import service as people
from peoplesync.web import schemas
from peoplesync.web.deps import ApiAdmin, ApiUser, Ctx
from peoplesync.web.schemas import RowId, Text
from peoplesync.web.views import iso, own_person, person_view

router = APIRouter(tags=["access"], responses=schemas.ERRORS)
Json = dict[str, Any]


class TokenIn(BaseModel):
    name: Text = ""


class LoginIn(BaseModel):
    email: Text
    name: Text = ""
    role: Role = Role.USER


@router.get("/logins", response_model=schemas.LoginsOut)
def list_logins(ctx: Ctx, principal: ApiAdmin) -> Json:
    with ctx.read() as session:
        found = access.list_logins(session, principal.account_id)
        return {
            "logins": [
                {
                    "id": x.id,
                    "email": x.email,
                    "name": x.name,
                    "role": x.role,
                    "person_id": x.person_id,
                    "last_login_at": iso(x.last_login_at),
                }
                for x in found
            ]
        }


@router.post("/logins", status_code=201, response_model=schemas.InvitedOut)
def invite_login(ctx: Ctx, principal: ApiAdmin, body: LoginIn) -> Json:
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        password, login = access.invite_login(
            session, account, email=body.email, name=body.name, role=body.role, now=ctx.clock()
        )
        return {
            "id": login.id,
            "email": login.email,
            "role": login.role,
            "person_id": login.person_id,
            "password": password,
            "account": account.name,  # what they type in the sign-in form's Account field
            "sign_in_url": f"{ctx.settings.base_url.rstrip('/')}/login?"
            + urlencode({"account": account.name}),
        }


@router.delete("/logins/{login_id}", response_model=schemas.RemovedOut)
def remove_login(ctx: Ctx, principal: ApiAdmin, login_id: RowId) -> Json:
    with ctx.uow() as session:
        access.remove_login(session, principal.account_id, login_id, by_login=principal.login_id)
    return {"removed": login_id}


# --- who am I ------------------------------------------------------------------------------


@router.get("/me", response_model=schemas.MeOut)
def me(ctx: Ctx, principal: ApiUser) -> Json:
    with ctx.read() as session:
        account = accounts.get_account(session, principal.account_id)
        return {"account": {"id": account.id, "name": account.name}, "role": principal.role}


@router.get("/me/person", response_model=schemas.PersonOut)
def my_person(ctx: Ctx, principal: ApiUser) -> Json:
    with ctx.read() as session:
        person = people.get_person(session, principal.account_id, own_person(principal.person_id))
        return person_view(session, principal.account_id, person)


@router.get("/api-tokens", response_model=schemas.TokensOut)
def list_tokens(ctx: Ctx, principal: ApiAdmin) -> Json:
    with ctx.read() as session:
        found = access.list_api_tokens(session, principal.account_id)
        return {
            "tokens": [
                {
                    "id": t.id,
                    "name": t.name,
                    "prefix": t.prefix,
                    "created_by": t.created_by,
                    "created_at": iso(t.created_at),
                    "last_used_at": iso(t.last_used_at),
                    "revoked_at": iso(t.revoked_at),
                }
                for t in found
            ]
        }


@router.post("/api-tokens", status_code=201, response_model=schemas.NewTokenOut)
def create_token(ctx: Ctx, principal: ApiAdmin, body: TokenIn) -> Json:
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        plain, token = access.create_api_token(
            session, account, name=body.name, actor=principal.actor, now=ctx.clock()
        )
        return {"id": token.id, "name": token.name, "token": plain}


@router.delete("/api-tokens/{token_id}", response_model=schemas.RevokedOut)
def revoke_token(ctx: Ctx, principal: ApiAdmin, token_id: RowId) -> Json:
    with ctx.uow() as session:
        access.revoke_api_token(session, principal.account_id, token_id, now=ctx.clock())
    return {"revoked": token_id}
