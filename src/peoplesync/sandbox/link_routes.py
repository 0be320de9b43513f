"""A stand-in for the hosted Merge Link dialog, connecting the sandbox's Justworks company.

`GET /link?link_token=...&redirect_uri=...` shows the dialog (consent line, the Justworks
service-account step with a checkbox, Submit). Submitting (`POST /link`) links the account (or
relinks the one of the same `end_user_origin_id`), spends the link token and redirects (303) to
`redirect_uri?public_token=...`. The public token is single-use: exchange it with
`GET /api/hris/v1/account-token/{public_token}`. `redirect_uri` must be an http(s) URL; every
value shown on the page is HTML-escaped by Jinja2's autoescape.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from peoplesync.sandbox.http import sandbox_state
from peoplesync.sandbox.state import LinkSession, SandboxState

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
)
EXPIRED = "This link has expired or has already been used. Ask the app for a new one."
BAD_REDIRECT = "The redirect_uri must be an http or https URL."
UNCONFIRMED = "Confirm that you added the service account before you submit."


def valid_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def with_public_token(uri: str, public_token: str) -> str:
    parts = urlsplit(uri)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("public_token", public_token)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def render(status: int, **context: object) -> HTMLResponse:
    html = TEMPLATES.get_template("link.html").render(**context)
    return HTMLResponse(html, status_code=status)


def _dialog(
    state: SandboxState, session: LinkSession, redirect_uri: str, error: str | None, status: int
) -> HTMLResponse:
    return render(
        status,
        app_name=state.config.app_name,
        organization=session.organization_name,
        link_token=session.token,
        redirect_uri=redirect_uri,
        service_email=f"merge-{session.token[:8].lower()}@service.merge.example.com",
        action="/link",
        error=error,
    )


def _check(state: SandboxState, token: str, redirect_uri: str) -> LinkSession | HTMLResponse:
    if not valid_redirect(redirect_uri):
        return render(400, fatal=BAD_REDIRECT)
    session = state.open_link_session(token)
    return render(404, fatal=EXPIRED) if session is None else session


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/link")
    async def link_dialog(request: Request) -> Response:
        state = sandbox_state(request)
        params = request.query_params
        redirect_uri = params.get("redirect_uri", "")
        found = _check(state, params.get("link_token", ""), redirect_uri)
        if isinstance(found, HTMLResponse):
            return found
        return _dialog(state, found, redirect_uri, None, 200)

    @router.post("/link")
    async def link_submit(request: Request) -> Response:
        state = sandbox_state(request)
        form = await request.form()
        redirect_uri = str(form.get("redirect_uri", ""))
        found = _check(state, str(form.get("link_token", "")), redirect_uri)
        if isinstance(found, HTMLResponse):
            return found
        if form.get("service_account_added") != "yes":
            return _dialog(state, found, redirect_uri, UNCONFIRMED, 400)
        _account, public_token = state.complete_link(found)
        return RedirectResponse(with_public_token(redirect_uri, public_token), status_code=303)

    return router
