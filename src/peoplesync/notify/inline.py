"""A `Notifier` for a process without workers (a CLI command): emails and webhooks are sent from
this process as soon as the work that caused them commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

import httpx
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.config import Settings
from peoplesync.crypto import SecretBox
from peoplesync.notify.service import Notifier
from peoplesync.notify.smtp import deliver_email
from peoplesync.notify.webhooks import deliver_webhook


def inline_notifier(
    settings: Settings,
    factory: sessionmaker[Session],
    box: SecretBox,
    *,
    clock: Callable[[], datetime],
    transport: httpx.BaseTransport | None = None,
) -> Notifier:
    return Notifier(
        settings,
        send_email=partial(deliver_email, factory, settings, clock=clock),
        deliver_webhook=partial(deliver_webhook, factory, box, clock=clock, transport=transport),
    )
