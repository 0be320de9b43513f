"""The one way a Merge client is built: from the settings' knobs, with a transport seam."""

from __future__ import annotations

import httpx

from peoplesync.config import Settings
from peoplesync.sources.merge.client import MergeClient, RetryPolicy
from peoplesync.sources.merge.pacing import Pacer, RateBudget


def merge_client(
    settings: Settings,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    account_token: str | None = None,
    transport: httpx.BaseTransport | None = None,
    pacer: Pacer | None = None,
) -> MergeClient:
    """A client of Merge's API: the settings' base URL and API key unless given (a connection
    keeps its own), their page size, timeout, retries and backoff cap. Without an account
    token it reaches only the organisation's calls (Link tokens, token exchange)."""
    key = api_key
    if key is None and settings.merge_api_key is not None:
        key = settings.merge_api_key.get_secret_value()
    return MergeClient(
        base_url or settings.merge_base_url,
        key or "",
        account_token,
        transport=transport,
        page_size=settings.merge_page_size,
        timeout=settings.merge_timeout_seconds,
        retry=RetryPolicy(
            max_retries=settings.merge_max_retries, max_delay=settings.merge_backoff_cap_seconds
        ),
        pacer=pacer,
    )


def account_pacer(settings: Settings) -> Pacer | None:
    """One pacer for every client of one linked account's sync (None: no budget set)."""
    per_minute = settings.merge_rate_limit_per_minute
    return None if per_minute is None else Pacer(RateBudget(per_minute))
