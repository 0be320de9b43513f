"""Send an outbox email over SMTP (settings: host, port, STARTTLS, credentials, sender).

`deliver_email` is what the queued task runs: it sends a pending email once, marks it sent, and
on a transient failure (connection, timeout, a 4xx answer) raises `EmailUnavailableError` so the
task retries with backoff; a permanent refusal (5xx) marks the email failed at once.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid

import structlog
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.config import Settings
from peoplesync.errors import PeoplesyncError
from peoplesync.notify.service import EmailStatus
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import EmailMessage

log = structlog.get_logger(__name__)

SMTP_TIMEOUT_SECONDS = 30.0
PERMANENT_SMTP_CODE = 500


class EmailUnavailableError(PeoplesyncError):
    """The SMTP server could not take the email now; it is retried."""

    http_status = 502
    code = "email_unavailable"
    transient = True


def mime(email: EmailMessage) -> MimeMessage:
    message = MimeMessage()
    message["From"] = email.sender
    message["To"] = ", ".join(email.recipients)
    message["Subject"] = email.subject
    message["Date"] = formatdate(email.created_at.timestamp(), usegmt=True)
    message["Message-ID"] = make_msgid(idstring=f"peoplesync.{email.id}")
    message.set_content(email.body)
    return message


def send_smtp(settings: Settings, message: MimeMessage) -> None:
    """One SMTP session: connect, STARTTLS and log in when configured, send."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        smtp.ehlo()
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_username, password)
        smtp.send_message(message)


def deliver_email(
    factory: sessionmaker[Session],
    settings: Settings,
    email_id: int,
    *,
    clock: Callable[[], datetime],
    last_attempt: bool = True,
) -> str:
    """Send email `email_id` if it is still pending; returns its status afterwards."""
    with unit_of_work(factory) as session:
        email = session.get(EmailMessage, email_id)
        if email is None or email.status != EmailStatus.PENDING:
            return email.status if email else "missing"
        message = mime(email)
        account_id = email.account_id
    try:
        send_smtp(settings, message)
    except (smtplib.SMTPException, OSError) as err:
        permanent = _permanent(err)
        status = EmailStatus.FAILED if permanent or last_attempt else EmailStatus.PENDING
        _record(factory, email_id, status, clock(), error=_describe(err))
        log.warning(
            "notify.email.failed",
            email_id=email_id,
            account_id=account_id,
            permanent=permanent,
            error=_describe(err),
        )
        if status is EmailStatus.PENDING:
            raise EmailUnavailableError(f"The SMTP server did not take email {email_id}.") from err
        return status.value
    _record(factory, email_id, EmailStatus.SENT, clock())
    log.info("notify.email.sent", email_id=email_id, account_id=account_id)
    return EmailStatus.SENT.value


def _record(
    factory: sessionmaker[Session],
    email_id: int,
    status: EmailStatus,
    now: datetime,
    *,
    error: str | None = None,
) -> None:
    with unit_of_work(factory) as session:
        email = session.get(EmailMessage, email_id)
        if email is None:
            return
        email.attempts += 1
        email.status = status.value
        email.error = error
        if status is EmailStatus.SENT:
            email.sent_at = now


def _permanent(err: BaseException) -> bool:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in err.recipients.values()]
        return bool(codes) and all(code >= PERMANENT_SMTP_CODE for code in codes)
    code = getattr(err, "smtp_code", None)
    return isinstance(code, int) and code >= PERMANENT_SMTP_CODE


def _describe(err: BaseException) -> str:
    code = getattr(err, "smtp_code", None)
    text = getattr(err, "smtp_error", b"")
    if code is not None:
        detail = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"SMTP {code}: {detail}"[:500]
    return f"{type(err).__name__}: {err}"[:500]
