"""Connect Justworks with an account token (from Merge Link's exchange, or pasted)."""

from __future__ import annotations

from contextlib import suppress

from peoplesync.access.service import Principal
from peoplesync.accounts.service import get_account
from peoplesync.connections import service as connections
from peoplesync.errors import InputError, PeoplesyncError
from peoplesync.runs.hris import refresh_status
from peoplesync.web.context import WebContext


def connect_with_token(ctx: WebContext, principal: Principal, account_token: str) -> None:
    key = ctx.settings.merge_api_key
    if key is None:
        raise InputError(
            "No Merge API key is configured on this server.",
            hint="The operator sets PEOPLESYNC_MERGE_API_KEY.",
        )
    with ctx.uow() as session:
        connections.save_connection(
            session,
            get_account(session, principal.account_id),
            box=ctx.box,
            base_url=ctx.settings.merge_base_url,
            api_key=key.get_secret_value(),
            account_token=account_token,
            now=ctx.clock(),
        )
    # A failure (reconnect needed, an error) is recorded on the connection and shown there.
    with suppress(PeoplesyncError):
        refresh_status(ctx.factory, principal.account_id, ctx.hris)
