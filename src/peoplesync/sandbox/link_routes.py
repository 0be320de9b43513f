"""Stand-ins for Merge Link, connecting the sandbox's company for the integration chosen.

Embedded Link, as Merge's `initialize.js` offers it (see docs/merge-facts.md):

    <script src="{sandbox}/link/initialize.js"></script>
    MergeLink.initialize({linkToken, onSuccess(publicToken, info), onExit(), onReady(),
                          tenantConfig: {apiBaseURL}, parentContainerID})
    MergeLink.openLink()

`openLink` lays a dialog over the page: an iframe of `GET /link/embedded?link_token&origin`
(the same dialog as below). Submitting it (`POST /link/embedded`) links the account and the
frame hands the public token to the page with `postMessage` (to the page's own origin only);
the script checks the message's origin and source, closes the dialog and calls
`onSuccess(publicToken, {isTokenForOtherPreexistingLinkedAccount})`. Closing the dialog calls
`onExit()`. `tenantConfig.apiBaseURL` is shown in the dialog (`api_base_url`).

Magic Link: `GET /link/m/{link_token}` (the link-token answer's `magic_link_url`) shows the
dialog; submitting links the account and hands out no public token: the account token arrives
by the `LinkedAccount.linked` webhook.

The redirect stand-in (kept until the app moves to the script; Merge has no such page):
`GET /link?link_token=...&redirect_uri=...` shows the dialog, `POST /link` links and redirects
(303) to `redirect_uri?public_token=...`. `redirect_uri` must be an http(s) URL.

Every public token is single-use: exchange it with `GET /api/hris/v1/account-token/{token}`.
A link token without an `integration` shows a picker. Every value shown is HTML-escaped by
Jinja2's autoescape; values handed to scripts go through `tojson`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from peoplesync.sandbox.http import sandbox_state
from peoplesync.sandbox.providers import INTEGRATIONS, Integration
from peoplesync.sandbox.state import LinkSession, SandboxState

HERE = Path(__file__).parent
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True),
)
SCRIPT = (HERE / "templates" / "initialize.js").read_text(encoding="utf-8")
EXPIRED = "This link has expired or has already been used. Ask the app for a new one."
BAD_REDIRECT = "The redirect_uri must be an http or https URL."
BAD_ORIGIN = "The page that opened Link is not an http or https origin."
UNCONFIRMED = "Confirm that you added the service account before you submit."
UNCHOSEN = "Choose the HR system to connect."


def valid_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def valid_origin(origin: str) -> bool:
    """`scheme://host[:port]` and nothing else (what `window.location.origin` gives)."""
    parts = urlsplit(origin)
    return (
        valid_redirect(origin)
        and not parts.path
        and not parts.query
        and not parts.fragment
        and not parts.username
    )


def with_public_token(uri: str, public_token: str) -> str:
    parts = urlsplit(uri)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("public_token", public_token)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def render(status: int, **context: object) -> HTMLResponse:
    html = TEMPLATES.get_template("link.html").render(**context)
    return HTMLResponse(html, status_code=status)


def _dialog(
    state: SandboxState,
    session: LinkSession,
    *,
    action: str,
    hidden: dict[str, str],
    error: str | None,
    status: int,
    embedded: bool = False,
    tenant: str | None = None,
) -> HTMLResponse:
    provider = session.integration or state.config.integration
    return render(
        status,
        app_name=state.config.app_name,
        organization=session.organization_name,
        provider=provider.name,
        picker=None if session.integration else list(INTEGRATIONS.values()),
        default_slug=provider.slug,
        hidden={"link_token": session.token, **hidden},
        service_email=f"merge-{session.token[:8].lower()}@service.merge.example.com",
        action=action,
        error=error,
        embedded=embedded,
        tenant=tenant,
    )


def _session(state: SandboxState, token: str) -> LinkSession | HTMLResponse:
    session = state.open_link_session(token)
    return render(404, fatal=EXPIRED) if session is None else session


def _submitted(
    state: SandboxState, session: LinkSession, form: FormData
) -> tuple[Integration | None, str | None]:
    """The integration chosen on the picker (absent: the server's default), and the error that
    keeps the dialog open."""
    chosen = None
    if session.integration is None:
        chosen = INTEGRATIONS.get(str(form.get("integration") or state.config.integration.slug))
        if chosen is None:
            return None, UNCHOSEN
    if form.get("service_account_added") != "yes":
        return chosen, UNCONFIRMED
    return chosen, None


def build_router() -> APIRouter:
    router = APIRouter()
    _redirect_routes(router)
    _embedded_routes(router)
    _magic_routes(router)
    return router


def _redirect_routes(router: APIRouter) -> None:
    @router.get("/link")
    async def link_dialog(request: Request) -> Response:
        state = sandbox_state(request)
        redirect_uri = request.query_params.get("redirect_uri", "")
        if not valid_redirect(redirect_uri):
            return render(400, fatal=BAD_REDIRECT)
        found = _session(state, request.query_params.get("link_token", ""))
        if isinstance(found, HTMLResponse):
            return found
        hidden = {"redirect_uri": redirect_uri}
        return _dialog(state, found, action="/link", hidden=hidden, error=None, status=200)

    @router.post("/link")
    async def link_submit(request: Request) -> Response:
        state = sandbox_state(request)
        form = await request.form()
        redirect_uri = str(form.get("redirect_uri", ""))
        if not valid_redirect(redirect_uri):
            return render(400, fatal=BAD_REDIRECT)
        found = _session(state, str(form.get("link_token", "")))
        if isinstance(found, HTMLResponse):
            return found
        chosen, error = _submitted(state, found, form)
        if error:
            hidden = {"redirect_uri": redirect_uri}
            return _dialog(state, found, action="/link", hidden=hidden, error=error, status=400)
        _account, public_token = state.complete_link(found, chosen)
        target = (
            redirect_uri if public_token is None else with_public_token(redirect_uri, public_token)
        )
        return RedirectResponse(target, status_code=303)


def _embedded_routes(router: APIRouter) -> None:
    @router.get("/link/initialize.js")
    async def initialize_js() -> Response:
        return Response(SCRIPT, media_type="text/javascript", headers={"Cache-Control": "no-store"})

    def hidden_of(origin: str, tenant: str) -> dict[str, str]:
        return {"origin": origin, **({"api_base_url": tenant} if tenant else {})}

    @router.get("/link/embedded")
    async def embedded_dialog(request: Request) -> Response:
        state, params = sandbox_state(request), request.query_params
        origin, tenant = params.get("origin", ""), params.get("api_base_url", "")
        if not valid_origin(origin):
            return render(400, fatal=BAD_ORIGIN)
        found = _session(state, params.get("link_token", ""))
        if isinstance(found, HTMLResponse):
            return found
        return _dialog(
            state,
            found,
            action="/link/embedded",
            hidden=hidden_of(origin, tenant),
            error=None,
            status=200,
            embedded=True,
            tenant=tenant or None,
        )

    @router.post("/link/embedded")
    async def embedded_submit(request: Request) -> Response:
        state, form = sandbox_state(request), await request.form()
        origin, tenant = str(form.get("origin", "")), str(form.get("api_base_url", ""))
        if not valid_origin(origin):
            return render(400, fatal=BAD_ORIGIN)
        found = _session(state, str(form.get("link_token", "")))
        if isinstance(found, HTMLResponse):
            return found
        chosen, error = _submitted(state, found, form)
        if error:
            return _dialog(
                state,
                found,
                action="/link/embedded",
                hidden=hidden_of(origin, tenant),
                error=error,
                status=400,
                embedded=True,
                tenant=tenant or None,
            )
        account, public_token = state.complete_link(found, chosen)
        message = {
            "source": "merge-link-sandbox",
            "type": "success",
            "publicToken": public_token,
            "integration": account.integration.slug,
        }
        return render(200, connected=account.integration.name, message=message, origin=origin)


def _magic_routes(router: APIRouter) -> None:
    @router.get("/link/m/{link_token}")
    async def magic_dialog(link_token: str, request: Request) -> Response:
        state = sandbox_state(request)
        found = _session(state, link_token)
        if isinstance(found, HTMLResponse):
            return found
        action = f"/link/m/{found.token}"
        return _dialog(state, found, action=action, hidden={}, error=None, status=200)

    @router.post("/link/m/{link_token}")
    async def magic_submit(link_token: str, request: Request) -> Response:
        state, form = sandbox_state(request), await request.form()
        found = _session(state, link_token)
        if isinstance(found, HTMLResponse):
            return found
        chosen, error = _submitted(state, found, form)
        if error:
            action = f"/link/m/{found.token}"
            return _dialog(state, found, action=action, hidden={}, error=error, status=400)
        account, _none = state.complete_link(found, chosen)
        return render(200, connected=account.integration.name)
