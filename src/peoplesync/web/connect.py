"""Connect an HRIS through Merge from the web (pages and API): Link's public token or a pasted
account token, both saved with their linked account id and integration."""

from __future__ import annotations

from contextlib import suppress

from peoplesync.access.service import Principal
from peoplesync.accounts.service import get_account
from peoplesync.connections import linking
from peoplesync.errors import InputError, PeoplesyncError
from peoplesync.runs.hris import refresh_status
from peoplesync.sources.merge.client import MergeClient
from peoplesync.sources.merge.factory import merge_client
from peoplesync.web.context import WebContext


def _api_key(ctx: WebContext) -> str:
    key = ctx.settings.merge_api_key
    if key is None:
        raise InputError(
            "No Merge API key is configured on this server.",
            hint="The operator sets PEOPLESYNC_MERGE_API_KEY.",
        )
    return key.get_secret_value()


def client_for(ctx: WebContext) -> linking.ClientFor:
    def build(account_token: str | None) -> MergeClient:
        return merge_client(ctx.settings, account_token=account_token, transport=ctx.transport)

    return build


def connect_with_token(ctx: WebContext, principal: Principal, account_token: str) -> str:
    """A pasted account token (its linked account looked up); returns the provider's name."""
    _api_key(ctx)
    return connect_linked(
        ctx, principal, linking.from_account_token(client_for(ctx), account_token)
    )


def connect_with_public_token(ctx: WebContext, principal: Principal, public_token: str) -> str:
    """Merge Link's public token, exchanged; returns the provider's name."""
    _api_key(ctx)
    return connect_linked(ctx, principal, linking.from_public_token(client_for(ctx), public_token))


def connect_linked(ctx: WebContext, principal: Principal, linked: linking.LinkedAccount) -> str:
    with ctx.uow() as session:
        connection = linking.save(
            session,
            get_account(session, principal.account_id),
            linked,
            box=ctx.box,
            base_url=ctx.settings.merge_base_url,
            api_key=_api_key(ctx),
            now=ctx.clock(),
        )
        name = connection.integration_name or "The HRIS"
    # A failure (reconnect needed, an error) is recorded on the connection and shown there.
    with suppress(PeoplesyncError):
        refresh_status(ctx.factory, principal.account_id, ctx.hris)
    return name
