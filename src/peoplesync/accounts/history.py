"""Account history beyond sync runs: who switched auto-sync, who redacted which fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from peoplesync.store.models import AuditEvent


def record_event(
    session: Session,
    account_id: int,
    event: str,
    *,
    now: datetime,
    actor: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    entry = AuditEvent(
        account_id=account_id, event=event, actor=actor, detail=detail or {}, created_at=now
    )
    session.add(entry)
    return entry


def list_events(session: Session, account_id: int, *, limit: int = 50) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.account_id == account_id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
