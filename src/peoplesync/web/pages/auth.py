"""Sign in and out. The login form carries a CSRF token of its own (double-submit cookie).

The form names the account, the email and the password (see access/service.py for why the
account). The account is prefilled from `?account=` or from the last sign-in on this browser
(the ACCOUNT_COOKIE), so that people type it once.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from peoplesync.access import service as access
from peoplesync.errors import AuthenticationError, PermissionDeniedError
from peoplesync.web.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Ctx,
    User,
    UserForm,
    client_address,
)
from peoplesync.web.templating import redirect, render

router = APIRouter()
ACCOUNT_COOKIE = "ps_account"  # the account of the last sign-in here, to prefill the form
ACCOUNT_COOKIE_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
MAX_ACCOUNT_NAME = 200


def _safe_next(value: str | None) -> str:
    """Only a path of this site (no scheme, no //host): an open redirect is a phishing aid."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _login_page(
    request: Request, next_path: str, *, account: str, error: str | None, status: int
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {
            "login_csrf": token,
            "next": next_path,
            "account": account[:MAX_ACCOUNT_NAME],
            "error": error,
        },
        status=status,
    )
    ctx_secure = request.app.state.web.settings.cookie_secure
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=ctx_secure, path="/"
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None, account: str | None = None) -> Response:
    known = account if account is not None else unquote(request.cookies.get(ACCOUNT_COOKIE, ""))
    return _login_page(request, _safe_next(next), account=known, error=None, status=200)


@router.post("/login")
def login(
    request: Request,
    ctx: Ctx,
    account: Annotated[str, Form(max_length=MAX_ACCOUNT_NAME)] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not (expected and csrf_token and secrets.compare_digest(expected, csrf_token)):
        raise PermissionDeniedError(
            "This sign-in form has expired (CSRF check failed).",
            hint="Reload the sign-in page and try again.",
        )
    refused: AuthenticationError | None = None
    with ctx.uow() as session:  # a failure is counted and committed, then answered
        try:
            login_row = access.authenticate(
                session,
                account=account,
                email=email,
                password=password,
                client=client_address(request),
                now=ctx.clock(),
            )
        except AuthenticationError as err:
            refused = err
        else:
            token = access.open_session(session, login_row, now=ctx.clock())
    if refused is not None:
        return _login_page(
            request,
            _safe_next(next),
            account=account,
            error=refused.admin_message(),
            status=401,
        )
    response = redirect(_safe_next(next))
    if account.strip():
        response.set_cookie(
            ACCOUNT_COOKIE,
            quote(account.strip(), safe=""),  # any name, in a cookie's alphabet
            httponly=True,
            samesite="lax",
            secure=ctx.settings.cookie_secure,
            max_age=ACCOUNT_COOKIE_AGE,
            path="/",
        )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
        max_age=int(access.SESSION_LIFETIME.total_seconds()),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, ctx: Ctx, principal: UserForm) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with ctx.uow() as session:
            access.close_session(session, token)
    response = redirect("/login", flash="You are signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/password")
def password_form(request: Request, principal: User) -> Response:
    return render(request, "password.html", {})


@router.post("/password")
def change_password(
    request: Request,
    ctx: Ctx,
    principal: UserForm,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
) -> Response:
    if principal.login_id is None:  # a page session always has its login; narrows the type
        raise PermissionDeniedError("Only a signed-in person has a password.")
    with ctx.uow() as session:
        access.change_password(
            session,
            principal.login_id,
            current=current,
            new=new,
            now=ctx.clock(),
            keep_session=request.cookies.get(SESSION_COOKIE),
        )
    return redirect("/password", flash="Your password is changed; your other sessions ended.")


@router.get("/")
def home(principal: User) -> Response:
    if principal.is_admin:
        return redirect("/settings/integrations")
    return redirect("/me")
