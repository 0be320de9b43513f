"""HRIS connections (Justworks through Merge): saved credentials, status, the mirror.

Credentials are sealed with the settings' key before they touch the database and are opened only
to build a client. The caller owns the transaction; network calls happen outside this module.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, text
from sqlalchemy.orm import Session

from peoplesync.core.employee import SourceEmployee
from peoplesync.core.perf import gc_paused
from peoplesync.crypto import SecretBox
from peoplesync.errors import (
    InitialSyncInProgressError,
    NotFoundError,
    ReconnectNeededError,
)
from peoplesync.store.bulk import bulk_insert
from peoplesync.store.models import Account, Connection, SourceRecord

PROVIDERS = {"justworks": "Justworks"}
_mirror = cast(Table, SourceRecord.__table__)


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
        session.execute(delete(SourceRecord).where(SourceRecord.connection_id == connection.id))
    connection.base_url = base_url.rstrip("/")
    connection.api_key_encrypted = box.seal(api_key)
    connection.account_token_encrypted = box.seal(account_token)
    connection.linked_account_id = linked_account_id
    connection.status = ConnectionStatus.INITIAL_SYNC.value
    connection.status_detail = "Waiting for Merge's first sync of this account."
    connection.initial_sync = {}
    connection.last_fetch_started_at = None
    connection.last_success_at = None
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


# --- The source mirror: the last mapped record of every source employee ---------------------


# A mirror record is a JSON array in this order (compact, and quick to read back).
MIRROR_FIELDS = (
    "location",
    "source_id",
    "employee_id",
    "name",
    "preferred_name",
    "email",
    "birth_date",
    "start_date",
    "end_date",
    "manager_source_id",
    "manager_email",
    "demographics",
)
_DATES = (6, 7, 8)  # positions of the dates in MIRROR_FIELDS


def record_to_json(record: SourceEmployee) -> list[Any]:
    values: list[Any] = [getattr(record, f) for f in MIRROR_FIELDS]
    for i in _DATES:
        if values[i] is not None:
            values[i] = values[i].isoformat()
    values[-1] = dict(record.demographics)
    return values


def record_from_json(values: list[Any]) -> SourceEmployee:
    for i in _DATES:
        if values[i]:
            values[i] = date.fromisoformat(values[i])
    return SourceEmployee(*values)


def update_mirror(
    session: Session,
    connection: Connection,
    *,
    records: Sequence[SourceEmployee],
    deleted: Iterable[str],
    full: bool,
) -> None:
    """A full fetch replaces the mirror; an incremental one upserts and drops the deleted."""
    if full:
        session.execute(delete(SourceRecord).where(SourceRecord.connection_id == connection.id))
    else:
        gone = {r.source_id for r in records if r.source_id} | set(deleted)
        for chunk in _chunks(sorted(gone), 500):
            session.execute(
                delete(SourceRecord).where(
                    SourceRecord.connection_id == connection.id,
                    SourceRecord.source_id.in_(chunk),
                )
            )
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    rows = ((connection.id, r.source_id, dumps(record_to_json(r))) for r in records if r.source_id)
    bulk_insert(session, _mirror, ("connection_id", "source_id", "record"), rows)


def load_mirror(session: Session, connection_id: int) -> list[SourceEmployee]:
    """The whole company as last fetched (decoded in one call, like the stored plan)."""
    texts = session.scalars(
        text(
            "SELECT CAST(record AS TEXT) FROM source_records WHERE connection_id = :c "
            "ORDER BY source_id"
        ),
        {"c": connection_id},
    ).all()
    with gc_paused():
        return [record_from_json(r) for r in json.loads("[" + ",".join(texts) + "]")]


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
