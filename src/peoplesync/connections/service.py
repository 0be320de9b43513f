"""HRIS connections (Justworks through Merge): saved credentials and status (the mirror of
what they fetch is in `mirror.py`).

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

PROVIDERS = {"justworks": "Justworks"}


class ConnectionStatus(enum.StrEnum):
    CONNECTED = "connected"
    INITIAL_SYNC = "initial_sync"
    RECONNECT_NEEDED = "reconnect_needed"
    ERROR = "error"


STATUS_LABELS: dict[str, str] = {
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
    provider: str = "justworks",
    linked_account_id: str | None = None,
) -> Connection:
    """Create or replace the account's connection to `provider`. The mirror starts empty."""
    connection = session.scalar(
        select(Connection).where(
            Connection.account_id == account.id, Connection.provider == provider
        )
    )
    if connection is None:
        connection = Connection(account_id=account.id, provider=provider, created_at=now)
        session.add(connection)
    else:
        for table in (SourceRecord, PendingRecord):
            session.execute(delete(table).where(table.connection_id == connection.id))
    connection.base_url = base_url.rstrip("/")
    connection.api_key_encrypted = box.seal(api_key)
    connection.account_token_encrypted = box.seal(account_token)
    connection.linked_account_id = linked_account_id
    connection.status = ConnectionStatus.INITIAL_SYNC.value
    connection.status_detail = "Waiting for Merge's first sync of this account."
    connection.initial_sync = {}
    connection.last_fetch_started_at = None
    connection.last_success_at = None
    connection.in_step = None
    session.flush()
    return connection


def find_connection(
    session: Session, account_id: int, provider: str = "justworks"
) -> Connection | None:
    return session.scalar(
        select(Connection).where(
            Connection.account_id == account_id, Connection.provider == provider
        )
    )


def get_connection(session: Session, account_id: int, provider: str = "justworks") -> Connection:
    connection = find_connection(session, account_id, provider)
    if connection is None:
        raise NotFoundError(
            f"{PROVIDERS.get(provider, provider)} is not connected to this account.",
            hint="Connect it first (Settings > Data Integrations, or `peoplesync connect "
            f"{provider}`).",
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
            "This connection has no credentials.", hint="Reconnect Justworks."
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
    if connection.status == ConnectionStatus.INITIAL_SYNC:
        raise InitialSyncInProgressError(
            "Justworks is still doing its first sync with Merge; during this time you can't sync.",
            hint="It can take a few hours. Come back later: the sync starts from this page.",
        )
    if connection.status == ConnectionStatus.RECONNECT_NEEDED:
        raise ReconnectNeededError(
            connection.status_detail or "Merge no longer accepts this connection's credentials.",
            hint="Reconnect Justworks from Settings > Data Integrations.",
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
