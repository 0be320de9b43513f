"""Disconnect an HRIS: Merge's `POST /delete-account` (the linked account is deleted and its
token stops working), then our sealed credentials and the source mirror go. The directory,
the import history and the change log stay: people already imported remain as they are.

The network call comes first, outside any unit of work. A token Merge no longer accepts (the
linked account is already gone there) is disconnected here all the same; any other failure
changes nothing, and says so.
"""

from __future__ import annotations

import structlog
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.connections import service as connections
from peoplesync.errors import ReconnectNeededError, RunActiveError
from peoplesync.runs.hris import HrisContext
from peoplesync.runs.service import active_run
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import PendingRecord, SourceRecord

log = structlog.get_logger(__name__)


def disconnect(
    factory: sessionmaker[Session], account_id: int, ctx: HrisContext, *, actor: str
) -> str:
    """Disconnect the account's HRIS; returns the provider's name."""
    with unit_of_work(factory) as session:
        connection = connections.get_connection(session, account_id)
        name = connections.provider_name(connection)
        running = active_run(session, account_id)
        if running is not None:
            raise RunActiveError(
                f"A sync is running (run {running.id}); {name} cannot be disconnected now.",
                hint="Wait for it to finish (or cancel it), then disconnect.",
            )
        client = ctx.client(connection) if connection.account_token_encrypted else None
    if client is not None:
        try:
            with client:
                client.delete_account()
        except ReconnectNeededError:
            log.info("connection.disconnect.already_gone", account_id=account_id)
    with unit_of_work(factory) as session:
        connection = connections.get_connection(session, account_id)
        for table in (SourceRecord, PendingRecord):
            session.execute(delete(table).where(table.connection_id == connection.id))
        connections.forget_credentials(connection)
    log.info("connection.disconnected", account_id=account_id, actor=actor)
    return name
