"""The sandbox HRIS as a FastAPI app: Merge's HRIS API, the Link stand-in and the control API.

    /api/hris/v1/...   Merge's HRIS API (hris_routes, account_routes)
    /link              the Merge Link stand-in page (link_routes)
    /control/...       the control API for tests, benchmarks and the demo (control_routes)

A background task applies due scripted syncs (and sends their webhooks) every
`config.tick_seconds`; requests also apply them before answering, so reads are never stale.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from peoplesync.sandbox import account_routes, control_routes, hris_routes, link_routes
from peoplesync.sandbox.clock import Clock, SystemClock
from peoplesync.sandbox.http import install_error_handlers
from peoplesync.sandbox.state import SandboxConfig, SandboxState


async def _tick(state: SandboxState) -> None:
    while True:
        state.advance()
        await asyncio.sleep(state.config.tick_seconds)


def create_app(config: SandboxConfig | None = None, clock: Clock | None = None) -> FastAPI:
    state = SandboxState(config or SandboxConfig(), clock or SystemClock())

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ticker = asyncio.create_task(_tick(state))
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker

    app = FastAPI(
        title="peoplesync sandbox HRIS",
        description="A local stand-in for Merge's HRIS API over a synthetic Justworks company.",
        lifespan=lifespan,
    )
    app.state.sandbox = state
    install_error_handlers(app)
    app.include_router(hris_routes.build_router())
    app.include_router(account_routes.build_router())
    app.include_router(link_routes.build_router())
    app.include_router(control_routes.build_router())
    return app
