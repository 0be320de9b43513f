"""Linking an HRIS through Merge: every path ends in one saved connection that knows its linked
account id (what every linked-account webhook names) and its integration.

    Link        the page's `onSuccess(publicToken)` -> `account-token/{public_token}`: the
                account token, the linked account `id`, the integration (name, slug)
    pasted      an account token -> `account-details`: its `id` and integration
    CLI         either of the two
    Magic Link  the `LinkedAccount.linked` webhook carries the token (jobs/merge_webhook.py)

Network calls happen here, before the caller's unit of work saves what they found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from peoplesync.connections import service as connections
from peoplesync.crypto import SecretBox
from peoplesync.errors import InputError
from peoplesync.sources.merge.client import MergeClient
from peoplesync.store.models import Account, Connection

ORIGIN_PREFIX = "peoplesync-account-"
ClientFor = Callable[[str | None], MergeClient]  # account token (None: organisation calls)


def origin_id(account_id: int) -> str:
    """The `end_user_origin_id` our link tokens name an account by (webhooks bring it back)."""
    return f"{ORIGIN_PREFIX}{account_id}"


def account_of_origin(origin: str | None) -> int | None:
    if origin is None or not origin.startswith(ORIGIN_PREFIX):
        return None
    digits = origin.removeprefix(ORIGIN_PREFIX)
    return int(digits) if digits.isdigit() else None


@dataclass(frozen=True, slots=True)
class LinkedAccount:
    account_token: str = field(repr=False)
    linked_account_id: str | None
    integration_name: str | None
    integration_slug: str | None


def from_public_token(client_for: ClientFor, public_token: str) -> LinkedAccount:
    """Merge Link's public token, exchanged (single use) for the account token and its id."""
    if not public_token.strip():
        raise InputError("Merge Link did not send a public token.", hint="Connect again.")
    with client_for(None) as client:
        found = client.exchange_public_token(public_token.strip())
    return LinkedAccount(
        found.account_token, found.id, found.integration_name, found.integration_slug
    )


def from_account_token(client_for: ClientFor, account_token: str) -> LinkedAccount:
    """A pasted account token: `account-details` names its linked account (and proves that
    Merge accepts the token; a refused one raises ReconnectNeededError)."""
    token = account_token.strip()
    if not token:
        raise InputError("Paste the linked account's token.", field="account_token")
    with client_for(token) as client:
        details = client.account_details()
    return LinkedAccount(token, details.id, details.integration, details.integration_slug)


def save(
    session: Session,
    account: Account,
    linked: LinkedAccount,
    *,
    box: SecretBox,
    base_url: str,
    api_key: str,
    now: datetime,
) -> Connection:
    """The account's connection to what was linked (a relink of the same linked account keeps
    its mirror)."""
    return connections.save_connection(
        session,
        account,
        box=box,
        base_url=base_url,
        api_key=api_key,
        account_token=linked.account_token,
        now=now,
        provider=linked.integration_slug,
        linked_account_id=linked.linked_account_id,
        integration_name=linked.integration_name,
    )
