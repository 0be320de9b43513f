"""The operator's view (jobs/fleet.py): a page and its API, opened by the operator token
(`PEOPLESYNC_OPERATOR_TOKEN`), never by an account's login or API token. Off (404) while no
token is set.

    GET /operator                 HTTP Basic: user "operator", password the token (a browser asks)
    GET /api/v1/operator/fleet    Authorization: Bearer <operator token>

Read-only: no form, so no CSRF token; the page names accounts and run states, no employee data.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from peoplesync.errors import AuthenticationError, NotFoundError
from peoplesync.web import schemas
from peoplesync.web.context import WebContext, web
from peoplesync.web.deps import Ctx
from peoplesync.web.templating import render

router = APIRouter()
api_router = APIRouter(tags=["operator"], responses=schemas.ERRORS)
REALM = 'Basic realm="peoplesync operator", charset="UTF-8"'


def _presented(request: Request) -> tuple[str, str]:
    """(scheme, secret) of the Authorization header; ("", "") without one."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        try:
            user, _, secret = base64.b64decode(value.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "basic", ""
        return "basic", secret if user == "operator" else ""
    return scheme, value.strip()


def _check(request: Request, ctx: WebContext, *, scheme: str) -> None:
    token = ctx.settings.operator_token
    if token is None:
        raise NotFoundError(
            "The operator view is off.",
            hint="Set PEOPLESYNC_OPERATOR_TOKEN to a long random secret to open it.",
        )
    presented_scheme, secret = _presented(request)
    expected = token.get_secret_value().encode()
    if presented_scheme == scheme and secret and hmac.compare_digest(secret.encode(), expected):
        return
    if scheme == "basic":  # the browser asks for the token
        raise HTTPException(
            401, "The operator view needs the operator token.", {"WWW-Authenticate": REALM}
        )
    raise AuthenticationError(
        "The operator API needs the operator token.",
        hint="Send 'Authorization: Bearer <PEOPLESYNC_OPERATOR_TOKEN>' (an account's API token "
        "does not open it).",
    )


def page_operator(request: Request, ctx: Annotated[WebContext, Depends(web)]) -> None:
    _check(request, ctx, scheme="basic")


def api_operator(request: Request, ctx: Annotated[WebContext, Depends(web)]) -> None:
    _check(request, ctx, scheme="bearer")


@router.get("/operator", dependencies=[Depends(page_operator)])
def operator_page(request: Request, ctx: Ctx) -> Response:
    view = ctx.jobs.fleet()
    return render(request, "operator.html", {"fleet": view, "now": ctx.clock()})


@api_router.get(
    "/operator/fleet",
    dependencies=[Depends(api_operator)],
    response_model=schemas.FleetOut,
)
def operator_fleet(ctx: Ctx) -> dict[str, Any]:
    return ctx.jobs.fleet().to_dict()
