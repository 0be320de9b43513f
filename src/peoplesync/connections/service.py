"""HRIS connections (any Merge HRIS: Justworks, BambooHR, HiBob...): saved credentials, the
linked account and its integration, and status (the mirror of what they fetch is in
`mirror.py`). An account has one HRIS connection; its `provider` is the integration's slug.

Credentials are sealed with the settings' key before they touch the database and are opened only
to build a client. The caller owns the transaction; network calls happen outside this module.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from peoplesync.crypto import SecretBox
from peoplesync.errors import (
    InitialSyncInProgressError,
    NotFoundError,
    ReconnectNeededError,
)
from peoplesync.store.models import Account, Connection, PendingRecord, SourceRecord


class _Catalog(dict[str, str]):
    """Merge HRIS slugs -> names; a slug Merge adds later reads as itself, capitalised."""

    def __missing__(self, slug: str) -> str:
        return slug.replace("-", " ").title()


# The HR systems offered on the Data Integrations page (Merge serves every one with the same
# API). Slugs are Merge's integration slugs as `link-token`'s `integration` takes them.
PROVIDERS: dict[str, str] = _Catalog(
    {
        "justworks": "Justworks",
        "adp-workforce-now": "ADP Workforce Now",
        "bamboohr": "BambooHR",
        "gusto": "Gusto",
        "hibob": "HiBob",
        "paylocity": "Paylocity",
        "personio": "Personio",
        "rippling": "Rippling",
        "ukg-pro": "UKG Pro",
        "workday": "Workday",
    }
)
DEFAULT_PROVIDER = "justworks"


def provider_name(connection: Connection | None, slug: str = DEFAULT_PROVIDER) -> str:
    """What pages and emails call the HRIS: the name Merge gave the linked integration."""
    if connection is None:
        return PROVIDERS[slug]
    return connection.integration_name or PROVIDERS[connection.provider]


class ConnectionStatus(enum.StrEnum):
    CONNECTED = "connected"
    INITIAL_SYNC = "initial_sync"
    RECONNECT_NEEDED = "reconnect_needed"
    ERROR = "error"
    DISCONNECTED = "disconnected"


STATUS_LABELS: dict[str, str] = {
    ConnectionStatus.DISCONNECTED: "Disconnected",
    ConnectionStatus.CONNECTED: "Connected",
    ConnectionStatus.INITIAL_SYNC: "Initial sync in progress",
    ConnectionStatus.RECONNECT_NEEDED: "Reconnect needed",
    ConnectionStatus.ERROR: "Error",
}


def save_connection(
    session: Session,
    account: Account,
    *,
    box: SecretBox,
    base_url: str,
    api_key: str,
    account_token: str,
    now: datetime,
    provider: str | None = None,
    linked_account_id: str | None = None,
    integration_name: str | None = None,
) -> Connection:
    """Create or replace the account's HRIS connection. The mirror starts empty (a relink of
    the same linked account keeps it: its ids are the same)."""
    slug = provider or DEFAULT_PROVIDER
    connection = find_connection(session, account.id)
    same = (
        connection is not None
        and linked_account_id is not None
        and connection.linked_account_id == linked_account_id
    )
    if connection is None:
        connection = Connection(account_id=account.id, provider=slug, created_at=now)
        session.add(connection)
    elif not same:
        for table in (SourceRecord, PendingRecord):
            session.execute(delete(table).where(table.connection_id == connection.id))
    connection.provider = slug
    connection.integration_slug = slug
    connection.integration_name = integration_name or PROVIDERS[slug]
    connection.base_url = base_url.rstrip("/")
    connection.api_key_encrypted = box.seal(api_key)
    connection.account_token_encrypted = box.seal(account_token)
    connection.linked_account_id = linked_account_id
    connection.status = ConnectionStatus.INITIAL_SYNC.value
    connection.status_detail = "Waiting for Merge's first sync of this account."
    connection.initial_sync = {}
    if not same:
        connection.last_fetch_started_at = None
        connection.last_success_at = None
        connection.in_step = None
    session.flush()
    return connection


def forget_credentials(connection: Connection) -> None:
    """Disconnect: the sealed credentials go; the directory, its history and the connection's
    record (what it last synced) stay. Merge's side is `delete-account` (the caller's)."""
    connection.api_key_encrypted = None
    connection.account_token_encrypted = None
    connection.status = ConnectionStatus.DISCONNECTED.value
    connection.status_detail = "Disconnected: the credentials were removed."
    connection.in_step = None


def by_linked_account(session: Session, linked_account_id: str) -> Connection | None:
    return session.scalar(
        select(Connection).where(Connection.linked_account_id == linked_account_id)
    )


def find_connection(
    session: Session, account_id: int, provider: str | None = None
) -> Connection | None:
    """The account's HRIS connection (of `provider`, if named)."""
    query = select(Connection).where(Connection.account_id == account_id)
    if provider is not None:
        query = query.where(Connection.provider == provider)
    return session.scalar(query.order_by(Connection.id.desc()).limit(1))


def get_connection(session: Session, account_id: int, provider: str | None = None) -> Connection:
    connection = find_connection(session, account_id, provider)
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        name = PROVIDERS[provider or DEFAULT_PROVIDER] if connection is None else None
        raise NotFoundError(
            f"{name or provider_name(connection)} is not connected to this account.",
            hint="Connect it first (Settings > Data Integrations, or `peoplesync connect "
            f"{provider or DEFAULT_PROVIDER}`).",
        )
    return connection


def list_connections(session: Session, account_id: int) -> list[Connection]:
    return list(session.scalars(select(Connection).where(Connection.account_id == account_id)))


def initial_sync_accounts(session: Session, account_id: int | None = None) -> list[int]:
    """The accounts (all, or this one) whose connection waits for the provider's first sync."""
    query = select(Connection.account_id).where(
        Connection.status == ConnectionStatus.INITIAL_SYNC.value
    )
    if account_id is not None:
        query = query.where(Connection.account_id == account_id)
    return list(session.scalars(query.order_by(Connection.account_id)))


def credentials(connection: Connection, box: SecretBox) -> tuple[str, str]:
    """(api key, account token), opened for building a client. Never log them."""
    if connection.api_key_encrypted is None or connection.account_token_encrypted is None:
        raise ReconnectNeededError(
            "This connection has no credentials.", hint=f"Reconnect {provider_name(connection)}."
        )
    return box.open(connection.api_key_encrypted), box.open(connection.account_token_encrypted)


def record_initial_sync(
    connection: Connection, *, done: bool, progress: dict[str, Any], now: datetime
) -> None:
    """What Merge's sync-status says of the first sync."""
    connection.initial_sync = {**progress, "checked_at": now.isoformat()}
    if done and connection.status == ConnectionStatus.INITIAL_SYNC:
        connection.status = ConnectionStatus.CONNECTED.value
        connection.status_detail = None


def ensure_syncable(connection: Connection) -> None:
    """Refuse, with the reason, a sync the connection cannot serve now."""
    name = provider_name(connection)
    if connection.status == ConnectionStatus.INITIAL_SYNC:
        raise InitialSyncInProgressError(
            f"{name} is still doing its first sync with Merge; during this time you can't sync.",
            hint="It can take a few hours. Come back later: the sync starts from this page.",
        )
    if connection.status == ConnectionStatus.RECONNECT_NEEDED:
        raise ReconnectNeededError(
            connection.status_detail or "Merge no longer accepts this connection's credentials.",
            hint=f"Reconnect {name} from Settings > Data Integrations.",
        )
    if connection.status == ConnectionStatus.DISCONNECTED:
        raise ReconnectNeededError(
            f"{name} was disconnected.", hint=f"Connect {name} again to sync."
        )


def mark_reconnect_needed(connection: Connection, message: str) -> None:
    connection.status = ConnectionStatus.RECONNECT_NEEDED.value
    connection.status_detail = message


def mark_error(connection: Connection, message: str) -> None:
    connection.status = ConnectionStatus.ERROR.value
    connection.status_detail = message


def mark_fetched(connection: Connection, *, fetch_started_at: datetime) -> None:
    """The mirror now holds the source as of `fetch_started_at`: the next incremental fetch
    asks for what changed since then (overlap is fine, gaps are not)."""
    connection.last_fetch_started_at = fetch_started_at
    if connection.status == ConnectionStatus.ERROR:
        connection.status = ConnectionStatus.CONNECTED.value
        connection.status_detail = None
