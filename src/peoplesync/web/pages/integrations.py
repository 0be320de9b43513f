"""Settings > Data Integrations: providers, the Justworks connect flow, status, Sync, auto-sync.

Connecting: "Continue setup" -> the consent step -> Merge Link (the sandbox's stand-in locally)
-> back here with a public token, exchanged for the account token (stored encrypted). The
callback carries a `state` bound to the admin's session, so nobody can link an account into
another admin's browser.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from peoplesync.access.service import Principal
from peoplesync.accounts import autosync
from peoplesync.accounts.service import get_account
from peoplesync.connections import service as connections
from peoplesync.errors import (
    InputError,
    PeoplesyncError,
    PermissionDeniedError,
    ReviewWaitingError,
)
from peoplesync.jobs.service import request_sync
from peoplesync.runs.hris import refresh_status
from peoplesync.web.connect import connect_with_token
from peoplesync.web.context import WebContext
from peoplesync.web.deps import Admin, AdminForm, Ctx
from peoplesync.web.templating import redirect, render
from peoplesync.web.views import STATUS_REFRESH_EVERY, connection_view

router = APIRouter(prefix="/settings/integrations")

# The HR systems Merge serves with the same API; Justworks is the one set up here today.
MERGE_PROVIDERS = (
    "ADP Workforce Now",
    "BambooHR",
    "Gusto",
    "HiBob",
    "Paylocity",
    "Personio",
    "Rippling",
    "UKG Pro",
    "Workday",
)
JUSTWORKS = "/settings/integrations/justworks"


def _connection(ctx: WebContext, account_id: int) -> dict[str, Any]:
    with ctx.uow() as session:
        return connection_view(session, account_id)


def _link_state(principal: Principal) -> str:
    key = (principal.csrf_token or "").encode()
    return hmac.new(key, b"merge-link", hashlib.sha256).hexdigest()


@router.get("")
def providers(request: Request, ctx: Ctx, principal: Admin) -> Response:
    view = _connection(ctx, principal.account_id)
    return render(
        request, "integrations.html", {"justworks": view, "merge_providers": MERGE_PROVIDERS}
    )


@router.get("/justworks")
def justworks(request: Request, ctx: Ctx, principal: Admin) -> Response:
    view = _connection(ctx, principal.account_id)
    with ctx.uow() as session:
        account = get_account(session, principal.account_id)
        auto = autosync.auto_sync_status(session, account, ctx.clock())
    return render(request, "justworks.html", {"justworks": view, "auto": auto})


@router.get("/justworks/status.json")
def justworks_status(ctx: Ctx, principal: Admin) -> JSONResponse:
    """What the page polls: the connection (its first sync checked with Merge now and then)."""
    view = _connection(ctx, principal.account_id)
    if view["status"] == connections.ConnectionStatus.INITIAL_SYNC:
        checked = view["initial_sync"].get("checked_at")
        if checked is None or checked < (ctx.clock() - STATUS_REFRESH_EVERY).isoformat():
            try:
                refresh_status(ctx.factory, principal.account_id, ctx.hris)
            except PeoplesyncError as err:
                view["status_detail"] = err.admin_message()
            view = _connection(ctx, principal.account_id)
    return JSONResponse(view)


@router.get("/justworks/consent")
def consent(request: Request, principal: Admin) -> Response:
    return render(request, "consent.html", {})


@router.post("/justworks/link")
def start_link(ctx: Ctx, principal: AdminForm) -> Response:
    with ctx.uow() as session:
        account = get_account(session, principal.account_id)
        origin, org = f"peoplesync-account-{account.id}", account.name
    with ctx.merge_client() as client:
        link_token = client.create_link_token(origin, org, principal.actor)
    back = f"{ctx.settings.base_url.rstrip('/')}{JUSTWORKS}/callback?" + urlencode(
        {"state": _link_state(principal)}
    )
    query = urlencode({"link_token": link_token, "redirect_uri": back})
    return redirect(f"{ctx.link_url}?{query}")


@router.get("/justworks/callback")
def link_callback(ctx: Ctx, principal: Admin, public_token: str = "", state: str = "") -> Response:
    if not hmac.compare_digest(state, _link_state(principal)):
        raise PermissionDeniedError(
            "This Merge Link answer was not started from your session.",
            hint="Start again with Continue setup.",
        )
    if not public_token:
        raise InputError("Merge Link did not send a public token.", hint="Continue setup again.")
    with ctx.merge_client() as client:
        account_token = client.exchange_public_token(public_token).account_token
    connect_with_token(ctx, principal, account_token)
    return redirect(
        JUSTWORKS, flash="Justworks is connected. Its first sync runs in the background."
    )


@router.post("/justworks/token")
def paste_token(
    ctx: Ctx, principal: AdminForm, account_token: Annotated[str, Form()] = ""
) -> Response:
    if not account_token.strip():
        raise InputError("Paste the linked account's token.", field="account_token")
    connect_with_token(ctx, principal, account_token.strip())
    return redirect(JUSTWORKS, flash="Justworks is connected with the account token.")


@router.post("/justworks/sync")
def sync(
    ctx: Ctx,
    principal: AdminForm,
    full: Annotated[str, Form()] = "",
    replace: Annotated[str, Form()] = "",
) -> Response:
    """Start a sync and land on its run. A run waiting for review is replaced only when the
    admin chose "Replace it"; otherwise they land on that waiting review, told why."""
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


@router.post("/justworks/autosync")
def switch_autosync(
    ctx: Ctx, principal: AdminForm, enabled: Annotated[str, Form()] = ""
) -> Response:
    on = enabled == "on"
    with ctx.uow() as session:
        account = get_account(session, principal.account_id)
        autosync.set_auto_sync(session, account, enabled=on, now=ctx.clock(), actor=principal.actor)
    return redirect(JUSTWORKS, flash="Auto sync is on." if on else "Auto sync is off.")
