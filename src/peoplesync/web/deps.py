"""Who is asking, and may they: sessions for pages, tokens for the API, CSRF on every form.

Pages: the session cookie, or a redirect to the login page. The API: `Authorization: Bearer
<token>`, or the page's session cookie with its CSRF token in `X-CSRF-Token` for a change.
Every handler receives a Principal and scopes each query by `principal.account_id`.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import BackgroundTasks, Depends, Request

from peoplesync.access import service as access
from peoplesync.access.service import Principal
from peoplesync.errors import AuthenticationError, PermissionDeniedError
from peoplesync.web.context import WebContext, web

SESSION_COOKIE = "ps_session"
LOGIN_CSRF_COOKIE = "ps_login_csrf"
FLASH_COOKIE = "ps_flash"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def client_address(request: Request) -> str:
    """The caller's address, as the server saw it (behind a proxy, uvicorn's --proxy-headers
    and --forwarded-allow-ips make it the client's own): the brake counts failures by it."""
    return request.client.host if request.client else "unknown"


class LoginRequired(Exception):  # noqa: N818 - a redirect, not an error
    """A page asked for by someone not signed in: they go to the login page, then back."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _session_principal(request: Request, ctx: WebContext) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with ctx.read() as session:  # a look-up: no write lock
        return access.session_principal(session, token, now=ctx.clock())


def page_user(request: Request, ctx: Annotated[WebContext, Depends(web)]) -> Principal:
    found = _session_principal(request, ctx)
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method in SAFE_METHODS else "/")
    request.state.principal = found
    return found


def page_admin(principal: Annotated[Principal, Depends(page_user)]) -> Principal:
    if not principal.is_admin:
        raise PermissionDeniedError(
            "Only an account administrator can open this page.",
            hint="Ask an administrator of your account.",
        )
    return principal


def api_user(
    request: Request, ctx: Annotated[WebContext, Depends(web)], later: BackgroundTasks
) -> Principal:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(
                "The Authorization header is not a bearer token.",
                hint="Send 'Authorization: Bearer <API token>'.",
            )
        client, now = client_address(request), ctx.clock()
        with ctx.read() as session:
            check = access.check_token(session, token.strip(), client=client, now=now)
        if check.principal is None:  # a failure, counted before the answer (the brake)
            _settle(ctx, check, client, now)
        elif check.touch:  # a last use to note: after the answer, which never waits for it
            later.add_task(_settle, ctx, check, client, now)
        found = check.principal
        if found is None:
            raise AuthenticationError(
                "This API token is not valid (unknown or revoked).",
                hint="Make a new token under Settings > API tokens.",
            )
        return found
    found = _session_principal(request, ctx)
    if found is None:
        raise AuthenticationError(
            "Sign in, or send an API token.", hint="Send 'Authorization: Bearer <API token>'."
        )
    if request.method not in SAFE_METHODS:
        check_csrf(found, request.headers.get("x-csrf-token"))
    return found


def _settle(ctx: WebContext, check: access.TokenCheck, client: str, now: datetime) -> None:
    """The token check's write. A token's last use is noted once a minute, and a GET must not
    wait for it: an import's apply holds SQLite's write lock for seconds (100,000 people: ~6 s),
    so the note is written after the answer is sent."""
    with ctx.uow() as session:
        access.settle_token_check(session, check, client=client, now=now)


def api_admin(principal: Annotated[Principal, Depends(api_user)]) -> Principal:
    if not principal.is_admin:
        raise PermissionDeniedError("Only an account administrator can do this.")
    return principal


def check_csrf(principal: Principal, sent: object) -> None:
    expected = principal.csrf_token or ""
    if not (isinstance(sent, str) and expected and secrets.compare_digest(sent, expected)):
        raise PermissionDeniedError(
            "This form has expired or did not come from peoplesync (CSRF check failed).",
            hint="Go back, reload the page and try again.",
        )


async def form_csrf(
    request: Request, principal: Annotated[Principal, Depends(page_user)]
) -> Principal:
    """A signed-in form post with its CSRF token (every state-changing page route uses this)."""
    form = await request.form()
    check_csrf(principal, form.get("csrf_token"))
    return principal


async def admin_form(principal: Annotated[Principal, Depends(form_csrf)]) -> Principal:
    return page_admin(principal)


def login_redirect(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


User = Annotated[Principal, Depends(page_user)]
Admin = Annotated[Principal, Depends(page_admin)]
UserForm = Annotated[Principal, Depends(form_csrf)]
AdminForm = Annotated[Principal, Depends(admin_form)]
ApiUser = Annotated[Principal, Depends(api_user)]
ApiAdmin = Annotated[Principal, Depends(api_admin)]
Ctx = Annotated[WebContext, Depends(web)]
