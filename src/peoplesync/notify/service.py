"""Emails to an account's admins: recipients, the outbox, and the `Notifier` that writes them.

The caller owns the transaction. An email is a row of `email_outbox`, written in the unit of work
that caused it, so a rolled-back sync sends nothing. After the commit it is handed to `send_email`
(SMTP, normally through a queued task); without an SMTP host (the embedded default) it stays in
the outbox for the admin to read, and is written to the log.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from peoplesync.access.service import Role
from peoplesync.accounts.settings import list_alerts
from peoplesync.config import Settings
from peoplesync.errors import NotFoundError
from peoplesync.notify import messages
from peoplesync.notify.messages import Message
from peoplesync.notify.webhooks import queue_run_finished
from peoplesync.store.effects import after_commit
from peoplesync.store.models import (
    Account,
    EmailMessage,
    HeldChange,
    Login,
    SyncRun,
)

log = structlog.get_logger(__name__)


class EmailStatus(enum.StrEnum):
    OUTBOX = "outbox"  # kept for the admin to read (no SMTP host, or nobody to send it to)
    PENDING = "pending"  # waiting for the SMTP server
    SENT = "sent"
    FAILED = "failed"  # the SMTP server refused it, or every retry failed


def email_recipients(session: Session, account_id: int) -> list[str]:
    """Who gets the admins' emails: every account administrator's login, and the extra
    addresses; each address once (case-insensitive)."""
    admins = session.scalars(
        select(Login.email).where(Login.account_id == account_id, Login.role == Role.ADMIN.value)
    )
    found: dict[str, str] = {}
    for email in [*admins, *list_alerts(session, account_id)]:
        found.setdefault(email.strip().lower(), email.strip())
    return sorted(found.values(), key=str.lower)


# --- The outbox -----------------------------------------------------------------------------


def list_outbox(
    session: Session, account_id: int, *, limit: int = 50, offset: int = 0
) -> list[EmailMessage]:
    """The account's emails, newest first (whether sent over SMTP or kept here)."""
    return list(
        session.scalars(
            select(EmailMessage)
            .where(EmailMessage.account_id == account_id)
            .order_by(EmailMessage.id.desc())
            .offset(max(offset, 0))
            .limit(limit)
        )
    )


def get_email(session: Session, account_id: int, email_id: int) -> EmailMessage:
    found = session.scalar(
        select(EmailMessage).where(
            EmailMessage.id == email_id, EmailMessage.account_id == account_id
        )
    )
    if found is None:
        raise NotFoundError(f"There is no email {email_id} in this account.")
    return found


class Notifier:
    """Writes emails and webhook deliveries in the caller's unit of work.

    `send_email(email_id)` and `deliver_webhook(delivery_id)` run after the commit: the workers
    pass their queued tasks, a process without workers passes functions that send at once.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        send_email: Callable[[int], object],
        deliver_webhook: Callable[[int], object],
    ) -> None:
        self.settings = settings
        self._send_email = send_email
        self._deliver_webhook = deliver_webhook

    def email_admins(
        self,
        session: Session,
        account: Account,
        message: Message,
        *,
        now: datetime,
        run_id: int | None = None,
    ) -> EmailMessage:
        recipients = email_recipients(session, account.id)
        smtp = bool(self.settings.smtp_host) and bool(recipients)
        email = EmailMessage(
            account_id=account.id,
            run_id=run_id,
            kind=message.kind,
            sender=self.settings.smtp_sender,
            recipients=recipients,
            subject=message.subject,
            body=message.body,
            status=(EmailStatus.PENDING if smtp else EmailStatus.OUTBOX).value,
            attempts=0,
            error=None if recipients else "No recipients: add the admins' addresses.",
            created_at=now,
        )
        session.add(email)
        session.flush()
        email_id = email.id
        if smtp:
            after_commit(session, "email.send", partial(self._send_email, email_id))
        else:
            after_commit(session, "email.outbox", partial(_log_outboxed, email_id, message))
        return email

    def run_blocked(self, session: Session, account: Account, run: SyncRun, now: datetime) -> None:
        message = messages.run_blocked(account, run, base_url=self.settings.base_url)
        self.email_admins(session, account, message, now=now, run_id=run.id)

    def run_held(
        self,
        session: Session,
        account: Account,
        run: SyncRun,
        held: Sequence[HeldChange],
        now: datetime,
    ) -> None:
        message = messages.run_held(account, run, held, base_url=self.settings.base_url)
        self.email_admins(session, account, message, now=now, run_id=run.id)

    def run_failed(self, session: Session, account: Account, run: SyncRun, now: datetime) -> None:
        message = messages.run_failed(account, run, base_url=self.settings.base_url)
        self.email_admins(session, account, message, now=now, run_id=run.id)

    def reconnect_needed(
        self, session: Session, account: Account, provider: str, detail: str | None, now: datetime
    ) -> None:
        message = messages.reconnect_needed(account, provider, detail)
        self.email_admins(session, account, message, now=now)

    def run_finished(self, session: Session, run: SyncRun, now: datetime) -> None:
        """The account's webhooks hear that `run` finished (delivered after the commit)."""
        for delivery_id in queue_run_finished(session, run, now=now):
            after_commit(session, "webhook.deliver", partial(self._deliver_webhook, delivery_id))


def _log_outboxed(email_id: int, message: Message) -> None:
    log.info(
        "notify.email.outboxed",
        email_id=email_id,
        kind=message.kind,
        subject=message.subject,
        body=message.body,
    )
