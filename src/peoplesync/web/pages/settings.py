"""Account settings (leavers, auto-sync time, safeguards, redaction, alert emails), Account
Demographics, API tokens and the outbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from peoplesync.access import service as access
from peoplesync.access.service import Role
from peoplesync.accounts import autosync, redaction, settings
from peoplesync.accounts import service as accounts
from peoplesync.core.policy import DEFAULT_LEAVER_COUNT, DEFAULT_LEAVER_SHARE
from peoplesync.errors import InputError
from peoplesync.notify import service as notify
from peoplesync.people import demographics
from peoplesync.web.deps import Admin, AdminForm, Ctx
from peoplesync.web.templating import redirect, render

router = APIRouter(prefix="/settings")
ACCOUNT = "/settings/account"


@router.get("/account")
def account_settings(request: Request, ctx: Ctx, principal: Admin) -> Response:
    with ctx.read() as session:
        account = accounts.get_account(session, principal.account_id)
        auto = autosync.auto_sync_status(session, account, ctx.clock())
        recipients = settings.list_alerts(session, account.id)
        admins = [x.email for x in access.list_logins(session, account.id) if x.role == Role.ADMIN]
        page = {
            "account": {
                "name": account.name,
                "leaver_policy": account.leaver_policy,
                "timezone": account.timezone,
                "leaver_threshold_share": account.leaver_threshold_share,
                "leaver_threshold_count": account.leaver_threshold_count,
                "hold_per_person": account.hold_per_person,
                "redacted": redaction.redacted_fields(account),
                "redactable": redaction.redactable_choices(
                    account, [d.name for d in demographics.list_demographics(session, account.id)]
                ),
            },
            "auto": auto,
            "recipients": recipients,
            "admins": admins,
        }
    return render(request, "account.html", page)


@router.post("/account/leavers")
def leavers(ctx: Ctx, principal: AdminForm, policy: Annotated[str, Form()] = "") -> Response:
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        settings.change_settings(session, account, settings.SettingsChange(leaver_policy=policy))
    label = (
        "deactivated" if policy == "deactivated" else "former employees (end date = import date)"
    )
    return redirect(ACCOUNT, flash=f"Saved: people missing from an import become {label}.")


@router.post("/account/autosync")
def autosync_time(
    ctx: Ctx,
    principal: AdminForm,
    at: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "",
) -> Response:
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        autosync.set_auto_sync(
            session,
            account,
            enabled=account.auto_sync_enabled,
            now=ctx.clock(),
            actor=principal.actor,
            at=at or None,
            timezone=timezone or None,
        )
    return redirect(ACCOUNT, flash="Saved: the daily sync time.")


@router.post("/account/threshold")
def threshold(
    ctx: Ctx,
    principal: AdminForm,
    share: Annotated[str, Form()] = "",
    count: Annotated[str, Form()] = "",
) -> Response:
    try:
        percent = float(share) if share.strip() else DEFAULT_LEAVER_SHARE * 100
        limit = int(count) if count.strip() else DEFAULT_LEAVER_COUNT
    except ValueError:
        raise InputError(
            "The leaver threshold must be a number.",
            hint="E.g. 20 (%) and 5 (people): more than 20% and at least 5 leavers are flagged.",
        ) from None
    change = settings.SettingsChange(
        leaver_threshold_share=percent / 100, leaver_threshold_count=limit
    )
    with ctx.uow() as session:
        settings.change_settings(
            session, accounts.get_account(session, principal.account_id), change
        )
    return redirect(ACCOUNT, flash="Saved: the mass-leaver safeguard.")


@router.post("/account/hold")
def hold(ctx: Ctx, principal: AdminForm, per_person: Annotated[str, Form()] = "") -> Response:
    on = per_person == "yes"
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        settings.change_settings(session, account, settings.SettingsChange(hold_per_person=on))
    said = "only the flagged people's changes are held" if on else "the whole sync is blocked"
    return redirect(ACCOUNT, flash=f"Saved: on a safeguard finding, {said}.")


@router.post("/account/redaction")
def redact(
    ctx: Ctx,
    principal: AdminForm,
    field: Annotated[str, Form()] = "",
    remove: Annotated[str, Form()] = "",
) -> Response:
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        if remove:
            redaction.unredact(session, account, remove, now=ctx.clock(), actor=principal.actor)
            message = f"{remove} is no longer redacted; the next sync brings its values back."
        else:
            done = redaction.redact(
                session, account, [field], now=ctx.clock(), actor=principal.actor
            )
            purged = sum(done.purged.values())
            message = f"{field} is redacted; its stored values were removed ({purged} people)."
    return redirect(ACCOUNT, flash=message)


@router.post("/account/recipients")
def recipients(
    ctx: Ctx,
    principal: AdminForm,
    email: Annotated[str, Form()] = "",
    remove: Annotated[str, Form()] = "",
) -> Response:
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        if remove:
            settings.remove_alert(session, account, remove)
            message = f"{remove} no longer gets the admins' emails."
        else:
            address = settings.add_alert(session, account, email, now=ctx.clock())
            message = f"{address} gets the admins' emails."
    return redirect(ACCOUNT, flash=message)


@router.get("/demographics")
def demographics_page(request: Request, ctx: Ctx, principal: Admin) -> Response:
    with ctx.read() as session:
        found = demographics.list_demographics(session, principal.account_id)
    return render(request, "demographics.html", {"demographics": found})


@router.post("/demographics/{demographic_id}/delete")
def delete_demographic(ctx: Ctx, principal: AdminForm, demographic_id: int) -> Response:
    with ctx.uow() as session:
        removed = demographics.delete_demographic(
            session, principal.account_id, demographic_id, actor=principal.actor, now=ctx.clock()
        )
    return redirect(
        "/settings/demographics",
        flash=f"The demographic is deleted ({removed} values removed; past imports unchanged).",
    )


@router.get("/logins")
def logins(request: Request, ctx: Ctx, principal: Admin) -> Response:
    with ctx.read() as session:
        found = access.list_logins(session, principal.account_id)
    return render(request, "logins.html", {"logins": found, "invited": None})


@router.post("/logins")
def invite(
    request: Request,
    ctx: Ctx,
    principal: AdminForm,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "user",
) -> Response:
    wanted = Role.ADMIN if role == "admin" else Role.USER
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        password, login = access.invite_login(
            session, account, email=email, name=name, role=wanted, now=ctx.clock()
        )
        invited = {"email": login.email, "password": password, "linked": bool(login.person_id)}
        found = access.list_logins(session, principal.account_id)
    response = render(request, "logins.html", {"logins": found, "invited": invited})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/logins/{login_id}/remove")
def remove(ctx: Ctx, principal: AdminForm, login_id: int) -> Response:
    with ctx.uow() as session:
        email = access.remove_login(
            session, principal.account_id, login_id, by_login=principal.login_id
        )
    return redirect("/settings/logins", flash=f"{email} can no longer sign in.")


@router.get("/api-tokens")
def tokens(request: Request, ctx: Ctx, principal: Admin) -> Response:
    with ctx.read() as session:
        found = access.list_api_tokens(session, principal.account_id)
    return render(request, "tokens.html", {"tokens": found, "new_token": None})


@router.post("/api-tokens")
def create_token(
    request: Request, ctx: Ctx, principal: AdminForm, name: Annotated[str, Form()] = ""
) -> Response:
    with ctx.uow() as session:
        account = accounts.get_account(session, principal.account_id)
        plain, _token = access.create_api_token(
            session, account, name=name, actor=principal.actor, now=ctx.clock()
        )
        found = access.list_api_tokens(session, principal.account_id)
    response = render(request, "tokens.html", {"tokens": found, "new_token": plain})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/api-tokens/{token_id}/revoke")
def revoke_token(ctx: Ctx, principal: AdminForm, token_id: int) -> Response:
    with ctx.uow() as session:
        access.revoke_api_token(session, principal.account_id, token_id, now=ctx.clock())
    return redirect("/settings/api-tokens", flash="The token is revoked.")


@router.get("/outbox")
def outbox(request: Request, ctx: Ctx, principal: Admin) -> Response:
    with ctx.read() as session:
        found = notify.list_outbox(session, principal.account_id, limit=100)
    return render(request, "outbox.html", {"emails": found, "email": None})


@router.get("/outbox/{email_id}")
def outbox_email(request: Request, ctx: Ctx, principal: Admin, email_id: int) -> Response:
    with ctx.read() as session:
        found = notify.get_email(session, principal.account_id, email_id)
    return render(request, "outbox.html", {"emails": [], "email": found})
