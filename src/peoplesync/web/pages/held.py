"""The "Held for review" list's actions (issue 17): release or discard one held change, or all.

The list itself is on Data Integrations (and the provider's page) and on the run that held the
changes; each form says where to come back to (`back`: only those pages)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from peoplesync.accounts.service import get_account
from peoplesync.runs.held import discard, release_held
from peoplesync.web.deps import AdminForm, Ctx
from peoplesync.web.schemas import RowId
from peoplesync.web.templating import redirect

router = APIRouter(prefix="/held")
HOME = "/settings/integrations"
BACK = re.compile(r"^(/settings/integrations(/[a-z0-9_-]{1,60})?|/runs/\d{1,12})$")

Back = Annotated[str, Form(max_length=100)]


def _back(back: str) -> str:
    """Where the form came from, if it is one of the list's pages (never another site)."""
    return back if BACK.match(back) else HOME


def _release(ctx: Ctx, principal: AdminForm, ids: list[int] | None, back: str) -> Response:
    done = release_held(ctx.jobs.syncs, principal.account_id, ids, actor=principal.actor)
    return redirect(_back(back), flash=done.summary())


def _discard(ctx: Ctx, principal: AdminForm, ids: list[int] | None, back: str) -> Response:
    with ctx.uow() as session:
        account = get_account(session, principal.account_id)
        gone = discard(session, account, ids, actor=principal.actor, now=ctx.clock())
    said = f"{len(gone)} held change(s) discarded: the directory keeps what it has."
    return redirect(_back(back), flash=said)


@router.post("/release")
def release_all(ctx: Ctx, principal: AdminForm, back: Back = "") -> Response:
    return _release(ctx, principal, None, back)


@router.post("/discard")
def discard_all(ctx: Ctx, principal: AdminForm, back: Back = "") -> Response:
    return _discard(ctx, principal, None, back)


@router.post("/{held_id}/release")
def release_one(ctx: Ctx, principal: AdminForm, held_id: RowId, back: Back = "") -> Response:
    return _release(ctx, principal, [held_id], back)


@router.post("/{held_id}/discard")
def discard_one(ctx: Ctx, principal: AdminForm, held_id: RowId, back: Back = "") -> Response:
    return _discard(ctx, principal, [held_id], back)
