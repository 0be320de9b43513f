"""Settings > Data Integrations: every HRIS Merge serves, each one's connect flow, status, Sync,
auto-sync and Disconnect.

Connecting is Merge's embedded Link (docs/merge-facts.md): "Continue setup" -> the consent step,
whose Continue asks our server for a link token (CSRF-checked), loads Link's `initialize.js`
(Merge's CDN; the sandbox's stand-in locally), calls `MergeLink.initialize({linkToken,
onSuccess, onExit, tenantConfig})` and `openLink()`. `onSuccess(publicToken)` posts the public
token back here in a form bound to the admin's session and CSRF token; the server exchanges it
for the account token and the linked account's id. Magic Link instead gives the admin a URL to
send to whoever holds the HRIS; the token arrives by the `LinkedAccount.linked` webhook.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from peoplesync.access.service import Principal
from peoplesync.accounts import autosync
from peoplesync.accounts.service import get_account
from peoplesync.connections import linking
from peoplesync.connections import service as connections
from peoplesync.errors import InputError, NotFoundError, PeoplesyncError, ReviewWaitingError
from peoplesync.jobs.service import request_sync
from peoplesync.runs.disconnect import disconnect
from peoplesync.runs.hris import refresh_status
from peoplesync.web.connect import connect_with_public_token, connect_with_token
from peoplesync.web.context import WebContext
from peoplesync.web.deps import Admin, AdminForm, Ctx
from peoplesync.web.templating import redirect, render
from peoplesync.web.views import STATUS_REFRESH_EVERY, connection_view

router = APIRouter(prefix="/settings/integrations")
PAGES = "/settings/integrations"


def _provider(slug: str) -> dict[str, str]:
    """A provider of the catalogue (`in` does not fall back to a made-up name)."""
    if slug not in connections.PROVIDERS:
        raise NotFoundError("There is no such HR system.", hint="Pick one on Data Integrations.")
    name = connections.PROVIDERS[slug]
    return {"slug": slug, "name": name, "page": f"{PAGES}/{slug}"}


def _connection(ctx: WebContext, account_id: int) -> dict[str, Any]:
    with ctx.read() as session:
        return connection_view(session, account_id)


def _for(view: dict[str, Any], slug: str) -> dict[str, Any]:
    """The connection as this provider's page shows it: another provider's is not this one's."""
    if view["provider"] == slug:
        return view
    return {
        **view,
        "connected": False,
        "status": "not_connected",
        "status_label": "Not connected",
        "latest_run": None,
        "blocked_run": None,
        "held": [],
    }


@router.get("")
def providers(request: Request, ctx: Ctx, principal: Admin) -> Response:
    """Every HR system; the connected one with its status and latest sync (when, how)."""
    view = _connection(ctx, principal.account_id)
    catalogue = [_for(view, slug) | _provider(slug) for slug in connections.PROVIDERS]
    return render(request, "integrations.html", {"connection": view, "providers": catalogue})


@router.get("/{slug}")
def provider_page(slug: str, request: Request, ctx: Ctx, principal: Admin) -> Response:
    provider = _provider(slug)
    view = _connection(ctx, principal.account_id)
    with ctx.read() as session:
        account = get_account(session, principal.account_id)
        auto = autosync.auto_sync_status(session, account, ctx.clock())
    other = view if view["connected"] and view["provider"] != slug else None
    context = {"p": provider, "j": _for(view, slug), "auto": auto, "other": other}
    return render(request, "provider.html", context)


@router.get("/{slug}/status.json")
def provider_status(slug: str, ctx: Ctx, principal: Admin) -> JSONResponse:
    """What the page polls: the connection (its first sync checked with Merge now and then)."""
    _provider(slug)
    view = _connection(ctx, principal.account_id)
    if view["status"] == connections.ConnectionStatus.INITIAL_SYNC:
        checked = view["initial_sync"].get("checked_at")
        if checked is None or checked < (ctx.clock() - STATUS_REFRESH_EVERY).isoformat():
            try:
                refresh_status(ctx.factory, principal.account_id, ctx.hris)
            except PeoplesyncError as err:
                view["status_detail"] = err.admin_message()
            view = _connection(ctx, principal.account_id)
    return JSONResponse(_for(view, slug))


@router.get("/{slug}/consent")
def consent(slug: str, request: Request, ctx: Ctx, principal: Admin) -> Response:
    link = {"script": ctx.link_script_url, "api_base_url": ctx.link_api_base_url or ""}
    return render(request, "consent.html", {"p": _provider(slug), "link": link})


def _link_token(ctx: WebContext, principal: Principal, slug: str, *, magic: bool) -> dict[str, Any]:
    with ctx.uow() as session:
        account = get_account(session, principal.account_id)
        origin, org = linking.origin_id(account.id), account.name
    with ctx.merge_client() as client:
        made = client.create_link(origin, org, principal.actor, slug, magic=magic)
    return {"link_token": made.token, "magic_link_url": made.magic_link_url}


@router.post("/{slug}/link")
def start_link(slug: str, ctx: Ctx, principal: AdminForm) -> JSONResponse:
    """A link token for Link on this page (JSON: the page's script opens Link with it)."""
    _provider(slug)
    try:
        return JSONResponse(_link_token(ctx, principal, slug, magic=False))
    except PeoplesyncError as err:
        return JSONResponse(err.to_dict(), status_code=err.http_status)


@router.post("/{slug}/link/done")
def link_done(
    slug: str, ctx: Ctx, principal: AdminForm, public_token: Annotated[str, Form()] = ""
) -> Response:
    """Link's `onSuccess(publicToken)`, posted by the page with the admin's CSRF token."""
    provider = _provider(slug)
    name = connect_with_public_token(ctx, principal, public_token)
    return redirect(
        _page_of(ctx, principal, provider["page"]),
        flash=f"{name} is connected. Its first sync runs in the background.",
    )


@router.post("/{slug}/magic-link")
def magic_link(slug: str, request: Request, ctx: Ctx, principal: AdminForm) -> Response:
    """A Magic Link URL to send to whoever holds the HRIS (valid a week)."""
    provider = _provider(slug)
    made = _link_token(ctx, principal, slug, magic=True)
    return render(request, "magic_link.html", {"p": provider, "url": made["magic_link_url"]})


@router.post("/{slug}/token")
def paste_token(
    slug: str, ctx: Ctx, principal: AdminForm, account_token: Annotated[str, Form()] = ""
) -> Response:
    provider = _provider(slug)
    if not account_token.strip():
        raise InputError("Paste the linked account's token.", field="account_token")
    name = connect_with_token(ctx, principal, account_token.strip())
    page = _page_of(ctx, principal, provider["page"])
    return redirect(page, flash=f"{name} is connected with the account token.")


def _page_of(ctx: WebContext, principal: Principal, fallback: str) -> str:
    """The page of what is connected now (Merge may have linked another integration)."""
    view = _connection(ctx, principal.account_id)
    return f"{PAGES}/{view['provider']}" if view["connected"] else fallback


@router.post("/{slug}/disconnect")
def disconnect_provider(slug: str, ctx: Ctx, principal: AdminForm) -> Response:
    provider = _provider(slug)
    name = disconnect(ctx.factory, principal.account_id, ctx.hris, actor=principal.actor)
    return redirect(
        provider["page"],
        flash=f"{name} is disconnected. The directory and its history are kept.",
    )


@router.post("/{slug}/sync")
def sync(
    slug: str,
    ctx: Ctx,
    principal: AdminForm,
    full: Annotated[str, Form()] = "",
    replace: Annotated[str, Form()] = "",
) -> Response:
    """Start a sync and land on its run. A run waiting for review is replaced only when the
    admin chose "Replace it"; otherwise they land on that waiting review, told why."""
    _provider(slug)
    ctx.jobs.syncs.reap(account_id=principal.account_id)  # a dead run holds no slot
    ctx.jobs.syncs.refresh_initial_syncs(principal.account_id)  # Merge may be done by now
    try:
        with ctx.uow() as session:
            account = get_account(session, principal.account_id)
            run_id = request_sync(
                session,
                ctx.jobs,
                account,
                actor=principal.actor,
                full=full == "yes",
                replace_waiting=replace == "yes",
            )
    except ReviewWaitingError as waiting:
        return redirect(
            f"/runs/{waiting.context['run_id']}",
            flash=f"{waiting.message} Review it here, or choose Replace with a new sync.",
        )
    return redirect(f"/runs/{run_id}")


@router.post("/{slug}/autosync")
def switch_autosync(
    slug: str, ctx: Ctx, principal: AdminForm, enabled: Annotated[str, Form()] = ""
) -> Response:
    provider = _provider(slug)
    on = enabled == "on"
    with ctx.uow() as session:
        account = get_account(session, principal.account_id)
        autosync.set_auto_sync(session, account, enabled=on, now=ctx.clock(), actor=principal.actor)
    return redirect(provider["page"], flash="Auto sync is on." if on else "Auto sync is off.")
