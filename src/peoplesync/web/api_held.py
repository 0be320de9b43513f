"""The JSON API of the "Held for review" list (under /api/v1), admin-only (issue 17).

GET    /held                      every change still held ({"held": [...]})
GET    /runs/{run_id}/held        what one run held back or kept out, and what became of each
POST   /held/release              {"ids": [...]} or {} for all: import them, each checked
                                  against the directory as it is now (refusals say why)
POST   /held/discard              {"ids": [...]} or {} for all: the directory keeps what it has
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from peoplesync.accounts.service import get_account
from peoplesync.runs.held import discard, held_view, release_held
from peoplesync.runs.hold import rows_of_run
from peoplesync.runs.service import get_run
from peoplesync.web import schemas
from peoplesync.web.deps import ApiAdmin, Ctx
from peoplesync.web.schemas import MAX_ID, RowId
from peoplesync.web.views import held_list

router = APIRouter(tags=["held"], responses=schemas.ERRORS)
Json = dict[str, Any]


class HeldIds(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=10_000, description="Held change ids; left out: every held change"
    )


def _waiting(ctx: Ctx, account_id: int) -> list[Json]:
    with ctx.read() as session:
        return held_list(session, account_id)


@router.get("/held", response_model=schemas.HeldListOut)
def list_held(ctx: Ctx, principal: ApiAdmin) -> Json:
    return {"held": _waiting(ctx, principal.account_id)}


@router.get("/runs/{run_id}/held", response_model=schemas.HeldListOut)
def run_held(ctx: Ctx, principal: ApiAdmin, run_id: RowId) -> Json:
    with ctx.read() as session:
        get_run(session, principal.account_id, run_id)  # another account's run is not found
        rows = rows_of_run(session, principal.account_id, run_id)
        return {"held": [held_view(r) for r in rows]}


@router.post("/held/release", response_model=schemas.ReleasedOut)
def release(ctx: Ctx, principal: ApiAdmin, body: HeldIds) -> Json:
    done = release_held(ctx.jobs.syncs, principal.account_id, body.ids, actor=principal.actor)
    return {
        "run_id": done.run_id,
        "released": list(done.released),
        "refused": {str(k): v for k, v in done.refused.items()},
        "held": _waiting(ctx, principal.account_id),
    }


@router.post("/held/discard", response_model=schemas.DiscardedOut)
def discard_held(ctx: Ctx, principal: ApiAdmin, body: HeldIds) -> Json:
    with ctx.uow() as session:
        account = get_account(session, principal.account_id)
        gone = discard(session, account, body.ids, actor=principal.actor, now=ctx.clock())
    return {"discarded": gone, "held": _waiting(ctx, principal.account_id)}
